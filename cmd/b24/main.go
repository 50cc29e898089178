// Command b24 is the command-line client of the b24 SDK. Subcommands:
//
//	b24 fake    run a fake Bitrix24 portal (package b24test) over HTTPS
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}
