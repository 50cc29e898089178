package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
)

var versionCommand = &command{
	name:    "version",
	summary: "print the version of b24 and of the SDK",
	example: `  b24 version
  b24 --version`,
	long: `Prints the command's version, the SDK version it sends in User-Agent, and the Go version it was built with.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return func(ctx context.Context, args []string) int {
			if len(args) > 0 {
				return c.fail(ctx, usagef("unexpected arguments %q", args))
			}
			mod := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				mod = bi.Main.Version
			}
			fmt.Fprintf(c.stdout, "b24 %s (sdk %s, %s, %s/%s)\n", mod, b24.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return exitOK
		}
	},
}
