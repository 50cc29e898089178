package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
)

// TestPingApp: ping with an application profile prints the portal, the
// client id and the user the tokens act for, no "webhook:" line (an
// application has no webhook URL), and never the client secret or a token.
func TestPingApp(t *testing.T) {
	p := newPortal(t)
	env := appProfile(t, p)
	var all strings.Builder
	for _, s := range []struct {
		name string
		args []string
	}{
		{"ping_app", []string{"ping"}},
		{"ping_app_json", []string{"ping", "--json"}},
		{"ping_app_status", []string{"auth", "status"}},
	} {
		r := p.runEnv(t, env, "", s.args...)
		goldenRun(t, s.name+".golden", r, exitOK)
		all.WriteString(r.stdout + r.stderr)
	}
	tok, err := oauth.FileStore{Path: filepath.Join(cfgDir(env), "b24", "tokens", "shop.json")}.Load(context.Background())
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("no tokens saved: %v", err)
	}
	for _, secret := range []string{"appclientsecret1", tok.AccessToken, tok.RefreshToken, "s3cr3tS3CR3Tsecr"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("an output shows a secret:\n%s", all.String())
		}
	}
	if strings.Contains(all.String(), "webhook") {
		t.Errorf("an application's ping speaks of a webhook:\n%s", all.String())
	}
}

// cfgDir returns the XDG_CONFIG_HOME of env.
func cfgDir(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_CONFIG_HOME="); ok {
			return v
		}
	}
	return ""
}

// TestCommandsAsApp runs every command that talks to a portal with the
// webhook, with an application profile, and with that profile whose access
// token is expired before every command (each command then refreshes,
// saves the pair to the token file and resends the call that met
// expired_token), each pass against its own fake portal seeded alike.
// What a command prints must be the same for all three (for the expired
// pass, but for the count of requests and retries), except where the table
// says how it differs (the event methods refuse a webhook).
func TestCommandsAsApp(t *testing.T) {
	if testing.Short() {
		t.Skip("two portals, every command")
	}
	seed := b24test.WithSeed(b24test.Seed{Seed: 7, Deals: 40})
	type step struct {
		name      string
		stdin     string
		args      []string
		hook, app int    // the exit codes
		differ    bool   // the outputs may differ (checked by the codes and want)
		wantApp   string // in the application's stdout and stderr
		local     bool   // reads no portal (no refresh)
	}
	dir := t.TempDir()
	steps := []step{
		{name: "ping", args: []string{"ping", "--jq", ".user_id"}},
		{name: "call get", args: []string{"call", "crm.deal.get", "id=3", "--jq", ".TITLE"}},
		{name: "list v3", args: []string{"list", "tasks.task.list", "--api", "v3", "--select", "id,title", "--format", "csv"}},
		{name: "list", args: []string{"list", "crm.deal.list", "--select", "ID,TITLE", "--format", "csv"}},
		{name: "list v3 limits", args: []string{"list", "crm.deal.list", "--plan", "enterprise", "--adaptive", "--burst", "5", "--select", "ID", "--format", "csv"}},
		{name: "list checkpoint", args: []string{"list", "crm.deal.list", "--select", "ID", "-o", "OUT/list.csv", "--checkpoint", "OUT/cp"}},
		{name: "batch", stdin: `{"key":"a","method":"crm.deal.get","params":{"id":5}}` + "\n" + `{"key":"b","method":"crm.deal.update","params":{"id":5,"fields":{"TITLE":"Both"}}}` + "\n", args: []string{"batch"}},
		{name: "update", args: []string{"update", "crm.deal.update", "--from", "OUT/update.csv", "--journal", "OUT/uj"}},
		{name: "add", args: []string{"add", "deal", "--from", "OUT/add.csv", "--journal", "OUT/aj"}},
		{name: "methods", args: []string{"methods", "crm.deal.l*"}},
		{name: "fields", args: []string{"fields", "crm.deal", "--jq", "length"}},
		// An application's sync reads the offline queue first: more requests.
		{name: "sync", args: []string{"sync", "--db", "sqlite:OUT/db.sqlite", "--quiet", "crm.deal"}, differ: true, wantApp: "45 rows written"},
		{name: "sync status", args: []string{"sync", "--db", "sqlite:OUT/db.sqlite", "--status"}, differ: true, local: true, wantApp: "crm_deal  crm.deal  45 "},
		{name: "events bind", args: []string{"events", "bind", "ONCRMDEALUPDATE", "--offline"}, hook: exitAPI, differ: true},
		{name: "events list", args: []string{"events", "list"}, hook: exitAPI, differ: true, wantApp: "ONCRMDEALUPDATE"},
		{name: "events pull", args: []string{"events", "pull"}, hook: exitAPI, differ: true},
		{name: "events unbind", args: []string{"events", "unbind", "ONCRMDEALUPDATE", "--offline"}, hook: exitAPI, differ: true},
	}
	runAll := func(kind string, expire bool) ([]result, *portal) {
		p := newPortal(t, seed)
		out := filepath.Join(dir, fmt.Sprint(kind, expire))
		mkInputs(t, p, out)
		var env []string
		if kind == "app" {
			env = appProfile(t, p)
		}
		var rs []result
		for _, s := range steps {
			if expire {
				p.s.ExpireAccessTokens()
			}
			args := make([]string, len(s.args))
			for i, a := range s.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			before := p.s.Refreshes()
			r := p.runEnv(t, env, s.stdin, args...)
			if expire && !s.local && p.s.Refreshes() == before {
				t.Errorf("%s: no refresh with an expired access token", s.name)
			}
			r.stdout, r.stderr = reStamp.ReplaceAllString(normalize(r.stdout, out), "TIME"), reStamp.ReplaceAllString(normalize(r.stderr, out), "TIME")
			want := s.hook
			if kind == "app" {
				want = s.app
			}
			if r.code != want {
				t.Errorf("%s as %s: exit %d, want %d\n%s%s", s.name, kind, r.code, want, r.stdout, r.stderr)
			}
			if kind == "app" && s.wantApp != "" && !strings.Contains(r.stdout+r.stderr, s.wantApp) {
				t.Errorf("%s as app: stdout %q lacks %q", s.name, r.stdout, s.wantApp)
			}
			rs = append(rs, r)
		}
		return rs, p
	}
	hook, _ := runAll("hook", false)
	app, _ := runAll("app", false)
	expired, pe := runAll("app", true)
	for i, s := range steps {
		if s.differ {
			continue
		}
		if hook[i] != app[i] {
			t.Errorf("%s: the application's output differs from the webhook's\n--- webhook\n%s%s--- app\n%s%s",
				s.name, hook[i].stdout, hook[i].stderr, app[i].stdout, app[i].stderr)
		}
		if h, e := countsOut(hook[i]), countsOut(expired[i]); h != e {
			t.Errorf("%s: the application's output after an expiry differs from the webhook's\n--- webhook\n%s%s--- app\n%s%s",
				s.name, h.stdout, h.stderr, e.stdout, e.stderr)
		}
	}
	t.Logf("%d commands, %d refreshes with tokens expired before each", len(steps), pe.s.Refreshes())
}

// reStamp matches the fake's times, which follow its start.
var reStamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d`)

var reCounts = regexp.MustCompile(`\b\d+ (request|retr)(s|y|ies)?\b`)

// countsOut replaces the counts of requests and retries in r's output.
func countsOut(r result) result {
	r.stdout, r.stderr = reCounts.ReplaceAllString(r.stdout, "N $1"), reCounts.ReplaceAllString(r.stderr, "N $1")
	return r
}

// mkInputs writes the update and add inputs of TestCommandsAsApp into dir.
func mkInputs(t *testing.T, p *portal, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ids := dealIDs(t, p)[:10]
	if got := writeUpdateCSV(t, dir, ids, "Same"); got != filepath.Join(dir, "update.csv") {
		t.Fatal(got)
	}
	var b strings.Builder
	b.WriteString("TITLE\n")
	for i := range 5 {
		fmt.Fprintf(&b, "New %d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "add.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
