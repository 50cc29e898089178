package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/b24go/b24"
)

// confirmBatchDeletes asks before a batch holding *.delete commands.
func (c *cli) confirmBatchDeletes(ctx context.Context, h *b24.Hook, cmds []b24.Cmd, yes bool) error {
	methods := make([]string, len(cmds))
	for i, cmd := range cmds {
		methods[i] = cmd.Method
	}
	n, example := deleteCount(methods)
	if n == 0 {
		return nil
	}
	what := fmt.Sprintf("deleting with %s on %s (%s", plural(int64(n), "command"), h.TargetOrigin(), example)
	if n > 1 {
		what += ", ..."
	}
	return c.confirm(ctx, what+")", yes)
}

// dryBatch shows what a batch would do, sending no write: the field diff
// when every command is crm.<entity>.update of one entity, else the
// commands as NDJSON {"key", "method", "params"}.
func (c *cli) dryBatch(ctx context.Context, api *b24.API, lines []batchLine, cmds []b24.Cmd) error {
	if rows, method, ok := crmUpdateRows(cmds); ok {
		u := &updater{c: c, method: method}
		return u.showDryRun(ctx, api, rows, &outputFlags{})
	}
	var b bytes.Buffer
	for i, cmd := range cmds {
		line, err := marshalJSON(batchLine{Key: lines[i].Key, Method: cmd.Method, Params: lines[i].Params}, "")
		if err != nil {
			return err
		}
		b.Write(append(unescapeJSON(line), '\n'))
	}
	if _, err := c.stdout.Write(b.Bytes()); err != nil {
		return err
	}
	if !c.g.quiet {
		fmt.Fprintf(c.stderr, "%s: dry run: %s would be sent; nothing was sent\n", c.name, plural(int64(len(cmds)), "command"))
	}
	return nil
}

// crmUpdateRows reads cmds as update rows when every one is
// crm.<entity>.update of one entity with an integer id and fields.
func crmUpdateRows(cmds []b24.Cmd) ([]updateRow, string, bool) {
	var entity string
	rows := make([]updateRow, 0, len(cmds))
	for i, cmd := range cmds {
		e, ok := crmEntity(cmd.Method)
		if !ok || (i > 0 && e != entity) {
			return nil, "", false
		}
		entity = e
		raw, _ := cmd.Params.(json.RawMessage)
		var p map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&p) != nil {
			return nil, "", false
		}
		var id int64
		if _, err := fmt.Sscan(fmt.Sprint(p["id"]), &id); err != nil || id <= 0 {
			return nil, "", false
		}
		if _, ok := p["fields"].(map[string]any); !ok {
			return nil, "", false
		}
		rows = append(rows, updateRow{Row: i + 1, ID: id, Params: p})
	}
	return rows, "crm." + strings.ToLower(entity) + ".update", len(rows) > 0
}
