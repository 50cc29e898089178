package main

import (
	"context"
	"os"

	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

var docsCommand = &command{
	name:    "docs",
	summary: "write the manual pages or the Markdown reference of every command",
	long: `Writes one page per command, generated from the same text as --help:
"b24 docs man DIR" writes man pages (b24.1, b24-list.1, ...), "b24 docs
markdown DIR" Markdown files. DIR is created if missing.`,
	example: `  b24 docs man /usr/local/share/man/man1
  b24 docs markdown docs/cli`,
	subs: []*command{docsManCommand, docsMarkdownCommand},
}

var docsManCommand = &command{
	name:    "man",
	args:    "DIR",
	summary: "write a man page (section 1) of every command into DIR",
	example: `  b24 docs man ./man && man ./man/b24-list.1`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return docsWriter(c, func(dir string) error {
			header := &doc.GenManHeader{Title: "B24", Section: "1", Source: "b24", Manual: "b24 manual"}
			return doc.GenManTree(c.root, header, dir)
		})
	},
}

var docsMarkdownCommand = &command{
	name:    "markdown",
	args:    "DIR",
	summary: "write a Markdown page of every command into DIR",
	example: `  b24 docs markdown ./reference`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return docsWriter(c, func(dir string) error { return doc.GenMarkdownTree(c.root, dir) })
	},
}

// docsWriter runs gen on the one DIR argument, created if missing.
func docsWriter(c *cli, gen func(dir string) error) func(context.Context, []string) int {
	return func(ctx context.Context, args []string) int {
		if len(args) != 1 || args[0] == "" {
			return c.fail(ctx, usagef("want one DIR"))
		}
		if err := os.MkdirAll(args[0], 0o755); err != nil {
			return c.fail(ctx, err)
		}
		if err := gen(args[0]); err != nil {
			return c.fail(ctx, err)
		}
		return exitOK
	}
}
