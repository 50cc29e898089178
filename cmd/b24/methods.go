package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/b24go/b24/cmd/b24/internal/jsonout"
)

var methodsCommand = &command{
	name:    "methods",
	args:    "[PATTERN]",
	summary: "list the webhook's methods and their scopes",
	values:  map[string]valuesFunc{"format": fixed("table")},
	portal:  true,
	example: `  b24 methods                       # every method the webhook may call
  b24 methods 'crm.deal.*'          # a shell glob
  b24 methods task --format table   # a substring; with each method's scope
  b24 methods --jq '.[] | select(.scope == "crm") | .name'`,
	long: `Lists the methods the webhook may call, from the portal's "methods" and
"scope" answers and one batch of "methods?scope=S" (3 requests), sorted.
PATTERN keeps the matching names: a shell glob when it holds * ? or [
("crm.deal.*"), else a substring; case is ignored. One name a line;
--format table adds each method's scope; --json prints
[{"name": ..., "scope": ...}] (scope "" for methods of no scope, such as
batch). Every name is saved in the completion cache (see "b24 completion"),
so that METHOD arguments complete with a Tab.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &outputFlags{}
		o.register(fs, "table")
		return func(ctx context.Context, args []string) int {
			if len(args) > 1 {
				return c.fail(ctx, usagef("want at most one PATTERN"))
			}
			if err := o.check("table"); err != nil {
				return c.fail(ctx, err)
			}
			if err := c.runMethods(ctx, o, append(args, "")[0]); err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
}

// runMethods fetches, caches, filters and prints the methods.
func (c *cli) runMethods(ctx context.Context, o *outputFlags, pattern string) error {
	if _, err := matchMethods(nil, pattern); err != nil {
		return err
	}
	h, err := c.hook(ctx)
	if err != nil {
		return err
	}
	defer h.Close()
	ms, err := fetchMethods(ctx, h.V2())
	if err != nil {
		return err
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	if err := saveMethodCache(c, names); err != nil {
		c.logger().Warn("the completion cache was not written", "err", err)
	}
	ms, _ = matchMethods(ms, pattern)
	return c.emit(ctx, o, ms, func(w io.Writer) error {
		if o.format == "table" {
			rows := make([][]string, len(ms))
			for i, m := range ms {
				rows[i] = []string{m.Name, m.Scope}
			}
			return jsonout.Table(w, []string{"METHOD", "SCOPE"}, rows)
		}
		for _, m := range ms {
			fmt.Fprintln(w, m.Name)
		}
		return nil
	})
}
