package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
	"github.com/b24go/b24/reconcile"
)

// keyedDeals returns n keyed crm.deal.add commands of run.
func keyedDeals(t *testing.T, run string, n int) ([]b24.Cmd, []string) {
	t.Helper()
	cmds := make([]b24.Cmd, n)
	keys := make([]string, n)
	for i := range cmds {
		cmds[i] = b24.Cmd{Method: "crm.deal.add", Params: map[string]any{"fields": map[string]any{"TITLE": fmt.Sprintf("add %d", i)}}}
		keys[i] = fmt.Sprintf("row-%d", i)
	}
	keyed, err := reconcile.KeyCreates(cmds, run, keys)
	if err != nil {
		t.Fatal(err)
	}
	return keyed, keys
}

// TestCRMCreatesSettles: every batch's answer is lost, the batch having run
// (reset), not run (bad gateway), or run 50 s after the client gave up at
// 10 s (late-run, the portal still within its cut-off). The search after
// the cut-off and margin finds each created record once (Done, its id as the
// result) or none (NotExecuted), in at most one request per 25 rows; a
// search at the client's timeout would have found none of the late ones.
func TestCRMCreatesSettles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		rows  int
		fault b24test.Fault
		want  b24.CommandState
	}{
		{"reset-120", 120, b24test.FaultReset, b24.CommandDone},
		{"not-run-70", 70, b24test.FaultBadGateway, b24.CommandNotExecuted},
		{"late-run-60", 60, b24test.FaultLateRun, b24.CommandDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const scale = 10
				s := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(scale))
				api := s.Hook(b24.WithTimeout(time.Second)).V2() // gives up at 10 s (scaled)
				cmds, _ := keyedDeals(t, "run1", tc.rows)
				chunks := (tc.rows + b24.MaxBatchCommands - 1) / b24.MaxBatchCommands
				s.FailNext("batch", chunks, tc.fault)
				if tc.fault == b24test.FaultLateRun {
					go func() {
						time.Sleep(2 * time.Second) // the client gave up; the portal has not run it yet
						if n := len(s.Audit().Writes); n != 0 {
							t.Errorf("%d records when the client gave up", n)
						}
					}()
				}
				start := time.Now()
				res, _ := api.BatchByChunk(context.Background(), cmds, b24.WithHalt(false), b24.WithReconciler(reconcile.CRMCreates),
					b24.WithRequestCutoff(2*time.Second)) // too short: CRMCreates waits out the hook's cut-off itself
				if d, after := time.Since(start), reconcile.SearchAfter(api); d < after {
					t.Errorf("settled %v after the start, before the cut-off and margin (%v)", d, after)
				}
				ids := map[string]bool{}
				for i, c := range res.Commands {
					if c.State != tc.want || !c.Reconciled {
						t.Fatalf("command %d: %v %v (reconciled %v)", i, c.State, c.Err, c.Reconciled)
					}
					if c.State == b24.CommandDone {
						id, err := b24.DecodeResult[b24.ID](&c)
						if err != nil || id <= 0 || ids[strconv.Itoa(int(id))] {
							t.Fatalf("command %d: result %s (%v)", i, c.Result, err)
						}
						ids[strconv.Itoa(int(id))] = true
					}
				}
				a := s.Audit()
				created := map[bool]int{true: tc.rows}[tc.want == b24.CommandDone]
				if n := reltest.CreatedRecords(t, a, "deal"); n != created {
					t.Errorf("%d deals created, want %d", n, created)
				}
				searches := a.Requests - chunks
				if limit := (tc.rows + 24) / 25; searches < 1 || searches > limit {
					t.Errorf("searched in %d requests, want 1 to %d", searches, limit)
				}
			})
		})
	}
}

// TestCRMCreatesTwoMatches: a record another user made by hand carries a
// create's key; once the create runs too, two records carry it: the create
// stays Ambiguous with ErrTwoMatches (never resent, never Done). Keys not
// found are NotExecuted; a command without a key is refused.
func TestCRMCreatesTwoMatches(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10))
		api := s.Hook().V2()
		cmds, _ := keyedDeals(t, "run2", 3)
		cmds = append(cmds, b24.Cmd{Method: "crm.deal.add", Params: map[string]any{"fields": map[string]any{"TITLE": "no key"}}})
		if _, err := s.CallAs(7, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "copy",
			"ORIGINATOR_ID": "b24:run2", "ORIGIN_ID": "row-1"}}); err != nil {
			t.Fatal(err)
		}
		got := reconcile.CRMCreates(context.Background(), api, cmds, []time.Time{time.Now(), time.Now(), time.Now(), time.Now()})
		if got[0].State != b24.CommandNotExecuted || got[2].State != b24.CommandNotExecuted {
			t.Errorf("keys not found: %+v %+v", got[0], got[2])
		}
		if got[1].State != b24.CommandDone {
			t.Errorf("one record carries the key: %+v", got[1])
		}
		if got[3].State != b24.CommandAmbiguous || !errors.Is(got[3].Err, reconcile.ErrBadKey) {
			t.Errorf("no key: %+v", got[3])
		}
		// Now the create runs too: two records carry row-1.
		res, _ := api.Batch(context.Background(), cmds[1:2])
		if res.Commands[0].State != b24.CommandDone {
			t.Fatal(res.Commands[0].Err)
		}
		got = reconcile.CRMCreates(context.Background(), api, cmds[:2], []time.Time{time.Now(), time.Now()})
		if got[1].State != b24.CommandAmbiguous || !errors.Is(got[1].Err, reconcile.ErrTwoMatches) {
			t.Errorf("two matches: %+v", got[1])
		}
	})
}
