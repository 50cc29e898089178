package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSync: b24 sync copies the fake's deals into SQLite (first run: a
// full walk), a second run reads the changes, --hints reads events'
// ids, --status prints the table's state as text and JSON; usage errors
// exit 2 before any request.
func TestSync(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crm.db")
	r := p.run(t, "", "sync", "--db", db, "--quiet", "crm.deal")
	if r.code != exitOK || !strings.Contains(r.stderr, "sync crm_deal: full;") {
		t.Fatalf("first sync: %d %q", r.code, r.stderr)
	}
	hints := filepath.Join(dir, "events.ndjson")
	os.WriteFile(hints, []byte(`{"event":"ONCRMDEALUPDATE","entity":"CRMDEAL","id":"2"}`+"\n"), 0o600)
	r = p.run(t, "", "sync", "--db", db, "--quiet", "--json", "--hints", hints, "crm.deal")
	var rep struct {
		Mode   string
		Hinted int
	}
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &rep) != nil || rep.Mode != "changes" || rep.Hinted != 1 {
		t.Fatalf("second sync: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = p.run(t, "", "sync", "--db", db, "--status")
	if r.code != exitOK || !strings.Contains(r.stdout, "crm_deal") || !strings.Contains(r.stdout, "changes") {
		t.Fatalf("status: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = p.run(t, "", "sync", "--db", db, "--status", "--json")
	var st []struct {
		Table string
		Rows  int
	}
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &st) != nil || len(st) != 1 || st[0].Rows == 0 {
		t.Fatalf("status --json: %d %q", r.code, r.stdout)
	}
	for _, args := range [][]string{{"sync", "crm.deal"}, {"sync", "--db", db}, {"sync", "--db", db, "--status", "crm.deal"},
		{"sync", "--db", "mysql://x", "crm.deal"}, {"sync", "--db", db, "crm.nothing"}} {
		if r := p.run(t, "", args...); r.code != exitUsage && r.code != exitAPI && r.code != 1 || r.code == exitOK {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
}
