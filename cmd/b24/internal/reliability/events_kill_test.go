package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24/internal/reltest"
)

// listener is one run of "b24 events listen" on 127.0.0.1.
type listener struct {
	cmd    *exec.Cmd
	url    string
	stdout *reltest.Buffer
	stderr *reltest.Buffer
}

const (
	eventsDomain = "alpha.bitrix24.com"
	eventsMember = "a1b2c3"
)

// startListener starts the binary and waits (10 s at most) for the
// address it prints.
func startListener(t *testing.T, spool, tokens string) *listener {
	t.Helper()
	l := &listener{stdout: &reltest.Buffer{}, stderr: &reltest.Buffer{}}
	l.cmd = exec.Command(b24Binary(t), "events", "listen", "--addr", "127.0.0.1:0", "--token-file", tokens, "--spool", spool)
	l.cmd.Stdout, l.cmd.Stderr = l.stdout, l.stderr
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.cmd.Process.Kill(); l.cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, addr, ok := strings.Cut(l.stderr.String(), "listening on "); ok {
			addr, _, _ = strings.Cut(addr, ",")
			l.url = "http://" + addr + "/"
			return l
		}
	}
	t.Fatalf("b24 events listen printed no address: %s", l.stderr.String())
	return nil
}

// printed returns the ids of the complete NDJSON lines on stdout; a line
// that is not an event fails the test. A running listener's output can end
// in the middle of a line (the copy from its pipe reads 32 KiB at a time, and
// the last run prints its backlog at once): that part is left for later.
func (l *listener) printed(t *testing.T) []string {
	t.Helper()
	var ids []string
	out := l.stdout.String()
	sc := bufio.NewScanner(strings.NewReader(out[:strings.LastIndexByte(out, '\n')+1]))
	for sc.Scan() {
		var e struct {
			ID, Event string
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.ID == "" {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// postEvent sends the portal's form for a deal update; true when the
// listener answered 200.
func postEvent(c *http.Client, u, id string) bool {
	v := url.Values{"event": {"ONCRMDEALUPDATE"}, "event_handler_id": {"7"}, "data[FIELDS][ID]": {id}, "ts": {id},
		"auth[domain]": {eventsDomain}, "auth[member_id]": {eventsMember}, "auth[application_token]": {reltest.Secret}}
	resp, err := c.Post(u, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestKillEventsListen: "b24 events listen" is killed with SIGKILL at
// seeded moments while 4 clients post events; every event it answered 200
// is printed on stdout by that run or the next (at least once), every line
// printed is a whole event, and no output holds the application token.
func TestKillEventsListen(t *testing.T) {
	dir := t.TempDir()
	spool, tokens := filepath.Join(dir, "spool"), filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte(eventsDomain+" "+eventsMember+" "+reltest.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("events listen")
	acked, printed := map[string]bool{}, map[string]bool{}
	r := rand.New(rand.NewPCG(reltest.DefaultSeed, 19))
	next := 0
	runs := reltest.EnvInt(t, "B24REL_RUNS", 3) + 1
	for run := range runs {
		l := startListener(t, spool, tokens)
		if run < runs-1 {
			kill := 20 + r.IntN(200) // acked events before the kill
			next = postUntilKilled(t, l, next, kill, acked)
		} else {
			waitPrinted(t, l, acked, printed)
		}
		l.cmd.Process.Kill() // SIGKILL on Unix
		l.cmd.Wait()
		if out := l.stdout.String(); out != "" && !strings.HasSuffix(out, "\n") {
			t.Errorf("run %d: stdout ends in a torn line: %q", run, out[strings.LastIndexByte(out, '\n')+1:])
		}
		for _, id := range l.printed(t) {
			printed[id] = true
		}
		leak.Scan("stdout", l.stdout.String())
		leak.Scan("stderr", l.stderr.String())
	}
	scanFiles(t, leak, spool)
	for id := range acked {
		if !printed[id] {
			t.Errorf("event %s was answered 200 and never printed", id)
		}
	}
	reltest.Figures(t, "events-listen-kill9", map[string]any{"runs": runs, "acked": len(acked), "printed": len(printed)})
}

// postUntilKilled posts events numbered from next with 4 clients until
// kill of them were answered 200, and returns the next number.
func postUntilKilled(t *testing.T, l *listener, next, kill int, acked map[string]bool) int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	n := 0 // answered 200 in this run
	ctx, stop := context.WithCancel(t.Context())
	c := &http.Client{Timeout: 5 * time.Second}
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				next++
				id := strconv.Itoa(next)
				mu.Unlock()
				if postEvent(c, l.url, id) {
					mu.Lock()
					acked[id], n = true, n+1
					if n >= kill {
						stop()
					}
					mu.Unlock()
				}
			}
		})
	}
	<-ctx.Done()
	l.cmd.Process.Kill() // while the other clients are still posting
	wg.Wait()
	stop()
	return next
}

// waitPrinted waits (30 s at most) until the earlier runs and this one have
// printed every acked event.
func waitPrinted(t *testing.T, l *listener, acked, before map[string]bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got := map[string]bool{}
		for _, id := range l.printed(t) {
			got[id] = true
		}
		missing := 0
		for id := range acked {
			if !got[id] && !before[id] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
	}
}
