package b24_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// BenchmarkBatchList50 sends one v2 batch of 50 crm.deal.list pages (2,500
// full rows) and reads every command's result: the step of a chained list
// walk. "fake" runs it against the in-memory fake portal (without latency,
// with a request bucket too large to refuse; operating figures reported);
// "client" replays the fake's answer, so that only the client's work counts.
func BenchmarkBatchList50(b *testing.B) {
	limits := b24test.StandardLimits()
	limits.Burst, limits.Drain = 1<<20, 1e6
	s := b24test.NewServer(b, b24test.InMemory(), b24test.WithLimits(limits), b24test.WithLatency(b24test.Latency{}),
		b24test.WithSeed(b24test.Seed{Deals: 2500}))
	cmds := make([]b24.Cmd, b24.MaxBatchCommands)
	for i := range cmds {
		cmds[i] = b24.Cmd{Method: "crm.deal.list", Params: map[string]any{"order": map[string]string{"ID": "ASC"}, "start": i * 50}}
	}
	run := func(b *testing.B, api *b24.API) {
		ctx := context.Background()
		for b.Loop() {
			res, err := api.Batch(ctx, cmds)
			if err != nil {
				b.Fatal(err)
			}
			for i := range res.Commands {
				if c := &res.Commands[i]; c.State != b24.CommandDone || c.Time == nil || c.Time.Operating == nil || len(c.Result) < 1000 {
					b.Fatalf("command %d: %s, %d bytes, %v", i, c.State, len(c.Result), c.Err)
				}
			}
		}
	}
	b.Run("fake", func(b *testing.B) { run(b, s.Hook().V2()) })
	b.Run("client", func(b *testing.B) {
		api := s.Hook(b24.WithHTTPClient(&http.Client{Transport: &replay{next: s.Transport()}})).V2()
		if _, err := api.Batch(context.Background(), cmds); err != nil { // records the answer
			b.Fatal(err)
		}
		run(b, api)
	})
}

// replay answers every request with the first answer of next.
type replay struct {
	next   http.RoundTripper
	body   []byte
	header http.Header
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.body == nil {
		resp, err := r.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if r.body, err = io.ReadAll(resp.Body); err != nil {
			return nil, err
		}
		r.header = resp.Header
	} else if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: r.header.Clone(), Body: io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)), Request: req}, nil
}
