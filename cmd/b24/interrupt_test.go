package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24/b24test"
)

// TestInterrupt cancels list --checkpoint and update --journal in the
// middle (what Ctrl-C does): exit 130, then a rerun completes with every
// row once and every record written once.
func TestInterrupt(t *testing.T) {
	// 20,000 deals walked in one shard: 9 chained requests of 2,500 rows.
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 13, Deals: 20000}))
	ids := dealIDs(t, p)
	dir := t.TempDir()
	runCtx := func(ctx context.Context, args ...string) result {
		var out, errb strings.Builder
		args = append([]string{args[0], "--time-scale", "20"}, args[1:]...)
		code := run(ctx, args, strings.NewReader(""), &out, &errb, p.env)
		return result{code, out.String(), errb.String()}
	}
	out, cp := filepath.Join(dir, "d.ndjson"), filepath.Join(dir, "cp")
	// Ctrl-C once the first request's rows are in the file: the walk is
	// then in the middle.
	ctx, stop := cancelWhen(func() bool { _, err := os.Stat(cp); return err == nil })
	r := runCtx(ctx, "list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp, "--concurrency", "1")
	stop()
	if r.code != exitInterrupted || !strings.Contains(r.stderr, "interrupted") {
		t.Fatalf("list: exit %d, want 130: %s", r.code, r.stderr)
	}
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp, "--concurrency", "1")
	if r.code != exitOK || !strings.Contains(r.stderr, "resuming after") {
		t.Fatalf("list rerun: exit %d: %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(out)
	checkOnce(t, ndjsonIDs(t, string(b)), ids)

	upd := ids[:1500]
	in := writeUpdateCSV(t, dir, upd, "Interrupted")
	j := filepath.Join(dir, "j")
	// Ctrl-C once a record is done: the rerun has some left and some done
	// (a fixed 400 ms could pass before the first batch on a loaded machine).
	ctx, stop = cancelWhen(func() bool { b, _ := os.ReadFile(j); return bytes.Contains(b, []byte(`"state":"done"`)) })
	r = runCtx(ctx, "update", "crm.deal.update", "--from", in, "--journal", j, "--concurrency", "2")
	stop()
	if r.code != exitInterrupted {
		t.Fatalf("update: exit %d, want 130: %s%s", r.code, r.stdout, r.stderr)
	}
	r = p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", j)
	if r.code != exitOK || strings.Contains(r.stderr, "already done:    0\n") {
		t.Fatalf("update rerun: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	checkTitles(t, p, upd, "Interrupted")
}

// cancelWhen returns a context cancelled as soon as cond holds (polled every
// 2 ms), and the stop to call when the run it is for returned.
func cancelWhen(cond func() bool) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer cancel()
		for !cond() {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return ctx, sync.OnceFunc(func() { close(done); cancel() })
}
