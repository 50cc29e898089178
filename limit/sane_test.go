package limit

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestSaneReport: every class of absurd figure is ignored or clamped to the window.
func TestSaneReport(t *testing.T) {
	t.Parallel()
	now := time.Unix(1769500000, 0)
	const w = 600 * time.Second
	in := func(d time.Duration) time.Time { return now.Add(d) }
	for _, tc := range []struct {
		name      string
		op        time.Duration
		reset     time.Time
		ok        bool
		wantReset time.Time
	}{
		{"sane", 300 * time.Second, in(40 * time.Second), true, in(40 * time.Second)},
		{"no reset", 300 * time.Second, time.Time{}, true, time.Time{}},
		{"reset exactly a window ahead", 300 * time.Second, in(w), true, in(w)},
		{"reset in the past", 300 * time.Second, in(-time.Hour), true, in(-time.Hour)},
		{"reset ten years ahead", 479 * time.Second, in(10 * 365 * 24 * time.Hour), true, in(w)},
		{"reset a second past the window", 479 * time.Second, in(w + time.Second), true, in(w)},
		{"reset in milliseconds", 479 * time.Second, time.Unix(in(30*time.Second).UnixMilli(), 0), true, in(30 * time.Second)},
		{"reset in microseconds", 479 * time.Second, time.Unix(in(30*time.Second).UnixMicro(), 0), true, in(30 * time.Second)},
		{"reset in milliseconds, ten years ahead", 479 * time.Second, time.Unix(in(10*365*24*time.Hour).UnixMilli(), 0), true, in(w)},
		{"reset 2^52 s", 479 * time.Second, time.Unix(1<<52, 0), true, in(w)},
		{"operating at twice the window", 2 * w, in(40 * time.Second), true, in(40 * time.Second)},
		{"operating huge", 2*w + time.Nanosecond, in(40 * time.Second), false, time.Time{}},
		{"operating in milliseconds", 479000 * time.Second, in(40 * time.Second), false, time.Time{}},
		{"operating negative", -time.Second, in(40 * time.Second), false, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := SaneReport(OperatingReport{Method: "m", Operating: tc.op, ResetAt: tc.reset}, now, w)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if r.Method != "m" || r.Operating != tc.op || !r.ResetAt.Equal(tc.wantReset) {
				t.Fatalf("got %+v, want operating %v reset %v", r, tc.op, tc.wantReset)
			}
		})
	}
}

// TestRefusalBlockWithinWindow: a 429 after a reset ten years ahead blocks
// the method until the clamped reset, one window, not ten years.
func TestRefusalBlockWithinWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{})
		t0 := time.Now()
		use(t, l, "p", "m", report("m", time.Second, t0.Add(10*365*24*time.Hour)))
		use(t, l, "p", "m", Outcome{Sent: true, Refused: RefusedOperating, RefusedMethod: "m"})
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		p, err := l.Acquire(ctx, Request{Portal: "p", Credential: "c", Methods: []string{"m"}})
		if err != nil {
			t.Fatalf("still blocked after an hour: %v", err)
		}
		p.Release(Outcome{})
		if got := time.Since(t0); got != 600*time.Second {
			t.Fatalf("blocked until %v, want the window (600s)", got)
		}
	})
}

// TestEstimateCapped: one answer cannot teach the limiter that a call costs
// more than a tenth of the window (the portal's cut-off), which would let
// only one call of the method run at a time.
func TestEstimateCapped(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{})
		reset := time.Now().Add(time.Minute)
		for _, op := range []time.Duration{time.Second, 1000 * time.Second} {
			p, _ := l.Acquire(t.Context(), req1)
			p.Release(report("crm.deal.list", op, reset))
		}
		time.Sleep(time.Minute) // past the reset: a probe, then a fresh figure
		p, _ := l.Acquire(t.Context(), req1)
		p.Release(report("crm.deal.list", 10*time.Second, time.Now().Add(time.Minute)))
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var mu sync.Mutex
		var permits []Permit
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				p, err := l.Acquire(ctx, req1)
				if err != nil {
					return
				}
				mu.Lock()
				permits = append(permits, p)
				mu.Unlock()
			})
		}
		synctest.Wait()
		mu.Lock()
		n := len(permits)
		mu.Unlock()
		cancel()
		wg.Wait()
		if n != 5 || time.Since(start) != 0 {
			t.Fatalf("%d of 5 calls admitted at once with 10 s of 480 s used", n)
		}
		for _, p := range permits {
			p.Release(Outcome{})
		}
	})
}
