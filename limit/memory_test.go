package limit

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func testLimiter(t *testing.T, p Params) *localLimiter {
	t.Helper()
	l, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return l.(*localLimiter)
}

var req1 = Request{Portal: "p.example.com", Credential: "c", Methods: []string{"crm.deal.list"}}

// TestBucketBurstThenDrain: the first X−1 requests go at once, then one per 1/Y.
func TestBucketBurstThenDrain(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{RateLimit: RateLimit{Burst: 10, Drain: 2}})
		start := time.Now()
		var times []time.Duration
		for range 15 {
			p, err := l.Acquire(t.Context(), req1)
			if err != nil {
				t.Fatal(err)
			}
			p.Release(Outcome{Sent: true})
			times = append(times, time.Since(start))
		}
		for i := range 9 {
			if times[i] != 0 {
				t.Fatalf("request %d waited %v within the burst", i, times[i])
			}
		}
		for i := 9; i < 15; i++ {
			want := time.Duration(i-8) * 500 * time.Millisecond
			if times[i] != want {
				t.Fatalf("request %d at %v, want %v", i, times[i], want)
			}
		}
		// Another portal has its own bucket.
		p, err := l.Acquire(t.Context(), Request{Portal: "other", Credential: "c", Methods: []string{"x"}})
		if err != nil || time.Since(start) != times[14] {
			t.Fatalf("other portal waited: %v", err)
		}
		p.Release(Outcome{})
	})
}

// TestBucketRefusalLeavesNoBurst: after a 503 the next request waits a full 1/Y.
func TestBucketRefusalLeavesNoBurst(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{RateLimit: RateLimit{Burst: 50, Drain: 4}})
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(Outcome{Sent: true, Refused: RefusedRate})
		start := time.Now()
		for i := 1; i <= 3; i++ {
			p, err := l.Acquire(t.Context(), req1)
			if err != nil {
				t.Fatal(err)
			}
			p.Release(Outcome{Sent: true})
			if got, want := time.Since(start), time.Duration(i)*250*time.Millisecond; got != want {
				t.Fatalf("request %d after the refusal at %v, want %v", i, got, want)
			}
		}
		if st := l.Stats(); st.RateRefusals != 1 || st.Waits != 3 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func report(method string, used time.Duration, reset time.Time) Outcome {
	return Outcome{Sent: true, Elapsed: time.Second, Reports: []OperatingReport{{Method: method, Operating: used, ResetAt: reset}}}
}

// TestAdaptiveDelay: above the threshold calls are spaced out.
func TestAdaptiveDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{Operating: OperatingLimit{Limit: 100 * time.Second, Window: 600 * time.Second, Margin: time.Second},
			Adaptive: AdaptiveDelay{Enabled: true, Threshold: 0.5, Coefficient: 0.01, MaxDelay: 2 * time.Second}})
		reset := time.Now().Add(100 * time.Second)
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 60*time.Second, reset))
		start := time.Now()
		p, _ = l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 60*time.Second, reset))
		// 60 % is a fifth of the way from the threshold (50 %) to the limit.
		if d := time.Since(start); d != 200*time.Millisecond {
			t.Fatalf("adaptive delay %v, want 1%% of 100s × 0.2 = 200ms", d)
		}
		// Just past the threshold: almost nothing.
		p, _ = l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 51*time.Second, time.Now().Add(100*time.Second)))
		start = time.Now()
		p, _ = l.Acquire(t.Context(), req1)
		p.Release(Outcome{})
		if d := time.Since(start); d != 20*time.Millisecond {
			t.Fatalf("adaptive delay %v, want 1%% of 100s × 0.02 = 20ms", d)
		}
		// The cap: 500s × 1% × 0.4 = 2s.
		p, _ = l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 70*time.Second, time.Now().Add(600*time.Second)))
		start = time.Now()
		p, _ = l.Acquire(t.Context(), req1)
		p.Release(Outcome{})
		if d := time.Since(start); d != 2*time.Second {
			t.Fatalf("adaptive delay %v, want the 2s cap", d)
		}
	})
}

// TestAdaptiveDelayOffByDefault: with the defaults a budget past the
// threshold costs no delay; the reservations alone keep calls below the limit.
func TestAdaptiveDelayOffByDefault(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{Operating: OperatingLimit{Limit: 100 * time.Second, Window: 600 * time.Second, Margin: time.Second}})
		reset := time.Now().Add(300 * time.Second)
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 90*time.Second, reset))
		start := time.Now()
		p, _ = l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 99*time.Second, reset))
		if d := time.Since(start); d != 0 {
			t.Fatalf("a call at 90 %% of the budget waited %v with the adaptive delay off", d)
		}
		// At Limit − Margin the budget holds calls until the reset.
		p, _ = l.Acquire(t.Context(), req1)
		if d := time.Since(start); d != 300*time.Second {
			t.Fatalf("a call at 99 %% of the budget went after %v, want the reset (300s)", d)
		}
		p.Release(Outcome{})
	})
}

// TestAcquireCancelled: every wait ends with the context, and frees its reservation.
func TestAcquireCancelled(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{RateLimit: RateLimit{Burst: 2, Drain: 0.01}})
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(Outcome{})
		ctx, cancel := context.WithCancel(t.Context())
		go func() { time.Sleep(time.Second); cancel() }()
		start := time.Now()
		_, err := l.Acquire(ctx, req1)
		if !errors.Is(err, context.Canceled) || time.Since(start) != time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		l.mu.Lock()
		s := l.ops[opKey{"p.example.com", "c", "crm.deal.list"}]
		if s.refs != 0 {
			t.Errorf("reference leaked: %d", s.refs)
		}
		l.mu.Unlock()
		s.mu.Lock()
		defer s.mu.Unlock()
		if n, _ := s.ledger.InFlight(); n != 0 {
			t.Fatalf("reservation leaked: %d in flight", n)
		}
	})
}
