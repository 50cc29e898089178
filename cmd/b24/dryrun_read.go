package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/b24go/b24"
	"github.com/b24go/b24/reconcile"
)

// crmEntity returns "deal" of crm.deal.update; ok is false for any other
// method. crm.item.update needs entityTypeId in its rows' params.
func crmEntity(method string) (entity string, ok bool) {
	p := strings.Split(strings.ToLower(method), ".")
	if len(p) != 3 || p[0] != "crm" || p[2] != "update" || p[1] == "" {
		return "", false
	}
	return p[1], true
}

// readCurrent reads the records rows would update, with the fields they
// write: id-filtered crm.<entity>.list commands of reconcile.ReadBackIDs records
// (filter @ID, select ID and those fields), up to 50 lists a batch
// request, so at most one request per 25 rows. A record not in the lists
// is missing from the map.
func readCurrent(ctx context.Context, api *b24.API, entity string, rows []updateRow) (map[int64]map[string]any, error) {
	var cmds []b24.Cmd
	for start := 0; start < len(rows); start += reconcile.ReadBackIDs {
		cmds = append(cmds, listCmd(entity, rows[start:min(start+reconcile.ReadBackIDs, len(rows))]))
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	res, err := api.BatchByChunk(ctx, cmds, b24.WithHalt(true))
	if err != nil {
		return nil, fmt.Errorf("reading the current values: %w", err)
	}
	out := map[int64]map[string]any{}
	for _, cr := range res.Commands {
		recs, err := listRecords(cr.Result)
		if err != nil {
			return nil, fmt.Errorf("reading the current values: %v", err)
		}
		for _, r := range recs {
			if id, ok := recordID(r); ok {
				out[id] = r
			}
		}
	}
	return out, nil
}

// listCmd is the list reading part's records and the fields they write.
func listCmd(entity string, part []updateRow) b24.Cmd {
	idKey, sel := "@ID", []string{"ID"}
	if entity == "item" {
		idKey, sel = "@id", []string{"id"}
	}
	ids := make([]int64, len(part))
	var fields []string
	for i, r := range part {
		ids[i] = r.ID
		for f := range rowFields(r) {
			fields = append(fields, f)
		}
	}
	slices.Sort(fields)
	sel = append(sel, slices.Compact(fields)...)
	p := map[string]any{"filter": map[string]any{idKey: ids}, "select": sel}
	if entity == "item" && len(part) > 0 {
		p["entityTypeId"] = part[0].Params["entityTypeId"]
	}
	return b24.Cmd{Method: "crm." + entity + ".list", Params: p}
}

// rowFields is what a row writes: its params' "fields".
func rowFields(r updateRow) map[string]any {
	f, _ := r.Params["fields"].(map[string]any)
	return f
}

// listRecords reads a list result: an array of records or crm.item's
// {"items": [...]}; numbers keep their text.
func listRecords(raw json.RawMessage) ([]map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if m, ok := v.(map[string]any); ok {
		v = m["items"]
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("the list result is not an array of records")
	}
	var recs []map[string]any
	for _, e := range arr {
		if r, ok := e.(map[string]any); ok {
			recs = append(recs, r)
		}
	}
	return recs, nil
}

// recordID is a record's ID (or id), as the portal's string or number.
func recordID(r map[string]any) (int64, bool) {
	for k, v := range r {
		if strings.EqualFold(k, "id") {
			var id int64
			_, err := fmt.Sscan(fmt.Sprint(v), &id)
			return id, err == nil
		}
	}
	return 0, false
}
