package main

import (
	"context"
	"fmt"
	"io"
)

const usage = `usage: b24 <command> [flags]

commands:
  fake    run a fake Bitrix24 portal over HTTPS on 127.0.0.1

Run "b24 <command> -h" for the flags of a command.
`

// run is the whole program: main only calls it. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "fake":
		return runFake(ctx, args[1:], stdout, stderr, env)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "b24: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
