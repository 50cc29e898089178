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
		Table     string
		Rows      int
		Complete  bool
		LastRun   string `json:"last_run"`
		Watermark string
		Duration  int64 `json:"duration_ns"`
		Requests  int
		Mode      string
	}
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &st) != nil || len(st) != 1 || st[0].Table != "crm_deal" || st[0].Rows == 0 ||
		!st[0].Complete || st[0].LastRun == "" || st[0].Watermark != st[0].LastRun || st[0].Duration <= 0 || st[0].Requests == 0 || st[0].Mode != "changes" {
		t.Fatalf("status --json: %d %q", r.code, r.stdout)
	}
	for _, args := range [][]string{{"sync", "crm.deal"}, {"sync", "--db", db}, {"sync", "--db", db, "--status", "crm.deal"},
		{"sync", "--db", "mysql://x", "crm.deal"}, {"sync", "--db", db, "crm.nothing"}} {
		if r := p.run(t, "", args...); r.code != exitUsage && r.code != exitAPI && r.code != 1 || r.code == exitOK {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
}

// TestSyncOfflineQueue: with an application profile, b24 sync takes the
// deal events of the application's offline queue (an update and a
// deletion: 2 rows from the queue) and clears them; polling still runs.
func TestSyncOfflineQueue(t *testing.T) {
	p := newPortal(t)
	first := p.s.RegisterApp("local.sync", "syncclientsecret")
	env := []string{"B24_WEBHOOK=", "XDG_CONFIG_HOME=" + t.TempDir()}
	run := func(stdin string, args ...string) result {
		t.Helper()
		r := p.runEnv(t, env, stdin, args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d %q", args, r.code, r.stderr)
		}
		return r
	}
	run("syncclientsecret\n"+first.RefreshToken+"\n", "auth", "add", "--app", "--portal", p.s.URL(), "--client-id", "local.sync",
		"--token-url", p.s.OAuthURL(), "shop")
	for _, ev := range []string{"ONCRMDEALUPDATE", "ONCRMDEALDELETE"} {
		run("", "--profile", "shop", "events", "bind", ev, "--offline")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "crm.db")
	run("", "--profile", "shop", "sync", "--db", db, "--quiet", "crm.deal")
	if _, err := p.s.CallAs(1, "crm.deal.update", map[string]any{"id": 2, "fields": map[string]any{"TITLE": "queued"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.s.CallAs(1, "crm.deal.delete", map[string]any{"id": 3}); err != nil {
		t.Fatal(err)
	}
	if n := p.s.OfflineRecords(""); n != 2 {
		t.Fatalf("the queue holds %d records, want 2", n)
	}
	r := run("", "--profile", "shop", "sync", "--db", db, "--quiet", "--json", "crm.deal")
	var rep struct {
		Mode               string
		FromQueue, Deleted int
	}
	if json.Unmarshal([]byte(r.stdout), &rep) != nil || rep.FromQueue != 2 || rep.Deleted != 1 || rep.Mode != "changes" {
		t.Fatalf("sync: %q %q", r.stdout, r.stderr)
	}
	if n := p.s.OfflineRecords(""); n != 0 {
		t.Fatalf("the queue holds %d records after the sync, want 0", n)
	}
}
