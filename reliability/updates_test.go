package reliability

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
	"github.com/b24go/b24/reconcile"
)

// soakUpdates sends one crm.deal.update per deal through BatchByChunk with
// halt off and the CRM reconciler, under the soak's faults with 500 after
// execution, then sends again what the first run reports not executed
// (what a rerun with a journal does), until nothing is left to send. It
// proves: every command ends done, failed with a reason or ambiguous
// (listed); no deal is written twice; every deal reported done, and every
// deal at the end, holds its target value, except the ambiguous ones
// listed.
func soakUpdates(t *testing.T, seed uint64, n int) {
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10),
		b24test.WithSeed(b24test.Seed{Deals: n, Seed: int64(seed)}), b24test.WithFaults(reltest.SoakFaults(seed, true)),
		b24test.WithWebhook(1, reltest.Secret))
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("batch-updates")
	h := srv.Hook(b24.WithLogger(leak.Logger()))
	ctx := t.Context()
	tr := newTracker()
	// The seeded ids have gaps (deleted records, as on a real portal).
	before := reltest.ReadTitles(t, ctx, h)
	if len(before) != n {
		t.Fatalf("%d deals seeded, want %d", len(before), n)
	}
	pending := slices.Sorted(maps.Keys(before)) // deal ids still to send
	ids := slices.Clone(pending)
	tr.poll(t, srv.Audit())
	state := map[int]b24.CommandState{}
	reconciled, rounds, batchRequests := 0, 0, 0
	var ambiguous []string
	for len(pending) > 0 {
		rounds++
		if rounds > 5 {
			t.Fatalf("%d updates still not executed after 5 runs", len(pending))
		}
		cmds := make([]b24.Cmd, len(pending))
		for i, id := range pending {
			cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": id,
				"fields": map[string]any{"TITLE": reltest.TargetTitle(seed, id)}}}
		}
		// Polls the audit log while the run goes: it keeps 10,000 requests.
		done, polled := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(polled)
			for {
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
					tr.poll(t, srv.Audit())
				}
			}
		}()
		res, err := h.V2().BatchByChunk(ctx, cmds, b24.WithHalt(false),
			b24.WithReconciler(reconcile.CRMUpdates), b24.WithRequestCutoff(6*time.Second))
		close(done)
		<-polled
		tr.poll(t, srv.Audit())
		if res == nil {
			t.Fatalf("run %d: no result: %v", rounds, err)
		}
		batchRequests += res.Requests
		leak.Value("batch error", err)
		leak.Value("batch summary", res.Summary())
		var be *b24.BatchError
		if err != nil && !errors.As(err, &be) {
			t.Fatalf("run %d: error is not a *BatchError: %v", rounds, err)
		}
		var again []int
		for i, c := range res.Commands {
			id := pending[i]
			if c.Index != i || c.Method != "crm.deal.update" {
				t.Fatalf("command %d reported at %d as %s", i, c.Index, c.Method)
			}
			if c.Reconciled {
				reconciled++
			}
			if c.State != b24.CommandDone || i%500 == 0 {
				leak.Value(fmt.Sprintf("command %d", i), c)
			}
			state[id] = c.State
			switch c.State {
			case b24.CommandDone:
				if c.Err != nil {
					t.Errorf("deal %d: done with an error: %v", id, c.Err)
				}
			case b24.CommandFailed:
				var ae *b24.APIError
				if !errors.As(c.Err, &ae) {
					t.Errorf("deal %d: failed without a reason: %v", id, c.Err)
				}
			case b24.CommandAmbiguous:
				if !errors.Is(c.Err, b24.ErrAmbiguous) {
					t.Errorf("deal %d: ambiguous without ErrAmbiguous: %v", id, c.Err)
				}
				ambiguous = append(ambiguous, fmt.Sprintf("deal %d: %v", id, c.Err))
			case b24.CommandNotExecuted:
				if !errors.Is(c.Err, b24.ErrNotExecuted) {
					t.Errorf("deal %d: not executed without ErrNotExecuted: %v", id, c.Err)
				}
				again = append(again, id)
			default:
				t.Errorf("deal %d: unknown state %v", id, c.State)
			}
		}
		t.Logf("run %d: %d updates: %v", rounds, len(cmds), res.Summary())
		pending = again
	}
	for _, a := range ambiguous {
		t.Logf("listed ambiguous: %s", a)
	}
	a := srv.Audit()
	titles := reltest.ReadTitles(t, ctx, h)
	counts := map[string]int{}
	for _, id := range ids {
		w := a.WriteCount("deal", id)
		if w > 1 {
			t.Errorf("deal %d updated %d times", id, w)
		}
		st := state[id]
		counts[st.String()]++
		switch {
		case st == b24.CommandDone && (w != 1 || titles[id] != reltest.TargetTitle(seed, id)):
			t.Errorf("deal %d reported done: %d writes, title %q", id, w, titles[id])
		case st == b24.CommandFailed && w != 0:
			t.Errorf("deal %d reported failed, but written", id)
		case st != b24.CommandAmbiguous && titles[id] != reltest.TargetTitle(seed, id):
			t.Errorf("deal %d (%v) does not hold its target value: %q", id, st, titles[id])
		}
	}
	f := tr.of("")
	if sum(f, "internal") == 0 || total(f) == 0 {
		t.Errorf("faults injected: %v (want 500 after execution among them)", f)
	}
	if counts["not executed"] != 0 {
		t.Errorf("%d updates never sent", counts["not executed"])
	}
	reltest.Figures(t, "batch-updates", map[string]any{"seed": seed, "updates": n, "runs": rounds, "requests": a.Requests,
		"batch_requests": batchRequests, "faults": total(f), "faults_by_kind": f, "outcomes": counts,
		"reconciled": reconciled, "ids_checked": len(titles)})
}

func TestSoakBatchUpdates(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			synctest.Test(t, func(t *testing.T) { soakUpdates(t, seed, reltest.Scaled(t, 10000)) })
		})
	}
}
