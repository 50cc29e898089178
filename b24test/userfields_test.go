package b24test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// callJSON runs a method through CallAs and decodes its result into out.
func callJSON(t *testing.T, s *Server, method string, params any, out any) {
	t.Helper()
	raw, err := s.CallAs(1, method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v in %s", method, err, raw)
		}
	}
}

// changedSince lists the ids of crm.deal.list with >=DATE_MODIFY since.
func changedSince(t *testing.T, s *Server, since string) []string {
	t.Helper()
	var rows []map[string]any
	callJSON(t, s, "crm.deal.list", map[string]any{"filter": map[string]any{">=DATE_MODIFY": since},
		"select": []string{"ID", "DATE_MODIFY"}, "order": map[string]string{"ID": "ASC"}}, &rows)
	var ids []string
	for _, r := range rows {
		ids = append(ids, r["ID"].(string))
	}
	return ids
}

// TestClockOffsetDates: with the portal's clock 7 minutes ahead of the
// host's, server.time and the DATE_MODIFY an update sets are in portal
// time, and a >=DATE_MODIFY filter given in another zone with an explicit
// offset selects by the instant, to the second.
func TestClockOffsetDates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(t, InMemory(), WithSeed(Seed{Deals: 20}), WithClockOffset(7*time.Minute))
		time.Sleep(time.Hour) // seeded dates lie before the start
		host := time.Now()
		var st string
		callJSON(t, s, "server.time", nil, &st)
		pt, err := time.Parse(time.RFC3339, st)
		if err != nil || !pt.Equal(host.Add(7*time.Minute).Truncate(time.Second)) {
			t.Fatalf("server.time = %s (%v), want host + 7m = %s", st, err, host.Add(7*time.Minute))
		}
		callJSON(t, s, "crm.deal.update", map[string]any{"id": 3, "fields": map[string]any{"TITLE": "x"}}, nil)
		time.Sleep(time.Second)
		callJSON(t, s, "crm.deal.update", map[string]any{"id": 5, "fields": map[string]any{"TITLE": "y"}}, nil)
		var d map[string]any
		callJSON(t, s, "crm.deal.get", map[string]any{"id": 3}, &d)
		if d["DATE_MODIFY"] != st {
			t.Errorf("DATE_MODIFY = %v, want the portal's time %s", d["DATE_MODIFY"], st)
		}
		utc := time.FixedZone("", -5*3600)
		for _, c := range []struct {
			since time.Time
			want  []string
		}{
			{pt, []string{"3", "5"}},
			{pt.Add(time.Second), []string{"5"}},
			{pt.Add(2 * time.Second), nil},
			{host, []string{"3", "5"}}, // the host's clock is 7 minutes behind: still both
		} {
			if got := changedSince(t, s, c.since.In(utc).Format(time.RFC3339)); !slices.Equal(got, c.want) {
				t.Errorf(">=DATE_MODIFY %s: %v, want %v", c.since.In(utc).Format(time.RFC3339), got, c.want)
			}
		}
	})
}

// TestRestoreKeepsIDAndDate: a deleted deal is gone from lists and get; a
// restored one is back under its id with its old DATE_MODIFY, so it is not
// among the deals changed since its deletion.
func TestRestoreKeepsIDAndDate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(t, InMemory(), WithSeed(Seed{Deals: 10}))
		var before map[string]any
		callJSON(t, s, "crm.deal.get", map[string]any{"id": 4}, &before)
		callJSON(t, s, "crm.deal.delete", map[string]any{"id": 4}, nil)
		if _, err := s.CallAs(1, "crm.deal.get", map[string]any{"id": 4}); err == nil {
			t.Fatal("deleted deal still found")
		}
		time.Sleep(time.Minute)
		var now string
		callJSON(t, s, "server.time", nil, &now)
		if err := s.Restore("crm.deal", 4); err != nil {
			t.Fatal(err)
		}
		if err := s.Restore("crm.deal", 4); err == nil {
			t.Error("a second restore succeeded")
		}
		var after map[string]any
		callJSON(t, s, "crm.deal.get", map[string]any{"id": 4}, &after)
		if after["DATE_MODIFY"] != before["DATE_MODIFY"] || after["TITLE"] != before["TITLE"] {
			t.Errorf("restored %v/%v, want %v/%v", after["DATE_MODIFY"], after["TITLE"], before["DATE_MODIFY"], before["TITLE"])
		}
		if got := changedSince(t, s, now); len(got) != 0 {
			t.Errorf("changed since the delete: %v, want none", got)
		}
	})
}

// TestUserFieldLifecycle: a user field added at run time is described by
// crm.deal.fields with its type, null on existing deals, written by update
// (which moves DATE_MODIFY), listed by UF_* and by name; deleted and added
// again as multiple integer, its old values are gone.
func TestUserFieldLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(t, InMemory(), WithSeed(Seed{Deals: 5}))
		if err := s.AddUserField("crm.deal", UserField{Name: "UF_CRM_SIZE", Type: "double"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddUserField("crm.deal", UserField{Name: "UF_CRM_SIZE", Type: "string"}); err == nil {
			t.Error("a duplicate user field was added")
		}
		fieldType := func() (string, bool) {
			var fs map[string]struct {
				Type       string `json:"type"`
				IsMultiple bool   `json:"isMultiple"`
			}
			callJSON(t, s, "crm.deal.fields", nil, &fs)
			return fs["UF_CRM_SIZE"].Type, fs["UF_CRM_SIZE"].IsMultiple
		}
		if typ, mul := fieldType(); typ != "double" || mul {
			t.Errorf("fields: %s multiple=%v, want double", typ, mul)
		}
		time.Sleep(time.Minute)
		callJSON(t, s, "crm.deal.update", map[string]any{"id": 2, "fields": map[string]any{"UF_CRM_SIZE": "12.5"}}, nil)
		var rows []map[string]any
		callJSON(t, s, "crm.deal.list", map[string]any{"select": []string{"ID", "UF_CRM_SIZE"}}, &rows)
		if len(rows) != 5 || rows[0]["UF_CRM_SIZE"] != nil || rows[1]["UF_CRM_SIZE"] != "12.50" {
			t.Fatalf("list: %v", rows)
		}
		var st string
		callJSON(t, s, "server.time", nil, &st)
		if got := changedSince(t, s, st); !slices.Equal(got, []string{"2"}) {
			t.Errorf("changed by the write: %v, want [2]", got)
		}
		if err := s.DeleteUserField("crm.deal", "UF_CRM_SIZE"); err != nil {
			t.Fatal(err)
		}
		if err := s.AddUserField("crm.deal", UserField{Name: "UF_CRM_SIZE", Type: "integer", Multiple: true}); err != nil {
			t.Fatal(err)
		}
		if typ, mul := fieldType(); typ != "integer" || !mul {
			t.Errorf("recreated: %s multiple=%v, want integer multiple", typ, mul)
		}
		var d map[string]any
		callJSON(t, s, "crm.deal.get", map[string]any{"id": 2}, &d)
		if b, _ := json.Marshal(d["UF_CRM_SIZE"]); string(b) != "[]" {
			t.Errorf("recreated field on deal 2 = %s, want []", b)
		}
		callJSON(t, s, "crm.deal.update", map[string]any{"id": 2, "fields": map[string]any{"UF_CRM_SIZE": []string{"1", "2"}}}, nil)
		callJSON(t, s, "crm.deal.get", map[string]any{"id": 2}, &d)
		if b, _ := json.Marshal(d["UF_CRM_SIZE"]); string(b) != `["1","2"]` {
			t.Errorf("multiple write = %s", b)
		}
		if err := s.AddUserField("tasks.task", UserField{Name: "UF_X"}); err == nil || !strings.Contains(err.Error(), "CRM") {
			t.Errorf("user field on tasks: %v", err)
		}
	})
}
