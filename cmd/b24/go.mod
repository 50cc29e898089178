module github.com/b24go/b24/cmd/b24

go 1.25.0

require (
	github.com/b24go/b24 v0.1.0
	github.com/b24go/b24/redislimit v0.1.0
	github.com/creack/pty v1.1.24
	github.com/itchyny/gojq v0.12.20
	github.com/redis/go-redis/v9 v9.22.0
	golang.org/x/net v0.58.0
	golang.org/x/term v0.45.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	golang.org/x/time v0.14.0 // indirect
)
