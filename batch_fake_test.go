package b24_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

func fakeStates(r *b24.BatchResult) string {
	var b strings.Builder
	for _, c := range r.Commands {
		b.WriteString(map[b24.CommandState]string{b24.Done: "D", b24.Failed: "F", b24.Ambiguous: "A", b24.NotExecuted: "-"}[c.State])
	}
	return b.String()
}

// dealIDs returns the ids of the first 50 seeded deals.
func dealIDs(t *testing.T, api *b24.API) []string {
	t.Helper()
	rows, _, err := b24.CallAs[[]map[string]string](context.Background(), api, "crm.deal.list", map[string]any{"select": []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r["ID"]
	}
	return ids
}

func TestBatchOnFakePortal(t *testing.T) {
	t.Parallel()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 60}), b24test.WithLatency(b24test.Latency{}))
	api := s.Hook().V2()
	ctx := context.Background()
	ids := dealIDs(t, api)
	cmds := []b24.Cmd{
		{Method: "crm.deal.get", Params: map[string]any{"id": ids[0]}},
		{Method: "crm.deal.get", Params: map[string]any{"id": 999999}},
		{Method: "crm.deal.get", Params: map[string]any{"id": ids[2]}},
	}
	for _, tc := range []struct {
		halt bool
		want string
	}{{true, "DF-"}, {false, "DFD"}} {
		res, err := api.Batch(ctx, cmds, b24.WithHalt(tc.halt))
		if got := fakeStates(res); got != tc.want || !errors.Is(err, b24.ErrNotFound) {
			t.Errorf("halt %v: %s, %v", tc.halt, got, err)
		}
		deal, err := b24.DecodeResult[map[string]any](&res.Commands[0])
		if err != nil || deal["ID"] != ids[0] {
			t.Errorf("deal %v %v", deal["ID"], err)
		}
	}
	before := s.Audit().Requests
	if _, err := api.Batch(ctx, make([]b24.Cmd, 51)); err == nil || s.Audit().Requests != before {
		t.Errorf("51 commands: %v", err)
	}

	// A chain through references: the second page filters on the last id of the first.
	first := b24.Cmd{Name: "p1", Method: "crm.deal.list", Params: map[string]any{"order": map[string]string{"ID": "ASC"}, "filter": map[string]any{">ID": 0}, "select": []string{"ID"}, "start": -1}}
	second := b24.Cmd{Name: "p2", Method: "crm.deal.list", Params: map[string]any{"order": map[string]string{"ID": "ASC"}, "filter": map[string]any{">ID": first.Result(49, "ID")}, "select": []string{"ID"}, "start": -1}}
	res, err := api.Batch(ctx, []b24.Cmd{first, second})
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := b24.BatchResultAs[[]map[string]string](res, "p1")
	p2, _ := b24.BatchResultAs[[]map[string]string](res, "p2")
	if len(p1) != 50 || len(p2) != 10 || p2[0]["ID"] <= p1[49]["ID"] && len(p2[0]["ID"]) <= len(p1[49]["ID"]) {
		t.Errorf("pages of %d and %d rows", len(p1), len(p2))
	}
}

func TestBatchV3OnFakePortal(t *testing.T) {
	t.Parallel()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Tasks: 10}), b24test.WithLatency(b24test.Latency{}))
	api := s.Hook().V3()
	ctx := context.Background()
	list, _, err := b24.CallAs[struct {
		Items []struct{ ID int }
	}](ctx, api, "tasks.task.list", map[string]any{"select": []string{"id"}})
	if err != nil || len(list.Items) < 3 {
		t.Fatalf("%v %v", list, err)
	}
	first := b24.Cmd{Name: "first", Method: "tasks.task.get", Params: map[string]any{"id": list.Items[0].ID, "select": []string{"id", "title"}}}
	res, err := api.Batch(ctx, []b24.Cmd{
		first,
		{Name: "again", Method: "tasks.task.get", Params: map[string]any{"id": first.V3Ref("item", "id"), "select": []string{"id"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Item struct{ ID int } `json:"item"`
	}
	if v, err := b24.BatchResultAs[got](res, "again"); err != nil || v.Item.ID != list.Items[0].ID {
		t.Errorf("again: %v %v", v, err)
	}
	// The first error aborts: a read in an aborted batch is reported failed.
	res, err = api.Batch(ctx, []b24.Cmd{
		{Method: "tasks.task.get", Params: map[string]any{"id": list.Items[1].ID}},
		{Method: "tasks.task.get", Params: map[string]any{"id": 999999}},
		{Method: "tasks.task.get", Params: map[string]any{"id": list.Items[2].ID}},
	})
	if got := fakeStates(res); got != "FFF" || !res.Halted || err == nil {
		t.Errorf("abort: %s %v", got, err)
	}
	t.Log(err)
}

// TestWithOnSend: the function hears of every attempt of a batch, after the
// limiter's wait (the send time BatchByChunk's reconciler counts from too),
// and a retried read is heard twice.
func TestWithOnSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 3}))
		h := srv.Hook()
		var sends []time.Time
		start := time.Now()
		srv.FailNext("batch", 1, b24test.FaultUnavailable) // refused: retried after a wait
		res, err := h.V2().Batch(t.Context(), []b24.Cmd{{Method: "crm.deal.get", Params: map[string]any{"id": 1}}},
			b24.WithBatchCallOptions(b24.WithOnSend(func(at time.Time) { sends = append(sends, at) })))
		if err != nil {
			t.Fatal(err)
		}
		if len(sends) != 2 || !sends[0].Equal(start) || !sends[1].After(start) || !res.SentAt.Equal(sends[1]) {
			t.Errorf("sends %v (start %v), batch sent at %v", sends, start, res.SentAt)
		}
	})
}
