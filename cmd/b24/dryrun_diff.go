package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
)

// fieldChange is one field a dry run would change.
type fieldChange struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// rowDiff is what a dry run shows of one row: the fields that would
// change, those already holding the value, or that the record is missing.
type rowDiff struct {
	Row       int           `json:"row"`
	ID        int64         `json:"id"`
	Missing   bool          `json:"missing,omitempty"`
	Changes   []fieldChange `json:"changes"`
	Unchanged []string      `json:"unchanged,omitempty"`
}

// diffRows compares each row's fields with its record's current values.
func diffRows(rows []updateRow, current map[int64]map[string]any) []rowDiff {
	out := make([]rowDiff, 0, len(rows))
	for _, r := range rows {
		d := rowDiff{Row: r.Row, ID: r.ID, Changes: []fieldChange{}}
		rec, ok := current[r.ID]
		if !ok {
			d.Missing = true
			out = append(out, d)
			continue
		}
		fields := rowFields(r)
		names := make([]string, 0, len(fields))
		for f := range fields {
			names = append(names, f)
		}
		slices.Sort(names)
		for _, f := range names {
			cur := foldValue(rec, f)
			if sameValue(cur, fields[f]) {
				d.Unchanged = append(d.Unchanged, f)
				continue
			}
			d.Changes = append(d.Changes, fieldChange{Field: f, From: cur, To: fields[f]})
		}
		out = append(out, d)
	}
	return out
}

// foldValue is rec's value of field, its name's case ignored.
func foldValue(rec map[string]any, field string) any {
	if v, ok := rec[field]; ok {
		return v
	}
	for k, v := range rec {
		if strings.EqualFold(k, field) {
			return v
		}
	}
	return nil
}

// sameValue reports whether the portal's value cur already is want: equal
// text, equal numbers ("1500.00" and 1500), or equal JSON for lists and
// objects. It is for display only: the update's own read-back decides
// with reconcile.CRMUpdate's stricter rules.
func sameValue(cur, want any) bool {
	a, b := scalarText(cur), scalarText(want)
	if a == b {
		return true
	}
	x, okx := new(big.Rat).SetString(a)
	y, oky := new(big.Rat).SetString(b)
	return okx && oky && x.Cmp(y) == 0
}

// scalarText is v's text: a string trimmed, anything else as JSON (a
// json.Number keeps its text).
func scalarText(v any) string {
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s)
	}
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// writeDiff prints diffs for a person: one line per changed field.
func writeDiff(w io.Writer, diffs []rowDiff) {
	for _, d := range diffs {
		switch {
		case d.Missing:
			fmt.Fprintf(w, "ID %d (row %d): not found\n", d.ID, d.Row)
		case len(d.Changes) == 0:
			fmt.Fprintf(w, "ID %d (row %d): no change\n", d.ID, d.Row)
		default:
			fmt.Fprintf(w, "ID %d (row %d):\n", d.ID, d.Row)
			for _, c := range d.Changes {
				fmt.Fprintf(w, "  %s: %s → %s\n", c.Field, showValue(c.From), showValue(c.To))
			}
		}
	}
}

// showValue quotes a value as JSON (so "" and a space are visible).
func showValue(v any) string {
	if v == nil {
		return "(empty)"
	}
	b, err := marshalJSON(v, "")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// diffCounts sums diffs for the summary line.
func diffCounts(diffs []rowDiff) (changed, fields, same, missing int) {
	for _, d := range diffs {
		switch {
		case d.Missing:
			missing++
		case len(d.Changes) == 0:
			same++
		default:
			changed++
			fields += len(d.Changes)
		}
	}
	return
}
