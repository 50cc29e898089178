package b24_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"

	"github.com/b24go/b24/limit"
)

// FuzzBatchRefs sends a REST v2 batch whose second command holds a fuzzed
// batch reference ($result[...][...], $next[...], ...) and a fuzzed command
// name: the SDK's reference check either refuses it before sending, with an
// error, or the fake portal's reference resolver runs it; nothing panics or
// hangs, and an accepted batch reports both commands.
func FuzzBatchRefs(f *testing.F) {
	for _, s := range [][2]string{
		{"b", "$result[a][0][ID]"}, {"b", "$result[a]"}, {"b", "$next[a]"}, {"b", "$total[a]"},
		{"b", "$result[b][0]"}, {"b", "$result[zz][0]"}, {"", "$result[0][0][ID]"}, {"b", "$result[]"},
		{"b", "x $result[a][0][TITLE] y"}, {"b", "$result[a][49][ID]"}, {"b", "$result[a][-1]"},
		{"b", "$result[a][0][ID"}, {"b", "%24result%5Ba%5D"}, {"b", "$error[a]"}, {"b", "$time[a][start]"},
		{"b", "$result[a][0][ID]$result[a][1][ID]"}, {"b", "$result[%00][0]"}, {"b", "$result[a][][]"},
	} {
		f.Add(s[0], s[1])
	}
	srv, err := b24test.Start(b24test.InMemory(), b24test.WithoutLimits(), b24test.WithLatency(b24test.Latency{}),
		b24test.WithSeed(b24test.Seed{Deals: 5}))
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	// The fake has no limits: neither has the hook's limiter.
	h := srv.Hook(b24.WithRestrictionParams(b24.RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 1 << 20, Drain: 1e6}}}))
	defer h.Close()
	f.Fuzz(func(t *testing.T, name, ref string) {
		cmds := []b24.Cmd{
			{Name: "a", Method: "crm.deal.list", Params: map[string]any{"select": []string{"ID", "TITLE"}}},
			{Name: name, Method: "crm.deal.get", Params: map[string]any{"id": ref}},
		}
		if name == "" {
			cmds[0].Name = ""
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := h.V2().Batch(ctx, cmds)
		if ctx.Err() != nil {
			t.Fatalf("the batch hung: %v", err)
		}
		if res == nil {
			if err == nil {
				t.Fatal("no result and no error")
			}
			return
		}
		if len(res.Commands) != 2 {
			t.Fatalf("%d commands reported", len(res.Commands))
		}
		for _, c := range res.Commands {
			if c.State != b24.Done && c.Err == nil {
				t.Fatalf("command %d %v without an error", c.Index, c.State)
			}
		}
		var be *b24.BatchError
		if err != nil && !errors.As(err, &be) {
			t.Fatalf("error is not a *BatchError: %v", err)
		}
	})
}
