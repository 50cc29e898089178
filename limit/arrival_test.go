package limit

import (
	"testing"
	"testing/synctest"
	"time"
)

// acquireN takes n permits of reqBucket and returns them with how long they took.
func acquireN(t *testing.T, l *localLimiter, n int) ([]Permit, time.Duration) {
	t.Helper()
	start := time.Now()
	ps := make([]Permit, n)
	for i := range ps {
		p, err := l.Acquire(t.Context(), reqBucket)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = p
	}
	return ps, time.Since(start)
}

// inBucket runs f in a synctest bubble with a limiter of bucket 10, 10 a second.
func inBucket(t *testing.T, f func(*testing.T, *localLimiter)) {
	synctest.Test(t, func(t *testing.T) {
		f(t, testLimiter(t, Params{RateLimit: RateLimit{Burst: 10, Drain: 10, Fixed: true}}))
	})
}

// TestArrivalBound: the bound on the portal's level (issue 16). Bucket 10, 10
// a second, so 9 at once. On a full bucket two requests are answered after
// hold, the portal's own time for them being portal (capped at their wall
// time); 10 ms later the token bucket is full again, but a portal that saw
// both arrive at the answer holds 1.9: 7 go at once, the other 2 wait for
// the bound to drain (the 7 in flight count as arrived and not drained).
// Without the bound all 9 would go at once, one more than the portal takes.
func TestArrivalBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		hold, portal time.Duration
		atOnce       int
	}{
		{"held, arrived at the answer", 300 * time.Millisecond, 0, 7},
		{"held, portal's own time 290 ms", 300 * time.Millisecond, 290 * time.Millisecond, 9},
		{"portal's time over the wall time is capped", 300 * time.Millisecond, time.Hour, 9},
		{"negative portal time is 0", 300 * time.Millisecond, -time.Hour, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inBucket(t, func(t *testing.T, l *localLimiter) {
				time.Sleep(time.Second)
				ps, _ := acquireN(t, l, 2)
				time.Sleep(tc.hold)
				for _, p := range ps {
					p.Release(Outcome{Sent: true, Elapsed: tc.hold, Processing: tc.portal})
				}
				time.Sleep(10 * time.Millisecond)
				if _, took := acquireN(t, l, tc.atOnce); took != 0 {
					t.Fatalf("%d requests took %v, want them at once", tc.atOnce, took)
				}
				if tc.atOnce == 9 {
					return // the token bucket is empty
				}
				_, took := acquireN(t, l, 9-tc.atOnce)
				if took < 90*time.Millisecond || took > 200*time.Millisecond {
					t.Fatalf("the other 2 took %v, want 90-200 ms (the bound 1.9 draining to 0)", took)
				}
			})
		})
	}
}

// TestArrivalInFlight: a request in flight may not have arrived yet, so it
// counts as arrived and not drained: at most Burst−1 are in flight, and the
// next goes when one is answered (not when the token bucket refills); one
// never sent frees its place without counting.
func TestArrivalInFlight(t *testing.T) {
	t.Parallel()
	inBucket(t, func(t *testing.T, l *localLimiter) {
		ps, _ := acquireN(t, l, 9)
		go func() {
			time.Sleep(5 * time.Second)
			ps[0].Release(Outcome{}) // not sent
		}()
		if _, took := acquireN(t, l, 1); took != 5*time.Second {
			t.Fatalf("the 10th request went after %v, want 5s (when one in flight is settled)", took)
		}
	})
}

// TestArrivalOutOfOrder: an answer whose arrival is dated before one counted
// already is counted at that one's (later, so the bound stays above the
// portal's level).
func TestArrivalOutOfOrder(t *testing.T) {
	t.Parallel()
	inBucket(t, func(t *testing.T, l *localLimiter) {
		ps, _ := acquireN(t, l, 2)
		time.Sleep(time.Second)
		ps[0].Release(Outcome{Sent: true, Elapsed: time.Second}) // arrived at 1 s at the latest
		ps[1].Release(Outcome{Sent: true, Elapsed: time.Second, Processing: time.Second})
		l.mu.Lock()
		b := l.buckets[reqBucket.Portal]
		level := b.portalLevel(time.Now())
		l.mu.Unlock()
		if level != 2 {
			t.Fatalf("level %v after two answers, the second dated before the first; want 2", level)
		}
	})
}
