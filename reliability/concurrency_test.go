package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// goroutines returns the stacks of the running goroutines by id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		head, _, _ := strings.Cut(string(g), " [")
		out[head] = string(g)
	}
	return out
}

// leaked returns the goroutines running now that were not running before
// and run code of this module or net/http, except the caller's.
func leaked(before map[string]string) []string {
	var out []string
	for id, st := range goroutines() {
		if _, old := before[id]; old || strings.Contains(st, "reliability.leaked(") {
			continue
		}
		if strings.Contains(st, "github.com/b24go/b24") || strings.Contains(st, "net/http.") {
			out = append(out, st)
		}
	}
	return out
}

// TestConcurrentSharedHook runs 64 goroutines on one hook at once, on the
// fake with the Standard plan's limits, in fake time: single calls (reads
// and writes), list pages and batches. The hook's limiter must keep the
// portal from refusing anything (no 503, no 429); -race checks the shared
// state; then the context ends in the middle of the work, every goroutine
// returns a context error, and none is left behind.
func TestConcurrentSharedHook(t *testing.T) {
	before := goroutines()
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithPlan("standard"),
			b24test.WithSeed(b24test.Seed{Deals: 2000, Seed: 7}))
		h := srv.Hook()
		const workers = 64
		var calls, lists, batches, cancelled atomic.Int64
		work := func(ctx context.Context, w, i int) error {
			id := 1 + (w*131+i*17)%1500
			switch i % 4 {
			case 0:
				_, err := h.Call(ctx, "crm.deal.get", map[string]any{"id": id})
				if errors.Is(err, b24.ErrNotFound) {
					err = nil // the seed has gaps
				}
				calls.Add(1)
				return err
			case 1:
				_, err := h.Call(ctx, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"COMMENTS": fmt.Sprint(w, "/", i)}})
				if errors.Is(err, b24.ErrNotFound) {
					err = nil
				}
				calls.Add(1)
				return err
			case 2:
				_, err := h.Call(ctx, "crm.deal.list", map[string]any{"order": map[string]any{"ID": "ASC"},
					"filter": map[string]any{">ID": id}, "select": []string{"ID", "TITLE"}, "start": -1})
				lists.Add(1)
				return err
			default:
				cmds := make([]b24.Cmd, 10)
				for j := range cmds {
					cmds[j] = b24.Cmd{Method: "crm.deal.list", Params: map[string]any{"filter": map[string]any{">ID": id + j*50},
						"order": map[string]any{"ID": "ASC"}, "select": []string{"ID"}, "start": -1}}
				}
				_, err := h.V2().Batch(ctx, cmds)
				batches.Add(1)
				return err
			}
		}
		// Phase 1: 64 goroutines, 12 operations each, to the end.
		ctx := t.Context()
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := range 12 {
					if err := work(ctx, w, i); err != nil {
						errs <- fmt.Errorf("worker %d op %d: %w", w, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		a := srv.Audit()
		if a.ByStatus[503] != 0 || a.ByStatus[429] != 0 {
			t.Errorf("the portal refused: %d × 503, %d × 429 (by status %v)", a.ByStatus[503], a.ByStatus[429], a.ByStatus)
		}
		phase1 := a.Requests
		// Phase 2: the same until the context ends, 30 s (fake) into it.
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for i := 0; ; i++ {
					err := work(cctx, w, i)
					if err == nil {
						continue
					}
					if cctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("worker %d op %d: not a context error: %v", w, i, err)
					}
					cancelled.Add(1)
					return
				}
			})
		}
		wg.Wait()
		if late := time.Since(start) - 30*time.Second; late > 0 {
			t.Errorf("the last goroutine returned %v after the context ended", late)
		}
		a = srv.Audit()
		if a.ByStatus[503] != 0 || a.ByStatus[429] != 0 {
			t.Errorf("the portal refused: %d × 503, %d × 429", a.ByStatus[503], a.ByStatus[429])
		}
		synctest.Wait()
		if l := leaked(before); len(l) > 0 {
			t.Errorf("%d goroutines left behind, first:\n%s", len(l), l[0])
		}
		st := h.Stats()
		reltest.Figures(t, "concurrency", map[string]any{"goroutines": workers, "requests": a.Requests, "phase1_requests": phase1,
			"calls": calls.Load(), "list_pages": lists.Load(), "batches": batches.Load(), "status": a.ByStatus,
			"cancelled": cancelled.Load(), "limiter_waits": st.Waits, "fake_wait": st.WaitTime.Round(time.Second)})
	})
	if l := leaked(before); len(l) > 0 {
		t.Errorf("%d goroutines left behind after the bubble, first:\n%s", len(l), l[0])
	}
}
