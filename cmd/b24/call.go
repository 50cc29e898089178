package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
)

var callCommand = &command{
	name:     "call",
	args:     "METHOD [PARAMS]",
	summary:  "call one method and print its result as JSON",
	complete: completeMethod,
	example: `  b24 call crm.deal.get id=42
  b24 call crm.deal.list 'filter[>OPPORTUNITY]=1000' 'select[]=ID' 'select[]=TITLE'
  b24 call crm.deal.update '{"id": 42, "fields": {"TITLE": "New"}}'
  b24 call crm.deal.add @deal.json
  echo '{"id": 42}' | b24 call crm.deal.get -
  b24 call crm.item.list --api v3 entityTypeId=2
  b24 call crm.deal.update id=42 'fields[TITLE]=New' --dry-run   # the change, nothing sent
  b24 call crm.deal.get id=42 --jq .TITLE`,
	portal: true,
	long: `Calls METHOD once and prints its result as JSON on stdout (--raw: the
whole envelope: result, total, next, time), with PHP's \uXXXX escapes
written as the characters they stand for; key order and number text are
kept as the portal sent them. PARAMS is one of:
  '{"id": 5}'            a JSON object
  @params.json          a file holding JSON
  -                     JSON read from stdin
  id=5 'filter[>ID]=5'  key=value pairs, keys in PHP's bracket syntax
--jq runs a jq program on the result. --dry-run sends nothing and prints
the request; for crm.*.update it reads the record and prints the fields
that would change. A *.delete method asks for confirmation on a terminal;
elsewhere it needs --yes (exit 2 without). An API error exits 1 with the
portal's code and description.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &callOpts{}
		fs.BoolVar(&o.raw, "raw", false, "print the whole envelope, not only result")
		fs.BoolVar(&o.compact, "compact", false, "print JSON on one line")
		fs.BoolVar(&o.dryRun, "dry-run", false, "send nothing: print the request (crm.*.update: the field changes, read from the portal)")
		fs.BoolVar(&o.yes, "yes", false, "delete without asking (*.delete methods ask on a terminal, and are refused elsewhere without --yes)")
		fs.StringVar(&o.out.jq, "jq", "", "print what the jq program `EXPR` makes of the result")
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 {
				return c.fail(ctx, usagef("missing METHOD (b24 call METHOD [PARAMS])"))
			}
			if err := c.runCall(ctx, o, args[0], args[1:]); err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
}

// callOpts are call's flags.
type callOpts struct {
	raw, compact, dryRun, yes bool
	out                       outputFlags
}

// runCall calls method once with the parameters args give and prints the
// result; --dry-run prints what it would send instead, and a delete is
// confirmed first.
func (c *cli) runCall(ctx context.Context, o *callOpts, method string, args []string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	params, err := parseParams(args, c.stdin)
	if err != nil {
		return err
	}
	h, err := c.hook(ctx)
	if err != nil {
		return err
	}
	defer h.Close()
	var p any
	if params != nil {
		p = params
	}
	if o.dryRun {
		return c.dryCall(ctx, c.api(h), method, params, &o.out)
	}
	if isDelete(method) {
		if err := c.confirm(ctx, fmt.Sprintf("%s on %s deletes a record", method, h.TargetOrigin()), o.yes); err != nil {
			return err
		}
	}
	resp, err := c.api(h).Call(ctx, method, p)
	if err != nil {
		return err
	}
	var out any = resp.Result
	if o.raw {
		out = envelope{Result: resp.Result, Total: resp.Total, Next: resp.Next, Time: resp.Time}
	}
	if o.out.machine() {
		return c.emit(ctx, &o.out, out, nil)
	}
	indent := "  "
	if o.compact {
		indent = ""
	}
	b, err := marshalJSON(out, indent)
	if err != nil {
		return fmt.Errorf("printing the result: %v", err)
	}
	_, err = c.stdout.Write(append(unescapeJSON(b), '\n')) // Сделка, not \u0421\u0434...
	return err
}

// envelope is the success envelope as --raw prints it.
type envelope struct {
	Result json.RawMessage `json:"result"`
	Total  *int            `json:"total,omitempty"`
	Next   *int            `json:"next,omitempty"`
	Time   *b24.Timing     `json:"time,omitempty"`
}
