package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events/offline"
)

// offlineFake is a fake with ONCRMDEALADD bound offline and n deals added,
// and an application Hook on it.
func offlineFake(t *testing.T, n int) (*b24test.Server, *b24.Hook) {
	t.Helper()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithoutLimits())
	h := s.AppHook("app.cli", "cli-secret")
	ctx := context.Background()
	if err := offline.Bind(ctx, h, offline.Binding{Event: "ONCRMDEALADD", Offline: true}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, _, err := b24.CallAs[b24.ID](ctx, h.V2(), "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": i}}); err != nil {
			t.Fatal(err)
		}
	}
	return s, h
}

func pullOpts() offlineOpts {
	return offlineOpts{processID: defaultProcessID, limit: 2, poll: defaultPollForTests, retryFailed: defaultPollForTests}
}

const defaultPollForTests = 10 * time.Millisecond

// eventLines decodes the JSON lines of a pull and returns the deal ids.
func eventLines(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e offline.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Name != "ONCRMDEALADD" || e.RecordID == 0 {
			t.Fatalf("line %q: %v", l, err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// TestEventsPullStdout: every event printed as one JSON line, the queue
// cleared.
func TestEventsPullStdout(t *testing.T) {
	s, h := offlineFake(t, 5)
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, name: "b24 events"}
	if err := eventsPull(context.Background(), c, h, pullOpts()); err != nil {
		t.Fatalf("pull: %v (%s)", err, errb.String())
	}
	if ids := eventLines(t, out.String()); len(ids) != 5 {
		t.Fatalf("lines: %v", ids)
	}
	if n := s.OfflineRecords(""); n != 0 {
		t.Fatalf("records left: %d", n)
	}
}

// failingWriter fails every write after the first n.
type failingWriter struct {
	n   int
	buf bytes.Buffer
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return w.buf.Write(p)
}

// TestEventsPullWriteFails: a record whose line could not be written is not
// cleared: it stays in the queue (marked failed) and pull exits with an error.
func TestEventsPullWriteFails(t *testing.T) {
	s, h := offlineFake(t, 4)
	w := &failingWriter{n: 2}
	c := &cli{stdout: w, stderr: &bytes.Buffer{}, name: "b24 events"}
	err := eventsPull(context.Background(), c, h, pullOpts())
	if err == nil || !strings.Contains(err.Error(), "could not be written") {
		t.Fatalf("pull: %v", err)
	}
	if n := s.OfflineRecords(""); n != 2 || len(eventLines(t, w.buf.String())) != 2 {
		t.Fatalf("records left %d, lines %q", n, w.buf.String())
	}
}

// TestEventsPullFile: -o FILE appends, and first cuts a torn last line (a
// crash inside a write; its event was not cleared and comes again).
func TestEventsPullFile(t *testing.T) {
	s, h := offlineFake(t, 3)
	path := filepath.Join(t.TempDir(), "events.ndjson")
	old := `{"record_id":1,"message_id":"x","event":"ONCRMDEALADD","id":"1","time":"2026-01-01T00:00:00Z"}` + "\n"
	if err := os.WriteFile(path, []byte(old+`{"record_id":2,"mess`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := pullOpts()
	o.out = path
	c := &cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, name: "b24 events"}
	if err := eventsPull(context.Background(), c, h, o); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), old) || len(eventLines(t, string(b))) != 4 {
		t.Fatalf("file:\n%s", b)
	}
	if n := s.OfflineRecords(""); n != 0 {
		t.Fatalf("records left: %d", n)
	}
	if _, err := openAppend(t.TempDir()); err == nil {
		t.Fatal("-o DIR accepted")
	}
}

// TestEventsWebhookRefused: with a webhook, pull/bind/list/unbind get the
// portal's WRONG_AUTH_TYPE and say what is needed; bad usage is exit 2.
func TestEventsWebhookRefused(t *testing.T) {
	p := newPortal(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"events_bind_webhook.golden", []string{"events", "bind", "ONCRMDEALUPDATE", "--offline"}, exitAPI},
		{"events_bind_no_event.golden", []string{"events", "bind"}, exitUsage},
		{"events_pull_extra.golden", []string{"events", "pull", "x"}, exitUsage},
	} {
		goldenRun(t, tc.name, p.run(t, "", tc.args...), tc.code)
	}
	r := p.run(t, "", "events", "pull", "--process-id", "bad id")
	if r.code != exitUsage || !strings.Contains(r.stderr, "ProcessID") {
		t.Fatalf("bad process id: %d %s", r.code, r.stderr)
	}
}
