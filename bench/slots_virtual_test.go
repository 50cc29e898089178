package bench

import (
	"math"
	"os"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

// TestSlotsVirtual is bench/run.sh's slots scenario in virtual time
// (testing/synctest), free of the machine's load: 100,000 deals read as
// chained batches, 8 in flight, 1 ms a row and 20 ms a page of server time
// (P ≈ 141.7 s), L 48 s per W 60 s in 10 slots, margin 0.5 s, in both
// billing modes, with the portal's clock 30 s off and with log-normal costs
// (σ 0.5: P and the last request are their expected values, e^(σ²/2) times
// the modelled ones). It checks that no command is refused (at top level or
// inside a batch) and that the export ends within the bound
// (ceil(P/L) − 1)·W + the last request, over 0.9.
// Selecting ID only keeps the CPU low; the fake charges a row all the same.
// Run with B24_BENCH_SLOTS=1 (a few seconds of CPU per mode):
//
//	B24_BENCH_SLOTS=1 go test -run TestSlotsVirtual -v ./bench
func TestSlotsVirtual(t *testing.T) {
	if os.Getenv("B24_BENCH_SLOTS") == "" {
		t.Skip("set B24_BENCH_SLOTS=1 to run the slots scenario in virtual time")
	}
	for _, c := range []slotsCase{
		{name: "billed as batch"},
		{name: "billed per command", perCommand: true},
		{name: "as batch, portal clock +30 s", offset: 30 * time.Second},
		{name: "per command, portal clock -30 s", perCommand: true, offset: -30 * time.Second},
		{name: "as batch, log-normal costs", spread: 0.5},
	} {
		t.Run(c.name, func(t *testing.T) { slotsVirtual(t, c) })
	}
}

// slotsCase is one case of TestSlotsVirtual: the billing of a batch, the
// portal's clock against the host's and the σ of log-normal costs.
type slotsCase struct {
	name       string
	perCommand bool
	offset     time.Duration
	spread     float64
}

func slotsVirtual(t *testing.T, c slotsCase) {
	synctest.Test(t, func(t *testing.T) {
		const n = 100000
		s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: n}),
			b24test.WithLatency(b24test.Latency{Request: 20 * time.Millisecond, RowReturned: time.Millisecond, Spread: c.spread}),
			b24test.WithLimits(b24test.Limits{Burst: 50, Drain: 2, OperatingLimit: 48 * time.Second,
				OperatingWindow: time.Minute, BatchPerCommand: c.perCommand}),
			b24test.WithClockOffset(c.offset))
		p := s.RestrictionParams()
		p.Operating.Margin = 500 * time.Millisecond
		p.Operating.BatchBilling = limit.BatchBilledDetect
		h := s.Hook(b24.WithRestrictionParams(p))
		var rep b24.ListReport
		start := time.Now()
		rows := 0
		for page, err := range b24.FetchListPages[struct{ ID b24.ID }](t.Context(), h.V2(), "crm.deal.list",
			map[string]any{"select": []string{"ID"}}, b24.WithConcurrency(slotsConcurrency), b24.WithUnordered(true), b24.WithReport(&rep)) {
			if err != nil {
				t.Fatal(err)
			}
			rows += len(page)
		}
		took := time.Since(start)
		// The bench's model: a request's latency a page (with the confirming
		// short page and the probe's far page), a row's a row.
		pages := n/50 + 2
		// Log-normal costs of median 1 cost exp(σ²/2) times as much on average.
		mean := math.Exp(c.spread * c.spread / 2)
		pTime := time.Duration(mean * float64(time.Duration(pages)*20*time.Millisecond+time.Duration(n+50)*time.Millisecond))
		one := time.Duration(mean * float64(50*(20*time.Millisecond+50*time.Millisecond)))
		bound := time.Duration(math.Ceil(float64(pTime)/float64(48*time.Second))-1)*time.Minute + one
		a := s.Audit()
		t.Logf("%d rows in %v (virtual), bound %v (%.1f %%), %d requests, %d commands refused and sent again, statuses %v",
			rows, took, bound, 100*float64(bound)/float64(took), rep.Requests, rep.Retries, a.ByStatus)
		if rows != n || a.ByStatus[429] > 0 || rep.Retries > 0 {
			t.Fatalf("%d rows, %d × 429, %d commands refused", rows, a.ByStatus[429], rep.Retries)
		}
		if float64(took) > float64(bound)/0.9 {
			t.Errorf("took %v, more than the bound %v / 0.9", took, bound)
		}
	})
}

// slotsConcurrency is the shards in flight of TestSlotsVirtual
// (B24_BENCH_SLOTS_CONCURRENCY, default 8 as bench/run.sh).
var slotsConcurrency = func() int {
	if n, err := strconv.Atoi(os.Getenv("B24_BENCH_SLOTS_CONCURRENCY")); err == nil && n > 0 {
		return n
	}
	return 8
}()
