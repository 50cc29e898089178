package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/b24go/b24"
)

// showDryRun shows what an update would do and writes nothing, opening no
// journal: for crm.<entity>.update a field diff against the current values
// (read in batches, at most one request per 25 rows), for any other method
// the commands it would send.
func (u *updater) showDryRun(ctx context.Context, api *b24.API, rows []updateRow, o *outputFlags) error {
	c := u.c
	entity, ok := crmEntity(u.method)
	if !ok {
		return c.printRequests(ctx, o, u.method, rows)
	}
	h := api.Hook()
	before := h.Stats().Requests
	cur, err := readCurrent(ctx, api, entity, rows)
	if err != nil {
		return err
	}
	diffs := diffRows(rows, cur)
	if err := c.emit(ctx, o, diffs, func(w io.Writer) error { writeDiff(w, diffs); return nil }); err != nil {
		return err
	}
	if !c.g.quiet {
		changed, fields, same, missing := diffCounts(diffs)
		fmt.Fprintf(c.stderr, "%s: dry run: %s would change (%s), %d unchanged, %d not found; nothing was written (%s)\n",
			c.name, plural(int64(changed), "record"), plural(int64(fields), "field"), same, missing, plural(h.Stats().Requests-before, "request"))
	}
	return nil
}

// dryRequest is one request a dry run would send.
type dryRequest struct {
	Method string `json:"method"`
	Params any    `json:"params,omitempty"`
}

// printRequests prints the commands an update would send, one NDJSON line
// each (or one JSON array with --json).
func (c *cli) printRequests(ctx context.Context, o *outputFlags, method string, rows []updateRow) error {
	reqs := make([]dryRequest, len(rows))
	for i, r := range rows {
		reqs[i] = dryRequest{Method: method, Params: r.Params}
	}
	err := c.emit(ctx, o, reqs, func(w io.Writer) error {
		for _, r := range reqs {
			b, err := marshalJSON(r, "")
			if err != nil {
				return err
			}
			if _, err := w.Write(append(unescapeJSON(b), '\n')); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !c.g.quiet {
		fmt.Fprintf(c.stderr, "%s: dry run: %s would be sent; nothing was sent\n", c.name, plural(int64(len(reqs)), "command"))
	}
	return nil
}

// dryCall shows what one call would do: for crm.<entity>.update with an
// integer id and fields, the field diff; otherwise the request.
func (c *cli) dryCall(ctx context.Context, api *b24.API, method string, params json.RawMessage, o *outputFlags) error {
	if rows, m, ok := crmUpdateRows([]b24.Cmd{{Method: method, Params: params}}); ok {
		u := &updater{c: c, method: m}
		return u.showDryRun(ctx, api, rows, o)
	}
	req := dryRequest{Method: method, Params: params}
	err := c.emit(ctx, o, req, func(w io.Writer) error {
		b, err := marshalJSON(req, "")
		if err == nil {
			_, err = w.Write(append(unescapeJSON(b), '\n'))
		}
		return err
	})
	if err == nil {
		fmt.Fprintf(c.stderr, "%s: dry run: nothing was sent\n", c.name)
	}
	return err
}
