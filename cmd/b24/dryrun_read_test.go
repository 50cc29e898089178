package main

import (
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestReadCurrentBatched: the current values of 120 rows come in one
// request (three id-filtered lists of 50 in one batch), nothing is
// written, and a missing record is missing from the map.
func TestReadCurrentBatched(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 130}))
	ids := dealIDs(t, p)[:120]
	var rows []updateRow
	for i, id := range ids {
		rows = append(rows, updateRow{Row: i + 1, ID: int64(id),
			Params: map[string]any{"id": id, "fields": map[string]any{"TITLE": "x", "OPPORTUNITY": "1"}}})
	}
	rows = append(rows, updateRow{Row: 121, ID: 99999999, Params: map[string]any{"id": 99999999, "fields": map[string]any{"TITLE": "x"}}})
	before := p.s.Audit()
	cur, err := readCurrent(t.Context(), p.s.Hook().V2(), "deal", rows)
	if err != nil {
		t.Fatal(err)
	}
	a := p.s.Audit()
	if n := a.Requests - before.Requests; n > (len(rows)+24)/25 || n != 1 {
		t.Errorf("%d requests for %d rows, want 1", n, len(rows))
	}
	if len(a.Writes) != len(before.Writes) {
		t.Errorf("a dry run wrote %d records", len(a.Writes)-len(before.Writes))
	}
	if len(cur) != 120 {
		t.Fatalf("%d records read, want 120", len(cur))
	}
	if _, ok := cur[99999999]; ok {
		t.Error("a missing record was found")
	}
	for _, id := range ids {
		if r := cur[int64(id)]; r == nil || foldValue(r, "TITLE") == nil || foldValue(r, "OPPORTUNITY") == nil {
			t.Fatalf("record %d lacks the written fields: %v", id, r)
		}
	}
}

func TestCRMEntity(t *testing.T) {
	for m, want := range map[string]string{"crm.deal.update": "deal", "CRM.Contact.Update": "contact", "crm.item.update": "item",
		"crm.deal.add": "", "tasks.task.update": "", "crm..update": "", "crm.deal.productrows.update": ""} {
		got, ok := crmEntity(m)
		if got != want || ok != (want != "") {
			t.Errorf("crmEntity(%q) = %q %v, want %q", m, got, ok, want)
		}
	}
}

// TestListCmdItem: crm.item's lists filter and select in camelCase and
// carry entityTypeId.
func TestListCmdItem(t *testing.T) {
	c := listCmd("item", []updateRow{{ID: 5, Params: map[string]any{"entityTypeId": "2", "fields": map[string]any{"title": "x"}}}})
	p := c.Params.(map[string]any)
	if c.Method != "crm.item.list" || p["entityTypeId"] != "2" || p["filter"].(map[string]any)["@id"] == nil {
		t.Errorf("%+v", c)
	}
}
