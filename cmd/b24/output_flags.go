package main

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/b24go/b24/cmd/b24/internal/jsonout"
)

// outputFlags are the --json, --jq and --format table of a command that
// prints a result or a summary.
type outputFlags struct {
	json   bool
	jq     string
	format string // "" or "table" (list has its own formats)
	query  *jsonout.Query
}

// register adds --json, --jq and, when formats are given, --format.
func (o *outputFlags) register(fs *pflag.FlagSet, formats ...string) {
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.StringVar(&o.jq, "jq", "", "print what the jq program `EXPR` makes of the JSON result (implies --json)")
	if len(formats) > 0 {
		fs.StringVar(&o.format, "format", "", "output `format`: "+strings.Join(formats, " or ")+" (default: text)")
		fs.SetAnnotation("format", valuesAnnotation, formats) // completion
	}
}

// printer is the runner of a command of no arguments that prints what f
// gives through o (--json, --jq).
func printer(c *cli, o *outputFlags, f func(ctx context.Context) error) func(context.Context, []string) int {
	return func(ctx context.Context, args []string) int {
		if len(args) > 0 {
			return c.fail(ctx, usagef("unexpected arguments %q", args))
		}
		if err := o.check(); err != nil {
			return c.fail(ctx, err)
		}
		if err := f(ctx); err != nil {
			return c.fail(ctx, err)
		}
		return exitOK
	}
}

// check compiles --jq (a bad program is a usage error, exit 2, before
// anything is sent) and checks --format against the formats allowed.
func (o *outputFlags) check(formats ...string) error {
	if o.format != "" {
		ok := false
		for _, f := range formats {
			ok = ok || f == o.format
		}
		if !ok {
			return usagef("--format must be one of %v, not %q", formats, o.format)
		}
	}
	if o.jq == "" {
		return nil
	}
	q, err := jsonout.Compile(o.jq)
	if err != nil {
		return usagef("%v", err)
	}
	o.query = q
	return nil
}

// machine reports whether the output is JSON (--json or --jq).
func (o *outputFlags) machine() bool { return o.json || o.jq != "" }

// emit prints v: through --jq, as indented JSON with --json (key order
// and numbers' text kept, PHP's \uXXXX escapes as characters), else as
// text prints it for a person.
func (c *cli) emit(ctx context.Context, o *outputFlags, v any, text func(io.Writer) error) error {
	if !o.machine() {
		return text(c.stdout)
	}
	b, err := marshalJSON(v, "  ")
	if err != nil {
		return err
	}
	b = unescapeJSON(b)
	if o.query == nil {
		_, err := c.stdout.Write(append(b, '\n'))
		return err
	}
	var out bytes.Buffer
	err = o.query.Write(ctx, &out, b)
	if _, werr := c.stdout.Write(out.Bytes()); err == nil {
		err = werr
	}
	return err // a runtime error of the program exits 1, as jq's
}
