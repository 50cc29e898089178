module github.com/b24go/b24

go 1.25.0

require (
	golang.org/x/net v0.58.0
	golang.org/x/sys v0.47.0
	golang.org/x/time v0.14.0
)

require golang.org/x/text v0.41.0 // indirect
