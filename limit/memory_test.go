package limit

import (
	"context"
	"errors"
	"sync"
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
	return Outcome{Sent: true, Reports: []OperatingReport{{Method: method, Operating: used, ResetAt: reset}}}
}

// TestOperatingWaitsForReset: at the limit, calls wait for the reset, then one probes.
func TestOperatingWaitsForReset(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{Operating: OperatingLimit{Limit: 100 * time.Second, Window: 600 * time.Second, Margin: 5 * time.Second}})
		reset := time.Now().Add(40 * time.Second)
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 96*time.Second, reset))

		// Another method of the same hook is not affected.
		other := req1
		other.Methods = []string{"crm.deal.get"}
		start := time.Now()
		po, err := l.Acquire(t.Context(), other)
		if err != nil || time.Since(start) != 0 {
			t.Fatalf("other method waited: %v", err)
		}
		po.Release(Outcome{})

		var wg sync.WaitGroup
		got := make([]time.Duration, 3)
		for i := range 3 {
			wg.Go(func() {
				p, err := l.Acquire(t.Context(), req1)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = time.Since(start)
				time.Sleep(time.Second) // the call runs
				p.Release(report("crm.deal.list", 20*time.Second, reset.Add(60*time.Second)))
			})
		}
		wg.Wait()
		// All wait for the reset; past it one probes, and its fresh figure
		// lets the others go.
		first, later := 0, 0
		for _, d := range got {
			switch d {
			case 40 * time.Second:
				first++
			case 41 * time.Second:
				later++
			default:
				t.Fatalf("acquired at %v", got)
			}
		}
		if first != 1 || later != 2 {
			t.Fatalf("acquire times %v: want one probe at 40s, the rest at 41s", got)
		}
	})
}

// TestOperatingReservations: calls in flight count against the budget before they report.
func TestOperatingReservations(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{Operating: OperatingLimit{Limit: 100 * time.Second, Window: 600 * time.Second, Margin: 5 * time.Second}})
		reset := time.Now().Add(300 * time.Second)
		// Learn an estimate of 10 s a call from two reports.
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 50*time.Second, reset))
		p, _ = l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 60*time.Second, reset))
		// A call may start while used + reservations stays below Limit − Margin
		// (95): 60 + 3 × 10 = 90 admits a 4th call; 60 + 4 × 10 = 100 does not.
		var permits []Permit
		for range 4 {
			p, err := l.Acquire(t.Context(), req1)
			if err != nil {
				t.Fatal(err)
			}
			permits = append(permits, p)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if _, err := l.Acquire(ctx, req1); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("5th call in flight admitted: %v", err)
		}
		// A release with a low figure (an older answer, same reset) is ignored;
		// one that frees a reservation lets a waiter in.
		done := make(chan time.Duration)
		start := time.Now()
		go func() {
			p, err := l.Acquire(t.Context(), req1)
			if err == nil {
				p.Release(Outcome{})
			}
			done <- time.Since(start)
		}()
		time.Sleep(3 * time.Second)
		permits[0].Release(report("crm.deal.list", 55*time.Second, reset))
		if d := <-done; d != 3*time.Second {
			t.Fatalf("waiter admitted after %v, want 3s", d)
		}
		for _, p := range permits[1:] {
			p.Release(Outcome{})
		}
	})
}

// TestOperatingRefusalBlocks: after a 429 the method waits for its reset, or Window/60.
func TestOperatingRefusalBlocks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{})
		start := time.Now()
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(Outcome{Sent: true, Refused: RefusedOperating, RefusedMethod: "crm.deal.list"})
		p, err := l.Acquire(t.Context(), req1)
		if err != nil {
			t.Fatal(err)
		}
		p.Release(Outcome{})
		if d := time.Since(start); d != 10*time.Second {
			t.Fatalf("blocked %v, want Window/60 = 10s", d)
		}
		if l.Stats().OpRefusals != 1 {
			t.Fatal("429 not counted")
		}
	})
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
		if s.inflight != 0 {
			t.Fatalf("reservation leaked: %d in flight", s.inflight)
		}
	})
}
