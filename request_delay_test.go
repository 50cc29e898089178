package b24_test

import (
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

// delayed holds the requests it is told to on their way to the portal,
// after the limiter admitted them: a process descheduled between permit
// and send, a connection pool, a proxy's or the portal's own queue.
type delayed struct {
	next  http.RoundTripper
	mu    sync.Mutex
	delay []time.Duration // the n-th request's hold
	n     int
}

func (d *delayed) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	var w time.Duration
	if d.n < len(d.delay) {
		w = d.delay[d.n]
	}
	d.n++
	d.mu.Unlock()
	time.Sleep(w)
	return d.next.RoundTrip(r)
}

// TestDelayedArrivalRefusal: the 503s the 1,000,000-row export saw now and
// then on a loaded machine (issue 16). The token bucket counts a request when
// it admits it; the portal counts it when it arrives. Two requests held 300 ms
// on their way have drained from the token bucket (10 a second) before they
// reach the portal's, whose level meanwhile fell to 0 and stayed there (a
// leaky bucket never goes below empty): the burst the token bucket then
// allows is one more than the portal takes. The limiter's bound on the
// portal's level, fed by each answer's arrival (its time less the portal's
// own), holds that request back: no 503, with or without the hold. Without
// that bound one write is refused with 503 QUERY_LIMIT_EXCEEDED (and sent
// again, as the refusal says it did not run).
func TestDelayedArrivalRefusal(t *testing.T) {
	for _, hold := range []time.Duration{0, 300 * time.Millisecond} {
		synctest.Test(t, func(t *testing.T) {
			srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithLimits(b24test.Limits{Burst: 10, Drain: 10}),
				b24test.WithLatency(b24test.Latency{Request: 1}))
			rt := &delayed{next: srv.Client().Transport, delay: []time.Duration{0, 0, 0, hold, hold}}
			h := srv.Hook(b24.WithHTTPClient(&http.Client{Transport: rt}),
				b24.WithRestrictionParams(b24.RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 10, Drain: 10, Fixed: true}}}))
			ctx := t.Context()
			total := func() int {
				res, err := h.Call(ctx, "crm.deal.list", map[string]any{"select": []string{"ID"}})
				if err != nil || res.Total == nil {
					t.Fatalf("counting the deals: %v", err)
				}
				return *res.Total
			}
			// Each method's cost known, so that its calls fly together.
			for _, m := range []string{"profile", "crm.deal.add"} {
				if _, err := h.Call(ctx, m, map[string]any{"fields": map[string]any{"TITLE": "first"}}); err != nil {
					t.Fatal(err)
				}
			}
			before := total()
			time.Sleep(time.Second)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if _, err := h.Call(ctx, "profile", nil); err != nil {
						t.Error(err)
					}
				})
			}
			synctest.Wait()
			time.Sleep(hold + 10*time.Millisecond) // the held requests have just arrived
			for i := range 9 {
				wg.Go(func() {
					if _, err := h.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": i}}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			a := srv.Audit() // a request the bucket refuses is counted before its method is read
			if a.ByMethod["crm.deal.add"][200] != 10 || a.ByStatus[503] != 0 || h.Stats().Retries != 0 {
				t.Fatalf("hold %v: crm.deal.add ran %d times, %d x 503, %d retries; want 10 (the first and 9), no 503",
					hold, a.ByMethod["crm.deal.add"][200], a.ByStatus[503], h.Stats().Retries)
			}
			if n := total(); n != before+9 {
				t.Fatalf("deals: %d before the run, %d after; want 9 more", before, n)
			}
		})
	}
}
