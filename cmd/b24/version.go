package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
)

var versionCommand = &command{
	name:    "version",
	summary: "print the version of b24 and of the SDK",
	example: `  b24 version
  b24 --version
  b24 version --jq .sdk`,
	long: `Prints the command's version, the SDK version it sends in User-Agent,
and the Go version it was built with; --json prints {"version", "sdk",
"go", "os", "arch"}.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &outputFlags{}
		o.register(fs)
		return printer(c, o, func(ctx context.Context) error {
			v := versionInfo{Version: "(devel)", SDK: b24.Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v.Version = bi.Main.Version
			}
			return c.emit(ctx, o, v, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "b24 %s (sdk %s, %s, %s/%s)\n", v.Version, v.SDK, v.Go, v.OS, v.Arch)
				return err
			})
		})
	},
}

// versionInfo is what version prints.
type versionInfo struct {
	Version string `json:"version"`
	SDK     string `json:"sdk"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}
