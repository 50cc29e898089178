package limit

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// refuse sends one request through l that the portal refuses with a 503.
func refuse(t *testing.T, l *localLimiter) {
	t.Helper()
	p, err := l.Acquire(t.Context(), req1)
	if err != nil {
		t.Fatal(err)
	}
	p.Release(Outcome{Sent: true, Refused: RefusedRate})
}

// accept sends n requests through l that the portal accepts.
func accept(t *testing.T, l *localLimiter, n int) {
	t.Helper()
	for range n {
		p, err := l.Acquire(t.Context(), req1)
		if err != nil {
			t.Fatal(err)
		}
		p.Release(Outcome{Sent: true})
	}
}

func bucketOf(l *localLimiter) BucketStats { return l.Stats().Buckets[req1.Portal] }

// near compares drain rates computed by different chains of products.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestBucketAdaptsDown: 5 refusals within the window lower burst and drain by
// 0.8, to floors of 5 and 0.5 a second (or the configured figures if lower);
// fewer, refusals spread over more than the window, or Fixed change nothing.
func TestBucketAdaptsDown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		rate       RateLimit
		refusals   int
		gap        time.Duration // extra time between refusals (each already waits 1/Drain)
		burst      int
		drain      float64
		reductions int64
	}{
		{"4 refusals", RateLimit{Burst: 50, Drain: 2}, 4, 0, 50, 2, 0},
		{"5 refusals", RateLimit{Burst: 50, Drain: 2}, 5, 0, 40, 1.6, 1},
		{"9 refusals", RateLimit{Burst: 50, Drain: 2}, 9, 0, 40, 1.6, 1},
		{"10 refusals", RateLimit{Burst: 50, Drain: 2}, 10, 0, 32, 1.28, 2},
		{"5 within 60 s", RateLimit{Burst: 50, Drain: 2}, 5, 14 * time.Second, 40, 1.6, 1},
		{"5 over 60 s", RateLimit{Burst: 50, Drain: 2}, 5, 15 * time.Second, 50, 2, 0},
		{"floors", RateLimit{Burst: 50, Drain: 2}, 100, 0, 5, 0.5, 11},
		{"enterprise floors", RateLimit{Burst: 250, Drain: 5}, 200, 0, 5, 0.5, 18},
		{"below the floors", RateLimit{Burst: 3, Drain: 0.2}, 20, 0, 3, 0.2, 0},
		{"fixed", RateLimit{Burst: 50, Drain: 2, Fixed: true}, 100, 0, 50, 2, 0},
		{"short window", RateLimit{Burst: 50, Drain: 2, RefusalWindow: 10 * time.Second}, 5, 3 * time.Second, 50, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := testLimiter(t, Params{RateLimit: tc.rate})
				for i := range tc.refusals {
					if i > 0 {
						time.Sleep(tc.gap)
					}
					refuse(t, l)
				}
				b := bucketOf(l)
				if b.Burst != tc.burst || !near(b.Drain, tc.drain) || b.Reductions != tc.reductions || b.Recoveries != 0 {
					t.Fatalf("after %d refusals: %+v, want burst %d, drain %v, %d reductions",
						tc.refusals, b, tc.burst, tc.drain, tc.reductions)
				}
				if got := l.Stats().RateRefusals; got != int64(tc.refusals) {
					t.Fatalf("RateRefusals %d", got)
				}
				// The bucket is still emptied: the next request waits a full
				// 1/Drain of the drain rate in force.
				start := time.Now()
				accept(t, l, 1)
				if got, want := time.Since(start), time.Duration(float64(time.Second)/b.Drain); got != want {
					t.Fatalf("next request waited %v, want %v", got, want)
				}
				// After a long pause the burst in force is available, keeping
				// one request of headroom, and no more.
				time.Sleep(time.Hour)
				start = time.Now()
				accept(t, l, tc.burst-1)
				if d := time.Since(start); d != 0 {
					t.Fatalf("a burst of %d took %v", tc.burst-1, d)
				}
				accept(t, l, 1)
				if d := time.Since(start); d == 0 {
					t.Fatalf("request %d went at once", tc.burst)
				}
			})
		})
	}
}

// TestBucketAdaptsUp: 20 requests accepted since the last refusal raise the
// limits by 1.1, up to the configured figures; a refusal starts the count
// again, and 3 refusals within the window hold the limits down.
func TestBucketAdaptsUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{RateLimit: RateLimit{Burst: 50, Drain: 2}})
		for range 10 {
			refuse(t, l)
		}
		want := func(burst int, drain float64, recoveries int64) {
			t.Helper()
			if b := bucketOf(l); b.Burst != burst || !near(b.Drain, drain) || b.Recoveries != recoveries || b.Reductions != 2 {
				t.Fatalf("%+v, want burst %d, drain %v, %d recoveries", b, burst, drain, recoveries)
			}
		}
		want(32, 1.28, 0)
		accept(t, l, 19)
		refuse(t, l) // the count starts again
		accept(t, l, 19)
		want(32, 1.28, 0)
		accept(t, l, 1)
		want(35, 1.408, 1) // 32 × 1.1 = 35.2
		accept(t, l, 20)
		want(38, 1.5488, 2) // 35.2 × 1.1 = 38.72
		// 3 refusals within the window hold the limits down while they last.
		for range 3 {
			refuse(t, l)
		}
		accept(t, l, 40)
		want(38, 1.5488, 2)
		time.Sleep(time.Minute)
		accept(t, l, 1)
		want(42, 1.70368, 3)
		// Up to the configured figures, then no further.
		accept(t, l, 200)
		want(50, 2, 5) // 46.85 × 1.1 = 51.5
	})
}

// TestBucketAdaptsOncePerGeneration: the 503s of requests admitted together
// before a reduction lower the limits once, not once per 5 of them.
// reqBucket names no method: it takes the bucket only, so a test of the
// bucket can hold many permits of a fresh limiter (an operating budget lets
// one request of unknown cost fly alone until it settles).
var reqBucket = Request{Portal: "p.example.com", Credential: "c"}

func TestBucketAdaptsOncePerGeneration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{RateLimit: RateLimit{Burst: 50, Drain: 2}})
		var permits []Permit
		for range 20 {
			p, err := l.Acquire(t.Context(), reqBucket)
			if err != nil {
				t.Fatal(err)
			}
			permits = append(permits, p)
		}
		for _, p := range permits {
			p.Release(Outcome{Sent: true, Refused: RefusedRate})
		}
		if b := bucketOf(l); b.Reductions != 1 || b.Burst != 40 {
			t.Fatalf("20 refusals of one generation: %+v", b)
		}
		// Successes of the old generation do not count toward recovery either.
		permits = permits[:0]
		for range 20 {
			p, err := l.Acquire(t.Context(), reqBucket)
			if err != nil {
				t.Fatal(err)
			}
			permits = append(permits, p)
		}
		for range 5 {
			refuse(t, l)
		}
		for _, p := range permits {
			p.Release(Outcome{Sent: true})
		}
		if b := bucketOf(l); b.Reductions != 2 || b.Recoveries != 0 {
			t.Fatalf("old successes counted: %+v", b)
		}
		// Requests that were not sent, or refused by the operating budget,
		// count for nothing.
		for _, o := range []Outcome{{}, {Sent: true, Refused: RefusedOperating, RefusedMethod: "crm.deal.list"}} {
			for range 20 {
				p, err := l.Acquire(t.Context(), reqBucket)
				if err != nil {
					t.Fatal(err)
				}
				p.Release(o)
			}
		}
		if b := bucketOf(l); b.Recoveries != 0 {
			t.Fatalf("unsent or 429 requests counted: %+v", b)
		}
	})
}

// TestBucketAdaptScaled: at time scale k the window is 60 s / k and the drain
// floor 0.5 × k a second.
func TestBucketAdaptScaled(t *testing.T) {
	t.Parallel()
	for _, k := range []float64{1, 10, 100, 1000} {
		for _, tc := range []struct {
			gap    time.Duration // between refusals, at time scale 1
			lowers bool
		}{
			{14 * time.Second, true},  // 5 refusals over 56 s + 4 waits of 1/Drain
			{16 * time.Second, false}, // over 64 s
		} {
			synctest.Test(t, func(t *testing.T) {
				p := StandardPlan().Scaled(k)
				if want := time.Duration(float64(time.Minute) / k); p.RateLimit.RefusalWindow != want {
					t.Fatalf("k=%v: window %v, want %v", k, p.RateLimit.RefusalWindow, want)
				}
				l := testLimiter(t, p)
				for i := range 5 {
					if i > 0 {
						time.Sleep(time.Duration(float64(tc.gap) / k))
					}
					refuse(t, l)
				}
				if got := bucketOf(l).Reductions == 1; got != tc.lowers {
					t.Fatalf("k=%v, refusals %v apart: lowered %v, want %v", k, tc.gap, got, tc.lowers)
				}
				for range 200 {
					refuse(t, l)
				}
				if b := bucketOf(l); b.Burst != 5 || !near(b.Drain, 0.5*k) {
					t.Fatalf("k=%v: floors %+v", k, b)
				}
			})
		}
	}
}

// TestBucketAdaptSetParams: SetParams with another RateLimit starts again
// from the new figures; with the same one, it keeps the adaptation.
func TestBucketAdaptSetParams(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := Params{RateLimit: RateLimit{Burst: 50, Drain: 2}}
		l := testLimiter(t, p)
		for range 5 {
			refuse(t, l)
		}
		p.Adaptive.MaxDelay = 3 * time.Second // a change other than RateLimit
		if err := l.SetParams(p); err != nil {
			t.Fatal(err)
		}
		if b := bucketOf(l); b.Burst != 40 {
			t.Fatalf("same rate limit: %+v", b)
		}
		p.RateLimit.Fixed = true
		if err := l.SetParams(p); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			refuse(t, l)
		}
		if b := bucketOf(l); b.Burst != 50 || b.Drain != 2 || b.Reductions != 1 {
			t.Fatalf("fixed: %+v", b)
		}
	})
}

// TestBucketAdaptConcurrent: concurrent acquires, releases, Stats and
// SetParams keep the limits within their bounds (run with -race).
func TestBucketAdaptConcurrent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := StandardPlan().Scaled(100)
		l := testLimiter(t, p)
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), 1))
				req := Request{Portal: []string{"a", "b"}[g%2], Credential: "c", Methods: []string{"m"}}
				for range 300 {
					pm, err := l.Acquire(t.Context(), req)
					if err != nil {
						t.Error(err)
						return
					}
					o := Outcome{Sent: true}
					if rng.IntN(10) == 0 {
						o.Refused = RefusedRate
					}
					pm.Release(o)
					if rng.IntN(50) == 0 {
						for portal, b := range l.Stats().Buckets {
							if b.Burst < 5 || b.Burst > 50 || b.Drain < 50-1e-9 || b.Drain > 200+1e-9 {
								t.Errorf("%s: %+v out of bounds", portal, b)
							}
						}
					}
				}
			})
		}
		wg.Go(func() {
			for i := range 20 {
				q := p
				q.RateLimit.Burst = 40 + i%2*10
				if err := l.SetParams(q); err != nil {
					t.Error(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
		wg.Wait()
		st := l.Stats()
		for _, portal := range []string{"a", "b"} {
			if b := st.Buckets[portal]; b.Reductions == 0 {
				t.Errorf("%s: never lowered at 10 %% refusals: %+v", portal, b)
			}
		}
	})
}
