package reliability

import (
	"context"
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

// contact is what the multifield soak reads back of a contact.
type contact struct {
	Name   string
	Phones []string
}

// contactPhones reads NAME and the PHONE values of every contact.
func contactPhones(t *testing.T, ctx context.Context, h *b24.Hook) map[int]contact {
	t.Helper()
	type row struct {
		ID    b24.ID `json:"ID"`
		Name  string `json:"NAME"`
		Phone []struct {
			Value string `json:"VALUE"`
		} `json:"PHONE"`
	}
	out := map[int]contact{}
	for _, r := range reltest.ReadAll(t, ctx, h, "crm.contact.list", []string{"ID", "NAME", "PHONE"}, func(r row) int { return int(r.ID) }) {
		c := contact{Name: r.Name}
		for _, p := range r.Phone {
			c.Phones = append(c.Phones, p.Value)
		}
		out[int(r.ID)] = c
	}
	return out
}

// soakMultifield sends n crm.contact.update through BatchByChunk with the
// CRM reconciler under 30 % of faults (half of them after execution): even
// contacts get a new phone (a multifield row without an ID: each run of
// the command adds one), odd ones a new NAME. What comes back not executed
// is sent again, as a rerun with a journal would. It proves that no phone
// is added twice, that a phone update is never settled not executed, and
// that every contact reported done holds its value once.
func soakMultifield(t *testing.T, seed uint64, n int) {
	rates := map[b24test.Fault]float64{}
	for _, f := range []b24test.Fault{b24test.FaultUnavailable, b24test.FaultBadGateway, b24test.FaultInternal,
		b24test.FaultReset, b24test.FaultTruncated} {
		rates[f] = 0.30 / 5
	}
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10),
		b24test.WithSeed(b24test.Seed{Contacts: n, Seed: int64(seed)}),
		b24test.WithFaults(b24test.FaultRates{Seed: seed, Rates: rates}), b24test.WithWebhook(1, reltest.Secret))
	h := srv.Hook()
	ctx := t.Context()
	tr := newTracker()
	before := contactPhones(t, ctx, h)
	if len(before) != n {
		t.Fatalf("%d contacts seeded, want %d", len(before), n)
	}
	ids := slices.Sorted(maps.Keys(before))
	phone := func(id int) string { return fmt.Sprintf("+1 555 %07d", id) }
	name := func(id int) string { return fmt.Sprintf("rel %d contact %d", seed, id) }
	isPhone := func(id int) bool { return id%2 == 0 }
	tr.poll(t, srv.Audit())
	state := map[int]b24.CommandState{}
	outcomes := map[string]int{}
	pending := slices.Clone(ids)
	rounds := 0
	for len(pending) > 0 {
		rounds++
		if rounds > 10 {
			t.Fatalf("%d updates still not executed after 10 runs", len(pending))
		}
		cmds := make([]b24.Cmd, len(pending))
		for i, id := range pending {
			fields := map[string]any{"NAME": name(id)}
			if isPhone(id) {
				fields = map[string]any{"PHONE": []any{map[string]any{"VALUE": phone(id), "VALUE_TYPE": "WORK"}}}
			}
			cmds[i] = b24.Cmd{Method: "crm.contact.update", Params: map[string]any{"id": id, "fields": fields}}
		}
		res, err := h.V2().BatchByChunk(ctx, cmds, b24.WithHalt(false),
			b24.WithReconciler(reconcile.CRMUpdates), b24.WithRequestCutoff(6*time.Second))
		tr.poll(t, srv.Audit())
		if res == nil {
			t.Fatalf("run %d: no result: %v", rounds, err)
		}
		var again []int
		for i, c := range res.Commands {
			id := pending[i]
			state[id] = c.State
			kind := map[bool]string{true: "phone", false: "name"}[isPhone(id)]
			key := kind + " " + c.State.String()
			if c.Reconciled {
				key += " (reconciled)"
			}
			outcomes[key]++
			switch c.State {
			case b24.CommandNotExecuted:
				if c.Reconciled && isPhone(id) {
					t.Errorf("contact %d: a phone update settled not executed: a resend adds the phone again", id)
				}
				again = append(again, id)
			case b24.CommandAmbiguous:
				if !errors.Is(c.Err, b24.ErrAmbiguous) {
					t.Errorf("contact %d: ambiguous without ErrAmbiguous: %v", id, c.Err)
				}
			}
		}
		t.Logf("run %d: %d updates: %v", rounds, len(cmds), res.Summary())
		pending = again
	}
	a := srv.Audit()
	after := contactPhones(t, ctx, h)
	for _, id := range ids {
		w := a.WriteCount("contact", id)
		if w > 1 {
			t.Errorf("contact %d updated %d times", id, w)
		}
		got := after[id]
		if isPhone(id) {
			k := 0
			for _, p := range got.Phones {
				if p == phone(id) {
					k++
				}
			}
			if k > 1 {
				t.Errorf("contact %d holds the phone %s %d times", id, phone(id), k)
			}
			if state[id] == b24.CommandDone && k != 1 {
				t.Errorf("contact %d reported done, holds the phone %d times", id, k)
			}
			if n := len(got.Phones) - len(before[id].Phones); n != k {
				t.Errorf("contact %d: %d phones added, %d of them the update's", id, n, k)
			}
		} else if state[id] == b24.CommandDone && got.Name != name(id) {
			t.Errorf("contact %d reported done, NAME %q", id, got.Name)
		}
		if state[id] == b24.CommandFailed && w != 0 {
			t.Errorf("contact %d reported failed, but written", id)
		}
	}
	f := tr.of("")
	if sum(f, "internal", "reset", "truncated") == 0 || outcomes["phone ambiguous"] == 0 {
		t.Errorf("no phone update left ambiguous by a fault after execution (faults %v, outcomes %v): the test proves nothing", f, outcomes)
	}
	reltest.Figures(t, "multifield-updates", map[string]any{"seed": seed, "updates": n, "runs": rounds, "requests": a.Requests,
		"faults": total(f), "faults_by_kind": f, "outcomes": outcomes})
}

func TestSoakMultifieldUpdates(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			synctest.Test(t, func(t *testing.T) { soakMultifield(t, seed, reltest.Scaled(t, 2000)) })
		})
	}
}
