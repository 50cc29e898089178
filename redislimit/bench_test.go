package redislimit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/b24go/b24/internal/opbudget"
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

// BenchmarkLedgerStep is the Go side of one decision on a busy budget,
// without Redis: decode a ledger of 20 slot entries, 2 of others' spend and
// 16 calls in flight, restore it, admit a call, and encode it back (what
// Acquire does between its round trips; Release is the same with Observe).
func BenchmarkLedgerStep(b *testing.B) {
	p := ledgerParams(&limit.Params{Operating: limit.OperatingLimit{Limit: 480 * time.Second, Window: 600 * time.Second, Margin: 5 * time.Second}})
	now := time.Now()
	var st sharedState
	for i := range 20 {
		t := now.Add(-time.Duration(i) * 25 * time.Second)
		st.Ledger.Own = append(st.Ledger.Own, opbudget.Entry{Slot: t.UnixNano() / int64(time.Minute), Finish: t.UnixNano(), Cost: int64(3 * time.Second)})
	}
	st.Ledger.Others = []opbudget.Entry{{Slot: now.UnixNano() / int64(time.Minute), Finish: now.UnixNano(), Cost: int64(time.Second)},
		{Slot: now.UnixNano()/int64(time.Minute) - 3, Finish: now.UnixNano(), Cost: int64(time.Second)}}
	st.Ledger.CostMean, st.Ledger.CostDev, st.Ledger.CostN, st.Ledger.Settled = int64(time.Second), int64(100*time.Millisecond), 50, true
	for i := range 16 {
		st.Res = append(st.Res, reservation{Token: fmt.Sprintf("0123456789abcdef:%d", i), Cost: int64(1200 * time.Millisecond),
			From: now.UnixNano(), Until: now.Add(2 * time.Minute).UnixNano()})
	}
	raw, _ := json.Marshal(st)
	for b.Loop() {
		bd := restore(decodeState(string(raw)), p, now, 2*time.Minute)
		if _, ok, _ := bd.led.AdmitUnits(now, 1); !ok {
			b.Fatal("not admitted")
		}
		_ = bd.encode(now, p)
	}
	b.ReportMetric(float64(len(raw)), "bytes")
}
