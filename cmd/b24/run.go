package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// run is the whole program: main only calls it. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	sw := &stickyWriter{w: stdout}
	c := &cli{stdin: stdin, stdout: sw, stderr: stderr, env: env, name: "b24"}
	st := &runState{ctx: ctx, c: c, sw: sw}
	st.completing = len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd)
	root := newRoot(st)
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = append([]string{"version"}, args[1:]...)
	}
	root.SetArgs(normalizeArgs(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		return usageFailure(c, cmd.CommandPath(), err)
	}
	return st.code
}

// usageFailure prints a mistake in the command line as one line and where
// to read the usage, and returns exit 2.
func usageFailure(c *cli, path string, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(c.stderr, "%s: %s\nRun '%s --help' for usage.\n", path, msg, path)
	return exitUsage
}
