package reconcile_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/reconcile"
)

// TestReadBackAsApplication: an application whose tokens do not say
// which user they act for (Hook.UserID 0) loses a batch's answer; the
// read-back finds its own writes (MODIFY_BY_ID = the token's user, asked
// with profile) and settles them Done. With the user taken as 0 every
// one of them read as a colleague's edit: Conflict.
func TestReadBackAsApplication(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const scale = 10
		s := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(scale), b24test.WithSeed(b24test.Seed{Deals: 10}))
		h := s.AppHook("app.test", "client-secret-1234", b24.WithRestrictionParams(s.RestrictionParams()))
		api := h.V2()
		ids := seededDealIDs(t, api, 10)
		if h.UserID() != 0 {
			t.Fatalf("UserID %d before any refresh, want 0 (the tokens carry no user)", h.UserID())
		}
		cmds := make([]b24.Cmd, len(ids))
		for i, id := range ids {
			cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": id, "fields": map[string]any{"COMMENTS": "app " + id}}}
		}
		s.FailNext("batch", 1, b24test.FaultReset)
		res, err := api.BatchByChunk(context.Background(), cmds, b24.WithReconciler(reconcile.CRMUpdates),
			b24.WithRequestCutoff(60*time.Second/scale))
		if err != nil {
			t.Fatalf("err %v", err)
		}
		for i, c := range res.Commands {
			if c.State != b24.CommandDone || !c.Reconciled {
				t.Errorf("command %d: %v %v, want Done", i, c.State, c.Err)
			}
		}
	})
}
