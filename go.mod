module github.com/b24go/b24

go 1.25.0

require (
	golang.org/x/term v0.45.0
	golang.org/x/time v0.14.0
)

require golang.org/x/sys v0.47.0 // indirect
