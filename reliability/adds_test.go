package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
	"github.com/b24go/b24/reconcile"
)

// addRun is what a soak of single adds gave.
type addRun struct {
	ids       []int   // the id of each successful add, 0 otherwise
	errs      []error // the error of each failed add
	successes int
	ambiguous int
	requests  int
}

// runAdds calls add(i) for i in [0, n) from 8 goroutines, in rounds of 500
// calls so that the tracker sees every request.
func runAdds(t *testing.T, srv *b24test.Server, tr *tracker, leak *reltest.LeakCheck, n int, add func(ctx context.Context, i int) (int, error)) addRun {
	t.Helper()
	ctx := t.Context()
	r := addRun{ids: make([]int, n), errs: make([]error, n)}
	for start := 0; start < n; start += 500 {
		end := min(n, start+500)
		var next atomic.Int64
		next.Store(int64(start))
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= end {
						return
					}
					r.ids[i], r.errs[i] = add(ctx, i)
				}
			})
		}
		wg.Wait()
		tr.poll(t, srv.Audit())
	}
	seen := map[int]int{}
	for i := range n {
		if r.errs[i] != nil {
			leak.Value(fmt.Sprintf("add %d error", i), r.errs[i])
		}
		switch {
		case r.errs[i] == nil:
			r.successes++
			if r.ids[i] <= 0 {
				t.Fatalf("add %d: success without an id", i)
			}
			if j, dup := seen[r.ids[i]]; dup {
				t.Fatalf("adds %d and %d both returned id %d", j, i, r.ids[i])
			}
			seen[r.ids[i]] = i
		case errors.Is(r.errs[i], b24.ErrAmbiguous):
			r.ambiguous++
			if r.ambiguous <= 3 {
				t.Logf("add %d ambiguous: %v", i, r.errs[i])
			}
		default:
			t.Errorf("add %d: an outcome that is neither done nor ambiguous: %v", i, r.errs[i])
		}
	}
	r.requests = srv.Audit().Requests
	return r
}

// soakDealAdds runs n crm.deal.add calls under the soak's faults (500 after
// execution included) and proves that the SDK's retries created no
// duplicate: every record the portal created is either a success (its id
// returned once) or the one execution behind an ambiguous outcome, and no
// ambiguous add was sent again.
func soakDealAdds(t *testing.T, seed uint64, n int, network bool, scale float64) {
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(scale), b24test.WithWebhook(1, reltest.Secret),
		b24test.WithSeed(b24test.Seed{Deals: 50, Seed: int64(seed)}), b24test.WithFaults(reltest.SoakFaults(seed, true)))
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("deal-adds")
	h, settle := srv.Hook(b24.WithLogger(leak.Logger())), func() {}
	if network {
		h, settle = overTLS(t, srv, b24.WithLogger(leak.Logger()))
	}
	tr := newTracker()
	r := runAdds(t, srv, tr, leak, n, func(ctx context.Context, i int) (int, error) {
		resp, err := h.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{
			"TITLE": fmt.Sprintf("soak add %d", i), "OPPORTUNITY": i}})
		if err != nil {
			return 0, err
		}
		if i%100 == 0 {
			leak.Value("response", resp)
		}
		id, err := b24.Decode[b24.ID](resp)
		return int(id), err
	})
	settle()
	tr.poll(t, srv.Audit())
	a := srv.Audit()
	f := tr.of("crm.deal.add")
	executedLost := sum(f, afterExecution...) // ran, answer lost
	created := reltest.CreatedRecords(t, a, "deal")
	for i, id := range r.ids {
		if r.errs[i] == nil && a.WriteCount("deal", id) != 1 {
			t.Errorf("add %d: record %d written %d times", i, id, a.WriteCount("deal", id))
		}
	}
	// Every record created is a success or the single execution of an
	// ambiguous add: a retry of a write that had run would add one more.
	if created != r.successes+executedLost {
		t.Errorf("%d records created, want %d successes + %d executions whose answer was lost", created, r.successes, executedLost)
	}
	// Each ambiguous outcome is one request that may have run, never repeated.
	if want := executedLost + f["bad-gateway"]; r.ambiguous != want {
		t.Errorf("%d ambiguous adds, want one per lost answer (%d)", r.ambiguous, want)
	}
	// Every add is one request, plus one per 503 refusal (retried: not run).
	if got, want := total(a.ByMethod["crm.deal.add"]), n+a.ByMethod["crm.deal.add"][503]; got != want {
		t.Errorf("crm.deal.add requests = %d, want %d adds + %d refusals", got, n, a.ByMethod["crm.deal.add"][503])
	}
	if total(f) == 0 {
		t.Error("no fault was injected")
	}
	reltest.Figures(t, "deal-adds", map[string]any{"seed": seed, "adds": n, "requests": r.requests, "faults": total(f),
		"faults_by_kind": f, "done": r.successes, "ambiguous": r.ambiguous, "records_created": created})
}

func TestSoakDealAdds(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			synctest.Test(t, func(t *testing.T) {
				soakDealAdds(t, seed, reltest.Scaled(t, 2000), false, 10)
			})
		})
	}
}

// TestSoakDealAddsNetwork is the same over TLS on 127.0.0.1, where resets
// and truncated bodies are real TCP events (fewer adds: real time).
func TestSoakDealAddsNetwork(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			soakDealAdds(t, seed, reltest.Scaled(t, 300), true, 100)
		})
	}
}

// soakTaskAdds runs n REST v3 tasks.task.add calls under the same faults:
// each carries an Idempotency-Key reused on its retries, so an add whose
// answer was lost is retried and replayed, never run twice.
func soakTaskAdds(t *testing.T, seed uint64, n int, opts ...b24test.Option) {
	opts = append([]b24test.Option{b24test.WithSeed(b24test.Seed{Tasks: 20, Seed: int64(seed)}),
		b24test.WithFaults(reltest.SoakFaults(seed, true))}, opts...)
	srv := b24test.NewServer(t, append(opts, b24test.WithWebhook(1, reltest.Secret))...)
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("task-adds-v3")
	h := srv.Hook(b24.WithLogger(leak.Logger()))
	tr := newTracker()
	type added struct {
		Item struct {
			ID b24.ID `json:"id"`
		} `json:"item"`
	}
	r := runAdds(t, srv, tr, leak, n, func(ctx context.Context, i int) (int, error) {
		v, _, err := b24.CallAs[added](ctx, h.V3(), "tasks.task.add", map[string]any{"fields": map[string]any{
			"title": fmt.Sprintf("soak task %d", i)}})
		return int(v.Item.ID), err
	})
	a := srv.Audit()
	f := tr.of("tasks.task.add")
	created := reltest.CreatedRecords(t, a, "task")
	// A v3 add gives up (ambiguous) only after MaxAttempts failures in a
	// row; then it may or may not have run once.
	if created < r.successes || created > r.successes+r.ambiguous {
		t.Errorf("%d tasks created for %d successes and %d ambiguous adds", created, r.successes, r.ambiguous)
	}
	lost := sum(f, afterExecution...)
	if lost > 0 && tr.replayed["tasks.task.add"] == 0 {
		t.Errorf("%d answers were lost after execution, and no retry was answered by a replay", lost)
	}
	if r.ambiguous > n/100 {
		t.Errorf("%d of %d v3 adds ambiguous: retries with the key are not working", r.ambiguous, n)
	}
	if total(f) == 0 {
		t.Error("no fault was injected")
	}
	reltest.Figures(t, "task-adds-v3", map[string]any{"seed": seed, "adds": n, "requests": r.requests, "faults": total(f),
		"faults_by_kind": f, "done": r.successes, "ambiguous": r.ambiguous, "records_created": created,
		"replayed": tr.replayed["tasks.task.add"]})
}

func TestSoakTaskAddsV3(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			synctest.Test(t, func(t *testing.T) {
				soakTaskAdds(t, seed, reltest.Scaled(t, 2000), b24test.InMemory(), b24test.WithTimeScale(10))
			})
		})
	}
}

// TestSoakBatchCreates: 2,000 keyed crm.deal.add through BatchByChunk with
// reconcile.CRMCreates under 30 % faults (late runs included), as a program
// would run them: what is NotExecuted is sent again with the same key, what
// stays Ambiguous is searched again, never resent. Each key ends with one
// deal, none written twice, and each Done command's id is that deal.
func TestSoakBatchCreates(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { soakCreates(t, seed, reltest.Scaled(t, 2000)) })
		})
	}
}

func soakCreates(t *testing.T, seed uint64, n int) {
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
		b24test.WithSeed(b24test.Seed{Deals: 10, Seed: int64(seed)}), b24test.WithFaults(reltest.CreateFaults(seed)))
	api := srv.Hook(b24.WithTimeout(time.Second)).V2() // gives up at 10 s (scaled): before a late run
	ctx := t.Context()
	cmds, keys := make([]b24.Cmd, n), make([]string, n)
	for i := range cmds {
		cmds[i] = b24.Cmd{Method: "crm.deal.add", Params: map[string]any{"fields": map[string]any{"TITLE": fmt.Sprintf("create %d", i)}}}
		keys[i] = fmt.Sprint("k", i)
	}
	cmds, err := reconcile.KeyCreates(cmds, "soak", keys)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{} // key -> id of its Done command
	send, search := seq(n), []int(nil)
	var searchSent []time.Time
	for round := 0; len(send)+len(search) > 0; round++ {
		if round == 8 {
			t.Fatalf("%d to send, %d to search after 8 rounds", len(send), len(search))
		}
		var nextSend, nextSearch []int
		var nextSent []time.Time
		settle := func(i int, st b24.Settled, result []byte, sent time.Time) {
			switch st.State {
			case b24.CommandDone:
				var id b24.ID
				if err := json.Unmarshal(result, &id); err != nil || id <= 0 {
					t.Fatalf("key %s done with result %s", keys[i], result)
				}
				ids[keys[i]] = int64(id)
			case b24.CommandNotExecuted, b24.CommandFailed:
				nextSend = append(nextSend, i)
			default: // ambiguous, or a conflict: search again, never resend
				if errors.Is(st.Err, reconcile.ErrTwoMatches) {
					t.Fatalf("key %s: %v", keys[i], st.Err)
				}
				nextSearch, nextSent = append(nextSearch, i), append(nextSent, sent)
			}
		}
		if len(send) > 0 {
			batch := make([]b24.Cmd, len(send))
			for k, i := range send {
				batch[k] = cmds[i]
			}
			res, _ := api.BatchByChunk(ctx, batch, b24.WithHalt(false), b24.WithReconciler(reconcile.CRMCreates))
			for k, c := range res.Commands {
				settle(send[k], b24.Settled{State: c.State, Err: c.Err}, c.Result, time.Now())
			}
		}
		if len(search) > 0 {
			batch := make([]b24.Cmd, len(search))
			for k, i := range search {
				batch[k] = cmds[i]
			}
			for k, st := range reconcile.CRMCreates(ctx, api, batch, searchSent) {
				settle(search[k], st, st.Result, searchSent[k])
			}
		}
		send, search, searchSent = nextSend, nextSearch, nextSent
	}
	a := srv.Audit()
	if c := reltest.CreatedRecords(t, a, "deal"); c != n {
		t.Errorf("%d deals created, want %d", c, n)
	}
	byKey := reltest.KeyedDeals(t, ctx, srv.Hook(), "b24:soak")
	for _, k := range keys {
		if ds := byKey[k]; len(ds) != 1 || int64(ds[0].ID) != ids[k] {
			t.Errorf("key %s: deals %v, done with id %d", k, ds, ids[k])
		}
	}
	faults := map[string]int{}
	for _, r := range a.Log {
		if r.Fault != "" {
			faults[r.Fault]++
		}
	}
	reltest.Figures(t, "batch-creates", map[string]any{"seed": seed, "creates": n, "requests": a.Requests, "faults": faults})
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
