package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

// replay is an http.RoundTripper that forwards each request the first time
// its path and body are seen and then answers it from memory with the same
// bytes: a walk repeated against it costs the client's CPU only, not the
// fake portal's (BenchmarkClientCPU).
type replay struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen map[string]recorded
}

type recorded struct {
	status int
	header http.Header
	body   []byte
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	key := req.URL.Path + "\x00" + string(body)
	r.mu.Lock()
	rec, ok := r.seen[key]
	r.mu.Unlock()
	if !ok {
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := r.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		rec = recorded{status: resp.StatusCode, header: resp.Header, body: b}
		r.mu.Lock()
		r.seen[key] = rec
		r.mu.Unlock()
	}
	return &http.Response{StatusCode: rec.status, Header: rec.header.Clone(), Body: io.NopCloser(bytes.NewReader(rec.body)),
		ContentLength: int64(len(rec.body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// BenchmarkClientCPU is the client's CPU per row of the export of
// bench/run.sh export-1m (ID, TITLE, STAGE_ID, OPPORTUNITY; chained
// batches of 50 pages, rows decoded into a struct), without the fake
// portal's: the walk runs once against an in-memory fake to record its
// answers, then b.N times against the recording (replay). cpu-µs/row is
// the process's user+system CPU (getrusage) a row.
//
//	go test -run '^$' -bench ClientCPU -benchmem -count 3 ./bench
func BenchmarkClientCPU(b *testing.B) {
	const n = 20000
	s := b24test.NewServer(b, b24test.InMemory(), b24test.WithoutLimits(),
		b24test.WithLatency(b24test.Latency{Request: 1, RowReturned: 1, RowCounted: 1, RowSkipped: 1, Write: 1}),
		b24test.WithSeed(b24test.Seed{Deals: n}))
	rt := &replay{next: s.Client().Transport, seen: map[string]recorded{}}
	h := s.Hook(b24.WithHTTPClient(&http.Client{Transport: rt}),
		b24.WithRestrictionParams(b24.RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 1 << 20, Drain: 1e6}}}))
	ctx := context.Background()
	walk := func() int {
		rows := 0
		for _, err := range b24.FetchList[deal](ctx, h.V2(), "crm.deal.list", dealSelect) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		return rows
	}
	want := walk() // records the answers
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	rows := 0
	for b.Loop() {
		if got := walk(); got != want {
			b.Fatalf("%d rows, the recording had %d", got, want)
		}
		rows += want
	}
	b.ReportMetric((cpuSeconds()-cpu0)*1e6/float64(rows), "cpu-µs/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}
