package main

import (
	"context"
	"fmt"
	"io"
)

// run is the whole program: main only calls it. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, helpString())
		return 2
	}
	switch args[0] {
	case "fake":
		return runFake(ctx, args[1:], stdout, stderr, env)
	case "help", "-h", "--help", "-help":
		return runHelp(ctx, args[1:], stdout, stderr, env)
	case "version", "--version", "-version":
		return runCommand(ctx, versionCommand, args[1:], stdin, stdout, stderr, env)
	default:
		if cmd := lookup(args[0]); cmd != nil {
			return runCommand(ctx, cmd, args[1:], stdin, stdout, stderr, env)
		}
		fmt.Fprintf(stderr, "b24: unknown command %q (run \"b24 help\")\n", args[0])
		return 2
	}
}
