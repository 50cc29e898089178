package b24_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// TestNoRefusalUnderBurst: 150 concurrent calls on Standard limits (bucket
// 50, 2 a second) — three times the bucket — draw no 503 from the fake
// portal, and finish as soon as the bucket allows.
func TestNoRefusalUnderBurst(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory())
		h := srv.Hook()
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 150 {
			wg.Go(func() {
				method := "server.time"
				if i%2 == 1 {
					method = "profile"
				}
				if _, err := h.Call(t.Context(), method, nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		a := srv.Audit()
		if a.ByStatus[503] != 0 || a.Requests != 150 {
			t.Fatalf("audit: %d requests, by status %v", a.Requests, a.ByStatus)
		}
		// 49 at once (one request of headroom), then 101 at 2 a second.
		if d := time.Since(start); d < 50*time.Second || d > 52*time.Second {
			t.Fatalf("took %v, want about 50.5s", d)
		}
		if st := h.Stats(); st.RateRefusals != 0 || st.Requests != 150 || st.Waits == 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestNoOperatingRefusal: calls that cost the portal 2 s each, eight in
// parallel, against an operating budget of 60 s per 600 s: the limiter
// follows the reported figures and waits for resets, so the portal never
// answers 429, and the calls still all succeed.
func TestNoOperatingRefusal(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		limits := b24test.StandardLimits()
		limits.OperatingLimit = 60 * time.Second
		lat := b24test.DefaultLatency()
		lat.Request = 2 * time.Second
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithLimits(limits), b24test.WithLatency(lat))
		h := srv.Hook()
		if got := h.RestrictionParams().Operating.Limit; got != 60*time.Second {
			t.Fatalf("hook's operating limit %v does not match the fake's", got)
		}
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range jobs {
					if _, err := h.Call(t.Context(), "profile", nil); err != nil {
						t.Error(err)
					}
				}
			})
		}
		for i := range 60 { // 120 s of server time: twice the budget
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		a := srv.Audit()
		if a.ByStatus[429] != 0 || a.ByStatus[200] != 60 {
			t.Fatalf("audit by status %v", a.ByStatus)
		}
		st := h.Stats()
		if st.OpRefusals != 0 || st.Operating["profile"] == 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestCallTimeoutAndFault: a slow answer past the per-call timeout is retried
// for a read; for a v2 write it is ErrAmbiguous, and the fake shows it ran once.
func TestCallTimeoutAndFault(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory())
		h := srv.Hook()
		ctx := t.Context()
		srv.FailNext("crm.deal.get", 1, b24test.FaultSlow)
		if _, err := h.Call(ctx, "crm.deal.get", map[string]any{"id": 1}, b24.WithCallTimeout(5*time.Second)); err != nil {
			t.Fatalf("read after a slow answer: %v", err)
		}
		srv.FailNext("crm.deal.add", 1, b24test.FaultSlow)
		_, err := h.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "x"}}, b24.WithCallTimeout(5*time.Second))
		var te *b24.TransportError
		if !errors.Is(err, b24.ErrAmbiguous) || !errors.As(err, &te) || !te.Timeout {
			t.Fatalf("write after a slow answer: %v", err)
		}
		if n := srv.Audit().ByMethod["crm.deal.add"]; n[0]+n[200] != 1 {
			t.Fatalf("crm.deal.add requests by status %v: want exactly one", n)
		}
		cctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		time.Sleep(2 * time.Millisecond)
		if _, err := h.Call(cctx, "profile", nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("expired context: %v", err)
		}
	})
}
