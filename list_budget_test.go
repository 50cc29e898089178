package b24_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// TestListSizedToBudget: a chained export whose whole requests (50 pages
// of 70 ms: 3.5 s) fit only once in a budget of L = 5 s per W = 60 s. The
// engine sizes each batch to what is left of the window (limit.Fitter), so
// P ≈ 14.2 s is read in three windows, 2·W plus the last request, never
// refused; with whole requests only, one fits a window and it takes five.
// Both billing modes of a batch.
func TestListSizedToBudget(t *testing.T) {
	t.Parallel()
	for _, perCommand := range []bool{false, true} {
		name := map[bool]string{false: "billed as batch", true: "billed per command"}[perCommand]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 10000}),
					b24test.WithLatency(b24test.Latency{Request: 20 * time.Millisecond, RowReturned: time.Millisecond}),
					b24test.WithLimits(b24test.Limits{Burst: 1000, Drain: 100, OperatingLimit: 5 * time.Second,
						OperatingWindow: time.Minute, BatchPerCommand: perCommand}))
				h := s.Hook()
				var rep b24.ListReport
				start := time.Now()
				rows := 0
				for _, err := range b24.FetchList[map[string]any](t.Context(), h.V2(), "crm.deal.list",
					map[string]any{"select": []string{"ID"}}, b24.WithReport(&rep)) {
					if err != nil {
						t.Fatal(err)
					}
					rows++
				}
				took := time.Since(start)
				a := s.Audit()
				t.Logf("%d rows in %v, %d requests, %d retries, statuses %v", rows, took, rep.Requests, rep.Retries, a.ByStatus)
				if rows != 10000 {
					t.Fatalf("%d rows, want 10000", rows)
				}
				if a.ByStatus[429] > 0 || rep.Retries > 0 {
					t.Fatalf("refused: %d × 429, %d commands sent again", a.ByStatus[429], rep.Retries)
				}
				if took >= 3*time.Minute {
					t.Fatalf("took %v: want three windows (2·W + the last request), not whole requests' one a window", took)
				}
			})
		})
	}
}
