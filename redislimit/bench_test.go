package redislimit

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/b24go/b24/limit"
	"github.com/redis/go-redis/v9"
)

// benchParams never make a caller wait, so that the benchmarks measure the
// limiter's own cost: two scripts (acquire, release) per request.
func benchParams() limit.Params {
	p := limit.StandardPlan()
	p.RateLimit = limit.RateLimit{Burst: 1 << 30, Drain: 1e6}
	return p
}

// BenchmarkAcquireRelease is one request's overhead with Redis on loopback:
// Acquire (operating check, reservation, bucket) then Release (with an
// operating report). It reports the median and the 99th percentile.
func BenchmarkAcquireRelease(b *testing.B) {
	b.Run("client=default", func(b *testing.B) { benchAcquireRelease(b, false) })
	b.Run("client=ContextTimeoutEnabled", func(b *testing.B) { benchAcquireRelease(b, true) })
}

func benchAcquireRelease(b *testing.B, ctxTimeout bool) {
	c := redis.NewClient(&redis.Options{Addr: needRedis(b).Options().Addr, ContextTimeoutEnabled: ctxTimeout})
	defer c.Close()
	l := newTestLimiter(b, c, testPrefix(b), benchParams())
	if l.direct != ctxTimeout {
		b.Fatalf("direct = %v", l.direct)
	}
	req := limit.Request{Portal: "bench.bitrix24.test", Credential: "0123456789abcdef0123456789abcdef", Methods: []string{"batch"}}
	ctx := context.Background()
	reset := time.Now().Add(time.Hour)
	var laps []time.Duration
	for b.Loop() {
		start := time.Now()
		p, err := l.Acquire(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		p.Release(limit.Outcome{Sent: true, Elapsed: time.Millisecond,
			Reports: []limit.OperatingReport{{Method: "batch", Operating: time.Second, ResetAt: reset}}})
		laps = append(laps, time.Since(start))
	}
	slices.Sort(laps)
	b.ReportMetric(float64(laps[len(laps)/2].Microseconds()), "median-µs")
	b.ReportMetric(float64(laps[len(laps)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkAcquireReleaseParallel is the same with concurrent callers.
func BenchmarkAcquireReleaseParallel(b *testing.B) {
	c := needRedis(b)
	l := newTestLimiter(b, c, testPrefix(b), benchParams())
	req := limit.Request{Portal: "bench.bitrix24.test", Credential: "0123456789abcdef0123456789abcdef", Methods: []string{"batch"}}
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			p, err := l.Acquire(ctx, req)
			if err != nil {
				b.Error(err)
				return
			}
			p.Release(limit.Outcome{Sent: true, Elapsed: time.Millisecond})
		}
	})
}

// BenchmarkPingBaseline is one bare round trip to the same Redis: the floor
// under the limiter's two round trips per request.
func BenchmarkPingBaseline(b *testing.B) {
	c := needRedis(b)
	ctx := context.Background()
	var laps []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := c.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		laps = append(laps, time.Since(start))
	}
	slices.Sort(laps)
	b.ReportMetric(float64(laps[len(laps)/2].Microseconds()), "median-µs")
}
