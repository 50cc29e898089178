package reliability

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// hostileWalk is one walk of TestHostileListPortal: a list read with opts.
type hostileWalk struct {
	name   string
	v3     bool
	method string
	params map[string]any
	idKey  string
	opts   []b24.ListOption
}

// TestHostileListPortal proves, per class of hostile portal (b24test's
// FaultUnsorted and FaultIgnoreStart, switched on in the middle of a walk,
// and a list changed under an offset walk), that no walk ends complete with
// a row missing or delivered twice: it fails with a typed error (or ends
// incomplete), and the keyset walks, resumed from their cursor, then deliver
// every id exactly once.
func TestHostileListPortal(t *testing.T) {
	const n = 3000
	byTitle := map[string]any{"order": map[string]any{"TITLE": "ASC"}, "select": []string{"ID", "TITLE"}}
	byTitle3 := map[string]any{"order": map[string]any{"title": "asc"}, "select": []string{"id", "title"}}
	idOnly := map[string]any{"select": []string{"ID"}}
	ids3 := map[string]any{"select": []string{"id"}}
	unsorted := []hostileWalk{
		{"keyset", false, "crm.deal.list", idOnly, "ID", []b24.ListOption{b24.WithBatch(false)}},
		{"chain", false, "crm.deal.list", idOnly, "ID", nil},
		{"shards", false, "crm.deal.list", idOnly, "ID", []b24.ListOption{b24.WithConcurrency(4), b24.WithBatch(false)}},
		{"v3", true, "tasks.task.list", ids3, "id", []b24.ListOption{b24.WithPageSize(100)}},
		{"v3 shards", true, "tasks.task.list", ids3, "id", []b24.ListOption{b24.WithPageSize(100), b24.WithConcurrency(3)}},
		{"tail", true, "tasks.task.tail", ids3, "id", []b24.ListOption{b24.WithPageSize(100)}},
	}
	ignored := []hostileWalk{
		{"offset v2", false, "crm.deal.list", byTitle, "ID", nil},
		{"offset v3", true, "tasks.task.list", byTitle3, "id", []b24.ListOption{b24.WithPageSize(100)}},
	}
	for _, seed := range reltest.Seeds(t) {
		t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
		for _, w := range unsorted {
			t.Run("unsorted "+w.name, func(t *testing.T) { hostileRun(t, seed, n, w, b24test.FaultUnsorted) })
		}
		for _, w := range ignored {
			t.Run("ignored start "+w.name, func(t *testing.T) { hostileRun(t, seed, n, w, b24test.FaultIgnoreStart) })
		}
		t.Run("changed offset", func(t *testing.T) { hostileChanged(t, seed, n) })
		// Chained batches draw once a command: 50 draws a request.
		for _, w := range []hostileWalk{unsorted[0], unsorted[1], unsorted[3]} {
			rate := 0.05
			if w.name == "chain" {
				rate = 0.01
			}
			t.Run("random "+w.name, func(t *testing.T) { hostileRandom(t, seed, n, w, rate) })
		}
		t.Run("random offset", func(t *testing.T) { hostileRandomOffset(t, seed, n) })
	}
}

// hostileRandom walks w on a portal whose list calls are unsorted at
// random (rate of the calls, batch commands included; ignored starts at the
// same rate, which a keyset walk does not use), resuming from the report's cursor until
// complete: every id comes exactly once, and every walk that ended before
// failed with ErrRowsOutOfOrder.
func hostileRandom(t *testing.T, seed uint64, n int, w hostileWalk, rate float64) {
	synctest.Test(t, func(t *testing.T) {
		_, sound := hostileServer(t, seed, n, w.v3)
		want := allIDs(t, sound, w)
		_, api := hostileServer(t, seed, n, w.v3,
			b24test.WithFaults(b24test.FaultRates{Seed: seed, Rates: map[b24test.Fault]float64{b24test.FaultUnsorted: rate, b24test.FaultIgnoreStart: rate}}))
		seen := map[int64]int{}
		var resume *b24.ListCursor
		failed := 0
		for walk := 1; ; walk++ {
			if walk > 50 {
				t.Fatalf("not complete in 50 walks")
			}
			var rep b24.ListReport
			opts := append([]b24.ListOption{b24.WithReport(&rep)}, w.opts...)
			if resume != nil {
				opts = append(opts, b24.WithResume(*resume))
			}
			var err error
			for r, e := range b24.FetchList[map[string]any](context.Background(), api, w.method, w.params, opts...) {
				if err = e; e != nil {
					break
				}
				seen[idOf(t, r, w.idKey)]++
			}
			if rep.End == b24.ListComplete {
				break
			}
			if !errors.Is(err, b24.ErrRowsOutOfOrder) || rep.End != b24.ListFailed || rep.Cursor == nil {
				t.Fatalf("walk %d ended %v: %v", walk, rep.End, err)
			}
			failed++
			resume = rep.Cursor
		}
		for _, id := range want {
			if seen[id] != 1 {
				t.Fatalf("id %d delivered %d times", id, seen[id])
			}
		}
		if len(seen) != len(want) {
			t.Fatalf("%d ids delivered, %d in the list", len(seen), len(want))
		}
		t.Logf("figures: random unsorted %s (%.0f %%): %d walks stopped by ErrRowsOutOfOrder, then complete: %d ids, each once", w.name, 100*rate, failed, len(seen))
	})
}

// hostileRandomOffset walks by offset 6 times on a portal whose list calls
// ignore start or the order at random (2 % each): a walk that ends
// complete delivered every id exactly once; any other ended failed
// (ErrPageRepeated, ErrCursorStalled) or incomplete (ErrListChanged), with
// no id delivered twice.
func hostileRandomOffset(t *testing.T, seed uint64, n int) {
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
			b24test.WithSeed(b24test.Seed{Deals: n, Seed: int64(seed)}),
			b24test.WithFaults(b24test.FaultRates{Seed: seed, Rates: map[b24test.Fault]float64{b24test.FaultUnsorted: 0.02, b24test.FaultIgnoreStart: 0.02}}))
		h := srv.Hook()
		params := map[string]any{"order": map[string]any{"TITLE": "ASC"}, "select": []string{"ID", "TITLE"}}
		ends := map[string]int{}
		for walk := 1; walk <= 6; walk++ {
			var rep b24.ListReport
			seen := map[int64]int{}
			var err error
			for r, e := range b24.FetchList[map[string]any](context.Background(), h.V2(), "crm.deal.list", params, b24.WithReport(&rep)) {
				if err = e; e != nil {
					break
				}
				id := idOf(t, r, "ID")
				if seen[id]++; seen[id] > 1 {
					t.Fatalf("walk %d: id %d delivered twice", walk, id)
				}
			}
			switch {
			case rep.End == b24.ListComplete:
				if len(seen) != n || err != nil {
					t.Fatalf("walk %d: complete with %d of %d ids: %v", walk, len(seen), n, err)
				}
				ends["complete"]++
			case rep.End == b24.ListIncomplete && errors.Is(err, b24.ErrListChanged):
				ends["incomplete"]++
			case rep.End == b24.ListFailed && (errors.Is(err, b24.ErrPageRepeated) || errors.Is(err, b24.ErrCursorStalled)):
				ends["failed"]++
			default:
				t.Fatalf("walk %d ended %v: %v", walk, rep.End, err)
			}
		}
		t.Logf("figures: random offset walks over %d deals: %v", n, ends)
	})
}

// hostileServer starts a fake portal of n deals and n tasks and returns it
// with the API (v3 or v2) to walk it with.
func hostileServer(t *testing.T, seed uint64, n int, v3 bool, opts ...b24test.Option) (*b24test.Server, *b24.API) {
	srv := b24test.NewServer(t, append([]b24test.Option{b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
		b24test.WithSeed(b24test.Seed{Deals: n, Tasks: n, Seed: int64(seed)})}, opts...)...)
	if v3 {
		return srv, srv.Hook().V3()
	}
	return srv, srv.Hook().V2()
}

// hostileRun walks w, switching fault on for the rest of the walk's calls
// after its first request's rows; then resumes keyset walks from their
// cursor without the fault.
func hostileRun(t *testing.T, seed uint64, n int, w hostileWalk, fault b24test.Fault) {
	synctest.Test(t, func(t *testing.T) {
		srv, api := hostileServer(t, seed, n, w.v3)
		ctx := context.Background()
		want := allIDs(t, api, w)
		seen := map[int64]int{}
		var rep b24.ListReport
		var at int64 // requests when the fault began
		on := func(p b24.ListProgress) {
			if at == 0 {
				at = p.Requests
				srv.FailNext(w.method, 1_000_000, fault)
			}
		}
		opts := append([]b24.ListOption{b24.WithReport(&rep), b24.WithProgress(on)}, w.opts...)
		var err error
		if w.method == "tasks.task.tail" {
			for r, e := range b24.FetchTail[map[string]any](ctx, api, w.method, w.params, opts...) {
				if err = e; e != nil {
					break
				}
				seen[idOf(t, r, w.idKey)]++
			}
		} else {
			for r, e := range b24.FetchList[map[string]any](ctx, api, w.method, w.params, opts...) {
				if err = e; e != nil {
					break
				}
				seen[idOf(t, r, w.idKey)]++
			}
		}
		wantErr := b24.ErrRowsOutOfOrder
		if fault == b24test.FaultIgnoreStart {
			wantErr = b24.ErrPageRepeated
		}
		if !errors.Is(err, wantErr) || rep.End != b24.ListFailed || !errors.Is(rep.Err, wantErr) {
			t.Fatalf("the walk ended %v: %v", rep.End, err)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("id %d delivered %d times", id, k)
			}
		}
		if rep.Rows != int64(len(seen)) || rep.UniqueIDs != rep.Rows {
			t.Fatalf("report %d rows, %d unique; %d delivered", rep.Rows, rep.UniqueIDs, len(seen))
		}
		first := rep
		resumed := "no resume"
		if rep.Cursor != nil {
			// The faults end (the portal fixed): the cursor reads the rest.
			srv.ClearFaults()
			resumeRest(t, srv, api, w, *rep.Cursor, seen)
			for _, id := range want {
				if seen[id] != 1 {
					t.Fatalf("id %d delivered %d times after the resume", id, seen[id])
				}
			}
			if len(seen) != len(want) {
				t.Fatalf("%d ids delivered, %d in the list", len(seen), len(want))
			}
			resumed = fmt.Sprintf("resumed to %d ids, each once", len(seen))
		}
		t.Logf("figures: %s %s: stopped after %d requests (%d after the fault), %d rows delivered, %v; %s",
			fault, w.name, first.Requests, first.Requests-at, first.Rows, first.Err, resumed)
	})
}

// allIDs returns every id of w's list, read by id on a sound portal.
func allIDs(t *testing.T, api *b24.API, w hostileWalk) []int64 {
	t.Helper()
	method := w.method
	if method == "tasks.task.tail" {
		method = "tasks.task.list"
	}
	sel := map[string]any{"select": []string{w.idKey}}
	rows, err := b24.CallList[map[string]any](context.Background(), api, method, sel)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = idOf(t, r, w.idKey)
	}
	return ids
}

// idOf reads a row's id.
func idOf(t *testing.T, r map[string]any, key string) int64 {
	t.Helper()
	var id b24.ID
	switch v := r[key].(type) {
	case string:
		if err := id.UnmarshalJSON([]byte(`"` + v + `"`)); err != nil {
			t.Fatalf("id %q: %v", v, err)
		}
	case float64:
		id = b24.ID(v)
	default:
		t.Fatalf("row without id %q: %v", key, r)
	}
	return int64(id)
}

// resumeRest reads the rest of a keyset walk from cur, counting its ids.
func resumeRest(t *testing.T, srv *b24test.Server, api *b24.API, w hostileWalk, cur b24.ListCursor, seen map[int64]int) {
	t.Helper()
	var rep b24.ListReport
	opts := append([]b24.ListOption{b24.WithReport(&rep), b24.WithResume(cur)}, w.opts...)
	for r, err := range b24.FetchList[map[string]any](context.Background(), api, w.method, w.params, opts...) {
		if err != nil {
			t.Fatalf("resumed walk: %v", err)
		}
		seen[idOf(t, r, w.idKey)]++
	}
	if rep.End != b24.ListComplete {
		t.Fatalf("resumed walk ended %v", rep.End)
	}
}

// hostileChanged deletes rows of the first pages of an offset walk while it
// runs: the walk reads to the end and ends incomplete (ErrListChanged),
// every row it delivered once.
func hostileChanged(t *testing.T, seed uint64, n int) {
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
			b24test.WithSeed(b24test.Seed{Deals: n, Seed: int64(seed)}))
		h := srv.Hook()
		ctx := context.Background()
		params := map[string]any{"order": map[string]any{"TITLE": "ASC"}, "select": []string{"ID", "TITLE"}}
		var rep b24.ListReport
		seen := map[int64]int{}
		var delivered []int64
		var err error
		deleted := 0
		for r, e := range b24.FetchList[map[string]any](ctx, h.V2(), "crm.deal.list", params, b24.WithReport(&rep)) {
			if err = e; e != nil {
				break
			}
			id := idOf(t, r, "ID")
			seen[id]++
			delivered = append(delivered, id)
			if len(delivered) == 120 {
				// Delete 5 rows already read: the rows after them shift back.
				for _, d := range delivered[:5] {
					if _, derr := h.V2().Call(ctx, "crm.deal.delete", map[string]any{"id": d}); derr != nil {
						t.Fatal(derr)
					}
					deleted++
				}
			}
		}
		if !errors.Is(err, b24.ErrListChanged) || rep.End != b24.ListIncomplete {
			t.Fatalf("the walk ended %v: %v", rep.End, err)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("id %d delivered %d times", id, k)
			}
		}
		if rep.Rows != int64(len(seen)) {
			t.Fatalf("report %d rows, %d delivered", rep.Rows, len(seen))
		}
		// The deleted rows were delivered before their deletion: the rows
		// the shift skipped are the rest.
		t.Logf("figures: changed offset walk: %d deals, %d deleted after 120 rows: %d rows delivered (%d skipped by the shift), %d requests, end %v: %v",
			n, deleted, rep.Rows, n-len(seen), rep.Requests, rep.End, err)
	})
}
