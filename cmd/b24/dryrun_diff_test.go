package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDiffRows(t *testing.T) {
	cur := map[int64]map[string]any{
		1: {"ID": "1", "TITLE": "Old", "OPPORTUNITY": "1500.00", "CURRENCY_ID": "EUR"},
		2: {"ID": "2", "TITLE": "Same", "OPPORTUNITY": json.Number("10")},
	}
	rows := []updateRow{
		{Row: 1, ID: 1, Params: map[string]any{"fields": map[string]any{"TITLE": "New", "OPPORTUNITY": "1500", "CURRENCY_ID": "USD"}}},
		{Row: 2, ID: 2, Params: map[string]any{"fields": map[string]any{"title": "Same", "OPPORTUNITY": json.Number("10.0")}}},
		{Row: 3, ID: 3, Params: map[string]any{"fields": map[string]any{"TITLE": "x"}}},
		{Row: 4, ID: 1, Params: map[string]any{"fields": map[string]any{"COMMENTS": "hi"}}},
	}
	diffs := diffRows(rows, cur)
	var b strings.Builder
	writeDiff(&b, diffs)
	want := `ID 1 (row 1):
  CURRENCY_ID: "EUR" → "USD"
  TITLE: "Old" → "New"
ID 2 (row 2): no change
ID 3 (row 3): not found
ID 1 (row 4):
  COMMENTS: (empty) → "hi"
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	changed, fields, same, missing := diffCounts(diffs)
	if changed != 2 || fields != 3 || same != 1 || missing != 1 {
		t.Errorf("counts %d %d %d %d", changed, fields, same, missing)
	}
}
