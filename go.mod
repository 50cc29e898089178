module github.com/b24go/b24

go 1.25

require golang.org/x/time v0.14.0 // indirect
