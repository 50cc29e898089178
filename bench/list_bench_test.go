// Package bench holds the benchmarks of lists and batches. The Go
// benchmarks here run against the in-memory fake portal without limits or
// latency, in the same process: they measure the CPU and memory per row of
// the client and the fake together; bench/run.sh measures whole
// scenarios against `b24 fake` in its own process, with limits.
//
//	go test -run '^$' -bench . -benchmem ./bench
package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

type deal struct {
	ID          b24.ID
	TITLE       string
	STAGE_ID    string
	OPPORTUNITY string
}

var dealSelect = map[string]any{"select": []string{"ID", "TITLE", "STAGE_ID", "OPPORTUNITY"}}

// portal is an in-memory fake portal with n deals, no limits and no latency.
func portal(b *testing.B, n int) *b24.Hook {
	b.Helper()
	s := b24test.NewServer(b, b24test.InMemory(), b24test.WithoutLimits(),
		b24test.WithLatency(b24test.Latency{Request: 1, RowReturned: 1, RowCounted: 1, RowSkipped: 1, Write: 1}),
		b24test.WithSeed(b24test.Seed{Deals: n}))
	return s.Hook(b24.WithRestrictionParams(b24.RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 1 << 20, Drain: 1e6}}}))
}

func benchFetch[T any](b *testing.B, n int, opts ...b24.ListOption) {
	h := portal(b, n)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		for _, err := range b24.FetchList[T](ctx, h.V2(), "crm.deal.list", dealSelect, opts...) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFetchListStruct: the chained walk, rows decoded into a struct.
func BenchmarkFetchListStruct(b *testing.B) { benchFetch[deal](b, 20000) }

// BenchmarkFetchListMap: the same into map[string]any.
func BenchmarkFetchListMap(b *testing.B) { benchFetch[map[string]any](b, 20000) }

// BenchmarkFetchListShards: 4 shards, unordered.
func BenchmarkFetchListShards(b *testing.B) {
	benchFetch[deal](b, 20000, b24.WithConcurrency(4), b24.WithUnordered(true))
}

// BenchmarkFetchListSinglePages: one page of 50 a request.
func BenchmarkFetchListSinglePages(b *testing.B) { benchFetch[deal](b, 5000, b24.WithBatch(false)) }

// BenchmarkBatchByChunkUpdate: 1,000 crm.deal.update commands in chunks of 50.
func BenchmarkBatchByChunkUpdate(b *testing.B) {
	h := portal(b, 1100)
	ctx := context.Background()
	cmds := make([]b24.Cmd, 1000)
	for i := range cmds {
		cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": i + 1, "fields": map[string]any{"TITLE": "bench"}}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.V2().BatchByChunk(ctx, cmds, b24.WithConcurrency(4), b24.WithHalt(false)); err != nil {
			// Ids missing from the seeded gaps fail their own command only.
			var be *b24.BatchError
			if !errors.As(err, &be) {
				b.Fatal(err)
			}
		}
	}
}
