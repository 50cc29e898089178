package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/events/offline"
	"github.com/b24go/b24/oauth"
)

// TestKillAppRefresh kills the real "b24 events pull --follow" of an
// application profile with SIGKILL right when the fake has issued it new
// tokens: the test expires the access token once the run has written some
// lines, waits for the refresh grant to be answered and kills the process
// 0-3 ms later, while the pair is read, saved (temporary file, fsync,
// rename, directory sync) or first used. After each kill, with the child's
// stderr read to the end: the token file loads (whole, the old pair or the
// new one), and the next run goes on without a new authorization. After a
// last pull, every event is in the output at least once, every line whole,
// and the queue is empty, and the temporary files of interrupted saves
// (they hold tokens) are gone after the next refresh.
func TestKillAppRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := buildB24(t)
	p := newPortal(t)
	env := append(append([]string{}, p.env...), appProfile(t, p)...)
	tokens := filepath.Join(cfgDir(env), "b24", "tokens", "shop.json")
	if r := p.runEnv(t, env, "", "events", "bind", "ONCRMDEALADD", "--offline"); r.code != exitOK {
		t.Fatalf("bind: %s", r.stderr)
	}
	out := filepath.Join(t.TempDir(), "events.ndjson")
	args := []string{"events", "pull", "--follow", "--poll", "20ms", "--limit", "3", "-o", out, "--time-scale", "20"}
	rng := rand.New(rand.NewPCG(20261207, 20))
	var ids []string
	var stderr strings.Builder
	unsaved := 0 // kills that left the pair before the refresh in the file
	const runs = 8
	for i := range runs {
		ids = append(ids, addDealsAs(t, p, 12)...)
		before := loadTokens(t, tokens)
		msg := killAtRefresh(t, p, bin, env, out, countLines(out)+1+rng.IntN(6), time.Duration(rng.IntN(3000))*time.Microsecond, args...)
		stderr.WriteString(msg)
		after := loadTokens(t, tokens) // fails the test if the file is not a whole token file
		if after.RefreshToken == before.RefreshToken {
			unsaved++
		}
		t.Logf("run %d: killed; %s", i, strings.TrimSpace(msg))
	}
	// The temporary files of the saves a kill interrupted hold tokens: the
	// next refresh (under the file's lock) removes those older than a minute.
	tmpGlob := filepath.Join(filepath.Dir(tokens), ".shop.json-*.tmp")
	tmps, _ := filepath.Glob(tmpGlob)
	for _, tmp := range tmps {
		old := time.Now().Add(-2 * time.Minute)
		os.Chtimes(tmp, old, old)
	}
	p.s.ExpireAccessTokens()
	if code, msg := runBin(t, bin, env, "events", "pull", "-o", out, "--time-scale", "20"); code != 0 {
		t.Fatalf("the pull after the kills: exit %d: %s", code, msg)
	}
	if code, msg := runBin(t, bin, env, "ping", "--time-scale", "20", "--jq", ".app"); code != 0 || msg != "local.app.1\n" {
		t.Fatalf("ping after the kills: exit %d: %s", code, msg)
	}
	seen, lines := readEvents(t, out)
	for _, id := range ids {
		if seen[id] == 0 {
			t.Errorf("deal %s: its event never written", id)
		}
	}
	if n := p.s.OfflineRecords(""); n != 0 {
		t.Errorf("records left: %d", n)
	}
	tok := loadTokens(t, tokens)
	for _, secret := range []string{"appclientsecret1", tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("a killed run printed a secret: %s", stderr.String())
		}
	}
	if left, _ := filepath.Glob(tmpGlob); len(left) > 0 {
		t.Errorf("temporary token files left after a refresh: %v", left)
	}
	t.Logf("%d kills (%d left the previous pair in the file, %d inside a save), %d refreshes, %d events, %d lines",
		runs, unsaved, len(tmps), p.s.Refreshes(), len(ids), lines)
}

// loadTokens loads the token file at path, failing the test when it is not
// a whole token file with a refresh token.
func loadTokens(t *testing.T, path string) oauth.Token {
	t.Helper()
	tok, err := oauth.FileStore{Path: path}.Load(context.Background())
	if err != nil || tok.RefreshToken == "" {
		b, _ := os.ReadFile(path)
		t.Fatalf("the token file after a kill: %v (%d bytes)", err, len(b))
	}
	return tok
}

// readEvents reads an events pull output: how often each id appears and
// the count of lines; a line that is not a whole event fails the test.
func readEvents(t *testing.T, path string) (map[string]int, int) {
	t.Helper()
	b, _ := os.ReadFile(path)
	seen := map[string]int{}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	for _, l := range lines {
		var e offline.Event
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatalf("a broken line %q: %v", l, err)
		}
		seen[e.ID]++
	}
	return seen, len(lines)
}

// killAtRefresh starts the binary, waits until the file at path holds n
// lines, expires the application's access token, and kills the process
// with SIGKILL delay after the fake answered the refresh grant. It returns
// what the process wrote on stderr, read to the end after the kill; it
// fails when the process exits by itself.
func killAtRefresh(t *testing.T, p *portal, bin string, env []string, path string, n int, delay time.Duration, args ...string) string {
	t.Helper()
	cmd, done, errb := startWaited(t, bin, env, args...)
	deadline := time.Now().Add(60 * time.Second)
	wait := func(cond func() bool, what string) {
		for !cond() {
			select {
			case err := <-done:
				t.Fatalf("pull exited before %s: %v\n%s", what, err, errb.String())
			case <-time.After(100 * time.Microsecond):
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-done
				t.Fatalf("no %s in 60 s:\n%s", what, errb.String())
			}
		}
	}
	wait(func() bool { return countLines(path) >= n }, "the lines")
	refreshes := p.s.Refreshes()
	p.s.ExpireAccessTokens()
	wait(func() bool { return p.s.Refreshes() > refreshes }, "refresh")
	time.Sleep(delay)
	cmd.Process.Kill()
	<-done // the pipe is read to its end: what it printed before the kill is all here
	return errb.String()
}
