package events

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHandler posts verified events over loopback HTTP from 16
// clients at once (SetParallelism(8) on 2 cores) and reports the answer's
// latency: every 200 comes after the event's fsync, so this is the cost of
// "durable before acknowledged". Run: go test -run '^$' -bench Handler ./events
func BenchmarkHandler(b *testing.B) {
	h, _ := newTestHandler(b)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	var (
		mu   sync.Mutex
		lats []time.Duration
		n    atomic.Int64
	)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			body := capture(portalA, "ONCRMDEALUPDATE", strconv.FormatInt(n.Add(1), 10), "1700000000")
			start := time.Now()
			resp, err := client.Post(srv.URL, form, strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lats = append(lats, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(lats) == 0 {
		return
	}
	slices.Sort(lats)
	q := func(p float64) float64 { return float64(lats[int(p*float64(len(lats)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
