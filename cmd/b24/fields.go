package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/spf13/pflag"

	"github.com/b24go/b24/cmd/b24/internal/jsonout"
)

var fieldsCommand = &command{
	name:    "fields",
	args:    "ENTITY",
	summary: "describe an entity's fields: code, type, title, required, read-only, multiple",
	values:  map[string]valuesFunc{"format": fixed("table")},
	portal:  true,
	example: `  b24 fields crm.deal
  b24 fields crm.item --param entityTypeId=2
  b24 fields crm.contact --json --jq '.[] | select(.required) | .code'`,
	long: `Calls ENTITY.fields (crm.deal → crm.deal.fields; a name already ending in
.fields or .getFields is called as it is) and prints every field in the
portal's order: code, type, title, required, read-only, multiple, and
whether it is a user field (UF_*, titled by its label). A table by
default; --json prints [{"code", "type", "title", "required",
"read_only", "multiple", "user_field"}]. The codes are saved in the
completion cache, so that --select and --filter complete them with a Tab.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &outputFlags{}
		o.register(fs, "table")
		var extra pairList
		fs.Var(&extra, "param", "`key=value` added to the call's parameters (entityTypeId=2 for crm.item); repeatable")
		return func(ctx context.Context, args []string) int {
			if len(args) != 1 {
				return c.fail(ctx, usagef("want one ENTITY (b24 fields crm.deal)"))
			}
			if err := o.check("table"); err != nil {
				return c.fail(ctx, err)
			}
			if err := c.runFields(ctx, o, args[0], extra); err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
}

// runFields fetches, caches and prints entity's fields.
func (c *cli) runFields(ctx context.Context, o *outputFlags, entity string, extra pairList) error {
	pairs, err := parsePairs(extra)
	if err != nil {
		return err
	}
	var params map[string]any
	if pairs.Len() > 0 {
		b, _ := marshalJSON(pairs, "")
		json.Unmarshal(b, &params)
	}
	h, err := c.hook(ctx)
	if err != nil {
		return err
	}
	defer h.Close()
	fs, err := fetchFields(ctx, c.api(h), entity, params)
	if err != nil {
		return err
	}
	codes := make([]string, len(fs))
	for i, f := range fs {
		codes[i] = f.Code
	}
	if err := saveFieldCache(c, entityOf(fieldsMethod(entity)), codes); err != nil {
		c.logger().Warn("the completion cache was not written", "err", err)
	}
	return c.emit(ctx, o, fs, func(w io.Writer) error {
		return jsonout.Table(w, fieldHeaders, fieldRows(fs))
	})
}
