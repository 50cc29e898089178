package reconcile_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/reconcile"
)

// seededDealIDs returns the ids of the n first seeded deals.
func seededDealIDs(t *testing.T, api *b24.API, n int) []string {
	t.Helper()
	var ids []string
	for start := 0; len(ids) < n; start += 50 {
		rows, _, err := b24.CallAs[[]map[string]string](context.Background(), api, "crm.deal.list",
			map[string]any{"select": []string{"ID"}, "order": map[string]string{"ID": "ASC"}, "start": start})
		if err != nil || len(rows) == 0 {
			t.Fatalf("list: %v (%d rows)", err, len(rows))
		}
		for _, r := range rows {
			ids = append(ids, r["ID"])
		}
	}
	return ids[:n]
}

// TestBatchByChunkReadBackIsBatched: every chunk's answer is lost (the
// portal ran it, or did not); its writes are never sent again, and the
// read-back of CRMUpdates settles them after the cut-off in at most one
// request per 25 rows (it took one crm.deal.get per row before).
func TestBatchByChunkReadBackIsBatched(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		rows  int
		fault b24test.Fault
		want  b24.CommandState
	}{
		{"ran-120", 120, b24test.FaultReset, b24.CommandDone},
		{"not-run-120", 120, b24test.FaultBadGateway, b24.CommandNotExecuted},
		{"ran-7", 7, b24test.FaultReset, b24.CommandDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const scale = 10
				s := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(scale), b24test.WithSeed(b24test.Seed{Deals: 150}))
				api := s.Hook().V2()
				ids := seededDealIDs(t, api, tc.rows)
				cmds := make([]b24.Cmd, len(ids))
				for i, id := range ids {
					cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": id, "fields": map[string]any{"COMMENTS": "rb " + id, "OPPORTUNITY": 7}}}
				}
				chunks := (tc.rows + b24.MaxBatchCommands - 1) / b24.MaxBatchCommands
				s.FailNext("batch", chunks, tc.fault)
				before := s.Audit().Requests
				start := time.Now()
				res, err := api.BatchByChunk(context.Background(), cmds, b24.WithHalt(false),
					b24.WithReconciler(reconcile.CRMUpdates), b24.WithRequestCutoff(60*time.Second/scale))
				if tc.want == b24.CommandDone && err != nil || tc.want != b24.CommandDone && !errors.Is(err, b24.ErrNotExecuted) {
					t.Errorf("err %v", err)
				}
				for i, c := range res.Commands {
					if c.State != tc.want || !c.Reconciled {
						t.Fatalf("command %d: %v %v (reconciled %v)", i, c.State, c.Err, c.Reconciled)
					}
				}
				if time.Since(start) < 6*time.Second {
					t.Errorf("read back after %v, before the cut-off", time.Since(start))
				}
				a := s.Audit()
				readBack := a.Requests - before - chunks
				if limit := (tc.rows + 24) / 25; readBack > limit || readBack < 1 {
					t.Errorf("read back in %d requests, want 1 to %d (gets: %d)", readBack, limit, a.Calls("crm.deal.get"))
				}
				for _, id := range ids {
					if n, w := a.Writes["deal:"+id], map[bool]int{true: 1}[tc.want == b24.CommandDone]; n != w {
						t.Errorf("deal %s written %d times, want %d", id, n, w)
					}
				}
			})
		})
	}
}

// TestBatchByChunkReadBackConflict: a colleague (user 7) edits two records
// between the lost send and the read-back: they are Conflict, never resent
// nor Done. A record the colleague edited before the send is settled as
// usual.
func TestBatchByChunkReadBackConflict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault b24test.Fault
		other b24.CommandState // the rows nobody else touched after the send
	}{
		{b24test.FaultReset, b24.CommandDone},
		{b24test.FaultBadGateway, b24.CommandNotExecuted},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const scale = 10
				s := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(scale), b24test.WithSeed(b24test.Seed{Deals: 10}))
				api := s.Hook().V2()
				ids := seededDealIDs(t, api, 10)
				edit := func(id string) {
					if _, err := s.CallAs(7, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": "colleague"}}); err != nil {
						t.Error(err)
					}
				}
				edit(ids[2]) // before the send
				time.Sleep(2 * time.Second)
				cmds := make([]b24.Cmd, len(ids))
				for i, id := range ids {
					cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": id, "fields": map[string]any{"COMMENTS": "rb " + id}}}
				}
				s.FailNext("batch", 1, tc.fault)
				go func() {
					time.Sleep(3 * time.Second) // after the send, before the 6 s cut-off
					edit(ids[0])
					edit(ids[1])
				}()
				res, err := api.BatchByChunk(context.Background(), cmds, b24.WithReconciler(reconcile.CRMUpdates),
					b24.WithRequestCutoff(60*time.Second/scale))
				if !errors.Is(err, b24.ErrConflict) {
					t.Errorf("err %v, want ErrConflict", err)
				}
				if s := res.Summary(); s.Conflict != 2 {
					t.Errorf("summary %v", s)
				}
				for i, c := range res.Commands {
					want := tc.other
					if i < 2 {
						want = b24.CommandConflict
						if !errors.Is(c.Err, b24.ErrConflict) || !errors.Is(c.Err, b24.ErrAmbiguous) {
							t.Errorf("command %d: err %v", i, c.Err)
						}
					}
					if c.State != want {
						t.Errorf("command %d: %v %v, want %v", i, c.State, c.Err, want)
					}
				}
				for _, id := range ids {
					if n, w := s.Audit().Writes["deal:"+id], map[bool]int{true: 1}[tc.other == b24.CommandDone]; n != w {
						t.Errorf("deal %s written %d times, want %d", id, n, w)
					}
				}
			})
		})
	}
}

// TestBatchByChunkReadBackFromTheSend: the answer comes only after the
// cut-off (FaultSlow: the client gives up at 8 s); the read-back runs 6 s after the send,
// not after the answer, and an edit by another user between the send and
// the answer is a Conflict. Before, both were measured from the answer.
func TestBatchByChunkReadBackFromTheSend(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const scale = 10
		s := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(scale), b24test.WithSeed(b24test.Seed{Deals: 5}))
		api := s.Hook(b24.WithTimeout(8 * time.Second)).V2() // gives up on the 10 s answer
		ids := seededDealIDs(t, api, 5)
		cmds := make([]b24.Cmd, len(ids))
		for i, id := range ids {
			cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": id, "fields": map[string]any{"COMMENTS": "slow " + id}}}
		}
		s.FailNext("batch", 1, b24test.FaultSlow)
		go func() {
			time.Sleep(3 * time.Second) // after the send, before the answer
			if _, err := s.CallAs(7, "crm.deal.update", map[string]any{"id": ids[0], "fields": map[string]any{"TITLE": "colleague"}}); err != nil {
				t.Error(err)
			}
		}()
		start := time.Now()
		res, _ := api.BatchByChunk(context.Background(), cmds, b24.WithReconciler(reconcile.CRMUpdates),
			b24.WithRequestCutoff(60*time.Second/scale))
		if d := time.Since(start); d < 6*time.Second || d > 11*time.Second {
			t.Errorf("settled after %v, want 6 s after the send", d)
		}
		for i, c := range res.Commands {
			want := b24.CommandDone
			if i == 0 {
				want = b24.CommandConflict
			}
			if c.State != want {
				t.Errorf("command %d: %v %v, want %v", i, c.State, c.Err, want)
			}
		}
	})
}

// TestCRMUpdatesItems: crm.item.update commands are read back with
// crm.item.list (filter @id, camelCase fields), one request for all; a
// record written, one not, one edited by another user after the send, one
// missing.
func TestCRMUpdatesItems(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 5}))
		api := s.Hook().V2()
		ids := seededDealIDs(t, api, 3)
		upd := func(id, title string) b24.Cmd {
			return b24.Cmd{Method: "crm.item.update", Params: map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{"title": title}}}
		}
		cmds := []b24.Cmd{upd(ids[0], "written"), upd(ids[1], "never sent"), upd(ids[2], "mine"), upd("99999", "nobody")}
		time.Sleep(2 * time.Second)
		sent := time.Now()
		if _, err := api.Call(context.Background(), "crm.item.update", cmds[0].Params); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CallAs(7, "crm.item.update", map[string]any{"entityTypeId": 2, "id": ids[2], "fields": map[string]any{"title": "theirs"}}); err != nil {
			t.Fatal(err)
		}
		before := s.Audit().Requests
		got := reconcile.CRMUpdates(context.Background(), api, cmds, []time.Time{sent, sent, sent, sent})
		if n := s.Audit().Requests - before; n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
		if got[0].State != b24.CommandDone || got[0].Err != nil {
			t.Errorf("written: %+v", got[0])
		}
		if got[1].State != b24.CommandNotExecuted || !errors.Is(got[1].Err, b24.ErrNotExecuted) {
			t.Errorf("not sent: %+v", got[1])
		}
		if got[2].State != b24.CommandConflict || !errors.Is(got[2].Err, b24.ErrConflict) {
			t.Errorf("edited by user 7: %+v", got[2])
		}
		if got[3].State != b24.CommandAmbiguous || !errors.Is(got[3].Err, b24.ErrNotFound) {
			t.Errorf("missing: %+v", got[3])
		}
	})
}
