package reliability

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// absurdExport reads n deals with FetchList while the first k requests of
// the portal carry absurd operating figures (b24test.FaultAbsurdFigures,
// every class in turn), and returns how long the walk took in fake time.
// It fails unless every id comes exactly once and the walk ends complete.
func absurdExport(t *testing.T, n, k int, limit time.Duration, opts ...b24.ListOption) (time.Duration, time.Duration) {
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
		b24test.WithSeed(b24test.Seed{Deals: n, Seed: 1}))
	if k > 0 {
		srv.FailNext("", k, b24test.FaultAbsurdFigures)
	}
	h := srv.Hook()
	type row struct {
		ID b24.ID `json:"ID"`
	}
	seen := make(map[int64]int, n)
	var rep b24.ListReport
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	start := time.Now()
	for r, err := range b24.FetchList[row](ctx, h.V2(), "crm.deal.list", map[string]any{"select": []string{"ID"}},
		append([]b24.ListOption{b24.WithReport(&rep)}, opts...)...) {
		if err != nil {
			t.Fatalf("the walk stopped after %d rows: %v", len(seen), err)
		}
		seen[int64(r.ID)]++
	}
	took := time.Since(start)
	for id, c := range seen {
		if c != 1 {
			t.Errorf("deal %d delivered %d times", id, c)
		}
	}
	if len(seen) != n || rep.End != b24.ListComplete {
		t.Errorf("%d of %d deals, walk ended %v: %v", len(seen), n, rep.End, rep.Err)
	}
	faulted := 0
	for _, rec := range srv.Audit().Log {
		if rec.Fault == b24test.FaultAbsurdFigures.String() {
			faulted++
		}
	}
	if faulted != k {
		t.Errorf("%d answers with absurd figures, want %d", faulted, k)
	}
	return took, srv.RestrictionParams().Operating.Window
}

// TestAbsurdFigures: a portal that sends absurd operating figures (a reset
// ten years ahead or in milliseconds, negative or "NaN" or huge operating,
// absurd start and finish, a 429 with an absurd Retry-After) costs a walk at
// most one operating window per such answer, in fake time, over the same
// walk on a sane portal; nothing is lost or repeated. Single calls, one
// answer of each class, likewise.
func TestAbsurdFigures(t *testing.T) {
	t.Parallel()
	k := int(b24test.NumAbsurdFigures)
	for _, tc := range []struct {
		name   string
		deals  int
		faults int
		opts   []b24.ListOption
	}{
		{"chained batches", 50000, k, nil},                                           // 20 requests, one fault of each class
		{"one page a request", 20000, 3 * k, []b24.ListOption{b24.WithBatch(false)}}, // 400 requests
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sane, w := absurdExport(t, tc.deals, 0, time.Hour, tc.opts...)
				took, _ := absurdExport(t, tc.deals, tc.faults, 2*(sane+time.Duration(tc.faults)*w), tc.opts...)
				if bound := sane + time.Duration(tc.faults)*w; took > bound {
					t.Errorf("the walk took %v with %d absurd answers, over %v (sane walk %v + one window %v each)", took, tc.faults, bound, sane, w)
				}
				reltest.Figures(t, "absurd-figures", map[string]any{"mode": tc.name, "deals": tc.deals, "absurd_answers": tc.faults,
					"sane_s": sane.Seconds(), "absurd_s": took.Seconds(), "window_s": w.Seconds()})
			})
		})
	}
	t.Run("single calls", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
				b24test.WithSeed(b24test.Seed{Deals: 10, Seed: 1}))
			h := srv.Hook()
			w := srv.RestrictionParams().Operating.Window
			srv.FailNext("crm.deal.get", k, b24test.FaultAbsurdFigures)
			start := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(2*k)*w)
			defer cancel()
			for i := range k + 1 {
				resp, err := h.Call(ctx, "crm.deal.get", map[string]any{"id": 1})
				if err != nil {
					t.Fatalf("call %d (class %v): %v", i, b24test.AbsurdFigure(i%k), err)
				}
				if _, err := b24.Decode[map[string]any](resp); err != nil {
					t.Errorf("call %d: %v", i, err)
				}
			}
			// One window per absurd answer at most, and each call's own time.
			if took, bound := time.Since(start), time.Duration(k)*w+time.Duration(k+1)*w/60; took > bound {
				t.Errorf("%d calls took %v, over %v", k+1, took, bound)
			}
		})
	})
}
