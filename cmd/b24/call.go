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
  b24 call crm.item.list --api v3 entityTypeId=2`,
	portal: true,
	long: `Calls METHOD once and prints its result as JSON on stdout (--raw: the
whole envelope: result, total, next, time), with PHP's \uXXXX escapes
written as the characters they stand for; key order and number text are
kept as the portal sent them. PARAMS is one of:
  '{"id": 5}'            a JSON object
  @params.json          a file holding JSON
  -                     JSON read from stdin
  id=5 'filter[>ID]=5'  key=value pairs, keys in PHP's bracket syntax
An API error exits 1 with the portal's code and description.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		raw := fs.Bool("raw", false, "print the whole envelope, not only result")
		compact := fs.Bool("compact", false, "print JSON on one line")
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 {
				return c.fail(ctx, usagef("missing METHOD (b24 call METHOD [PARAMS])"))
			}
			params, err := parseParams(args[1:], c.stdin)
			if err != nil {
				return c.fail(ctx, err)
			}
			h, err := c.hook(ctx)
			if err != nil {
				return c.fail(ctx, err)
			}
			defer h.Close()
			var p any
			if params != nil {
				p = params
			}
			resp, err := c.api(h).Call(ctx, args[0], p)
			if err != nil {
				return c.fail(ctx, err)
			}
			var out any = resp.Result
			if *raw {
				out = envelope{Result: resp.Result, Total: resp.Total, Next: resp.Next, Time: resp.Time}
			}
			indent := "  "
			if *compact {
				indent = ""
			}
			b, err := marshalJSON(out, indent)
			if err != nil {
				return c.fail(ctx, fmt.Errorf("printing the result: %v", err))
			}
			b = append(unescapeJSON(b), '\n') // Сделка, not \u0421\u0434...
			if _, err := c.stdout.Write(b); err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
}

// envelope is the success envelope as --raw prints it.
type envelope struct {
	Result json.RawMessage `json:"result"`
	Total  *int            `json:"total,omitempty"`
	Next   *int            `json:"next,omitempty"`
	Time   *b24.Timing     `json:"time,omitempty"`
}
