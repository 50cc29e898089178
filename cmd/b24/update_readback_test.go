package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/journal"
)

// TestUpdateReadBackBatchedAndConflict: a journal left by a crash says
// 120 rows were sent, answers unknown; 60 of them were applied. A colleague
// (user 7) then edits one applied and one unapplied deal. The rerun reads
// the 120 rows back in at most ceil(120/25) requests (it sent one
// crm.deal.get per row before), reports the two edited deals as conflicts
// (never sent: the colleague's value stays), settles 59 done and sends 59
// again. A second rerun finds the same conflicts and writes nothing.
func TestUpdateReadBackBatchedAndConflict(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 5, Deals: 130}))
	dir := t.TempDir()
	ids := dealIDs(t, p)[:120]
	in := writeUpdateCSV(t, dir, ids, "RB")
	jpath := filepath.Join(dir, "j")
	h := p.s.Hook()
	rows, hash, err := readUpdateInput(in, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &updater{from: in, method: "crm.deal.update", api: h.V2()}
	j, _, err := journal.Open(jpath, u.journalHeader(h, identity{user: h.UserID()}, hash, len(rows)))
	if err != nil {
		t.Fatal(err)
	}
	sent := float64(time.Now().UnixNano()) / 1e9
	for _, r := range rows {
		if err := j.Append(journal.Entry{Row: r.Row, ID: r.ID, State: journal.Sent, Time: sent}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	edit := func(user int, id int64, title string) {
		t.Helper()
		if _, err := p.s.CallAs(user, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": title}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows[:60] { // applied before the crash, as the webhook's user
		edit(1, r.ID, r.Params["fields"].(map[string]any)["TITLE"].(string))
	}
	edit(7, rows[0].ID, "colleague")
	edit(7, rows[61].ID, "colleague")

	before := p.s.Audit()
	r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", jpath)
	if r.code != exitPartial {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"settled by read: 59 done, 59 sent again", "applied:         59", "conflict:        2", "row 1 (ID", "row 62 (ID"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
	a := p.s.Audit()
	// The read-back, then the 59 rows sent again (two batches).
	if n, limit := a.Requests-before.Requests, (120+24)/25+2; n > limit || a.Calls("crm.deal.get") != 0 {
		t.Errorf("%d requests (at most %d), %d crm.deal.get", n, limit, a.Calls("crm.deal.get"))
	}
	for i, r := range rows {
		want := map[bool]int{true: 1}[i >= 60 && i != 61]
		if n := a.WriteCount("deal", int(r.ID)); n != want {
			t.Errorf("row %d: deal %d written %d times, want %d", r.Row, r.ID, n, want)
		}
	}
	got, _, err := b24.CallAs[[]struct{ TITLE string }](t.Context(), h.V2(), "crm.deal.list",
		map[string]any{"filter": map[string]any{"@ID": []int64{rows[0].ID, rows[61].ID}}, "select": []string{"TITLE"}})
	if err != nil || len(got) != 2 || got[0].TITLE != "colleague" || got[1].TITLE != "colleague" {
		t.Errorf("the colleague's values: %v %v", got, err)
	}
	// A rerun reads the two back again: still conflicts, nothing written.
	before = p.s.Audit()
	r = p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", jpath)
	if r.code != exitPartial || !strings.Contains(r.stderr, "conflict:        2") || !strings.Contains(r.stderr, "already done:    118") {
		t.Errorf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if a := p.s.Audit(); len(a.Writes) != len(before.Writes) || a.Requests-before.Requests != 1 {
		t.Errorf("rerun: %d requests, writes %d -> %d", a.Requests-before.Requests, len(before.Writes), len(a.Writes))
	}
}
