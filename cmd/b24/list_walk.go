package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24go/b24"
)

// walkList reads every row of a list method by id (filter on the last id
// seen, start=-1, so the portal never counts), one page a request, and
// calls page with each request's rows and the cursor that resumes the walk
// after them.
//
// It is the CLI's stand-in until the SDK's list walk (FetchListPages with
// chained batches and shards, WithResume) is on main; the cursor is opaque
// JSON to the rest of the command, so switching changes only this file.
func walkList(ctx context.Context, api *b24.API, method string, params map[string]any, resume json.RawMessage, page func(rows []json.RawMessage, cursor json.RawMessage) error) error {
	var cur struct {
		After int64 `json:"after"`
	}
	if len(resume) > 0 {
		if err := json.Unmarshal(resume, &cur); err != nil {
			return fmt.Errorf("checkpoint cursor: %v", err)
		}
	}
	idKey, filterKey, resultKey := "ID", "ID", ""
	switch {
	case strings.HasPrefix(method, "crm.item."):
		idKey, filterKey, resultKey = "id", "id", "items"
	case strings.HasPrefix(method, "tasks.task."):
		idKey, filterKey, resultKey = "id", "ID", "tasks"
	}
	filter := map[string]any{}
	if f, ok := params["filter"].(map[string]any); ok {
		for k, v := range f {
			filter[k] = v
		}
	}
	// A lower bound of the caller's on the id becomes the walk's start.
	for op, adj := range map[string]int64{">": 0, ">=": -1} {
		if v, ok := filter[op+filterKey]; ok {
			n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
			if err != nil {
				return fmt.Errorf("filter %s%s: not an integer", op, filterKey)
			}
			delete(filter, op+filterKey)
			if n+adj > cur.After {
				cur.After = n + adj
			}
		}
	}
	p := map[string]any{}
	for k, v := range params {
		p[k] = v
	}
	p["order"] = map[string]string{filterKey: "ASC"}
	p["start"] = -1
	for {
		f := map[string]any{}
		for k, v := range filter {
			f[k] = v
		}
		f[">"+filterKey] = cur.After
		p["filter"] = f
		resp, err := api.Call(ctx, method, p)
		if err != nil {
			return err
		}
		raw := resp.Result
		if resultKey != "" && b24.KindOf(raw) == b24.KindObject {
			if raw, err = b24.Unwrap(raw, resultKey); err != nil {
				return err
			}
		}
		var rows []json.RawMessage
		if b24.KindOf(raw) == b24.KindArray {
			if err := json.Unmarshal(raw, &rows); err != nil {
				return err
			}
		} else {
			return fmt.Errorf("%s: the result is not a list of rows", method)
		}
		for _, r := range rows {
			var row map[string]json.RawMessage
			if err := json.Unmarshal(r, &row); err != nil {
				return fmt.Errorf("%s: a row is not an object", method)
			}
			var id b24.ID
			if err := json.Unmarshal(row[idKey], &id); err != nil || id <= b24.ID(cur.After) {
				return fmt.Errorf("%s: row id %s does not advance the walk", method, strconv.Quote(string(row[idKey])))
			}
			cur.After = int64(id)
		}
		next, _ := json.Marshal(cur)
		if err := page(rows, next); err != nil {
			return err
		}
		if len(rows) < 50 {
			return nil
		}
	}
}
