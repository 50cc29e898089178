package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// appProfile registers an application on p and adds the profile "shop"
// for it (auth add --app); it returns the environment that selects it.
func appProfile(t *testing.T, p *portal) []string {
	t.Helper()
	first := p.s.RegisterApp("local.app.1", "appclientsecret1")
	env := []string{"B24_WEBHOOK=", "XDG_CONFIG_HOME=" + t.TempDir(), "B24_PROFILE=shop"}
	r := p.runEnv(t, env, "appclientsecret1\n"+first.RefreshToken+"\n", "auth", "add", "--app", "--portal", p.s.URL(),
		"--client-id", "local.app.1", "--token-url", p.s.OAuthURL(), "shop")
	if r.code != exitOK {
		t.Fatalf("auth add --app: %d %s", r.code, r.stderr)
	}
	return env
}

// addDealsAs adds n deals on the fake (each raises ONCRMDEALADD) and
// returns their ids.
func addDealsAs(t *testing.T, p *portal, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		raw, err := p.s.CallAs(1, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": fmt.Sprint("e", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strings.Trim(string(raw), `"`))
	}
	return ids
}

var reEventTime = regexp.MustCompile(`"time":"[^"]*"`)

// TestEventsApp: bind, list, pull and unbind with an application profile,
// against golden files.
func TestEventsApp(t *testing.T) {
	p := newPortal(t)
	env := appProfile(t, p)
	run := func(name string, code int, args ...string) result {
		t.Helper()
		r := p.runEnv(t, env, "", args...)
		r.stdout = reEventTime.ReplaceAllString(r.stdout, `"time":"<time>"`)
		goldenRun(t, name+".golden", r, code)
		return r
	}
	run("events_app_bind", exitOK, "events", "bind", "ONCRMDEALADD", "--offline")
	run("events_app_bind_again", exitAPI, "events", "bind", "ONCRMDEALADD", "--offline")
	run("events_app_list", exitOK, "events", "list")
	ids := addDealsAs(t, p, 3)
	r := run("events_app_pull", exitOK, "events", "pull")
	for _, id := range ids {
		if !strings.Contains(r.stdout, `"id":"`+id+`"`) {
			t.Errorf("deal %s not pulled", id)
		}
	}
	run("events_app_pull_empty", exitOK, "events", "pull")
	run("events_app_unbind", exitOK, "events", "unbind", "ONCRMDEALADD", "--offline")
	if n := p.s.OfflineRecords(""); n != 0 {
		t.Fatalf("records left: %d", n)
	}
}

// TestKillPull kills the real "b24 events pull --follow -o FILE" with
// SIGKILL at seeded moments while deals are added between runs; after a
// last pull, the file holds every event at least once, each line whole,
// and the queue is empty.
func TestKillPull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := buildB24(t)
	p := newPortal(t)
	env := append(append([]string{}, p.env...), appProfile(t, p)...)
	if r := p.runEnv(t, env, "", "events", "bind", "ONCRMDEALADD", "--offline"); r.code != exitOK {
		t.Fatalf("bind: %s", r.stderr)
	}
	out := filepath.Join(t.TempDir(), "events.ndjson")
	args := []string{"events", "pull", "--follow", "--poll", "20ms", "--limit", "3", "-o", out, "--time-scale", "20"}
	rng := rand.New(rand.NewPCG(20261207, 4))
	var ids []string
	kills := 0
	for range 6 {
		before := countLines(out)
		ids = append(ids, addDealsAs(t, p, 40)...)
		k := 1 + rng.IntN(39) // killed once k more lines are written: mid-way through the queue
		killAfterLines(t, bin, env, out, before+k, args...)
		kills++
	}
	if code, msg := runBin(t, bin, env, "events", "pull", "-o", out, "--time-scale", "20"); code != 0 {
		t.Fatalf("last pull: exit %d: %s", code, msg)
	}
	seen, lines := readEvents(t, out)
	dups := 0
	for _, id := range ids {
		if seen[id] == 0 {
			t.Errorf("deal %s: its event never written", id)
		}
		dups += max(seen[id]-1, 0)
	}
	if n := p.s.OfflineRecords(""); n != 0 {
		t.Fatalf("records left: %d", n)
	}
	t.Logf("%d kills, %d events, %d lines, %d duplicates", kills, len(ids), lines, dups)
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// killAfterLines starts the binary and kills it with SIGKILL as soon as the
// file holds n lines; it fails if the binary exits first.
func killAfterLines(t *testing.T, bin string, env []string, path string, n int, args ...string) {
	t.Helper()
	cmd, done, errb := startWaited(t, bin, env, args...)
	deadline := time.Now().Add(60 * time.Second)
	for countLines(path) < n {
		select {
		case err := <-done:
			t.Fatalf("pull exited before %d lines: %v\n%s", n, err, errb.String())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}
