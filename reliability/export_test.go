package reliability

import (
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// soakExport reads every deal with FetchList under the soak's faults (5 %
// of requests: 503, HTML 502, reset and truncated body after execution,
// slow answers), resuming from the report's cursor when a walk gives up,
// and proves that every id comes exactly once and that the completeness
// report agrees.
func soakExport(t *testing.T, seed uint64, n int, opts ...b24.ListOption) {
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
		b24test.WithSeed(b24test.Seed{Deals: n, Seed: int64(seed)}), b24test.WithFaults(reltest.SoakFaults(seed, false)))
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("export")
	h := srv.Hook(b24.WithLogger(leak.Logger()))
	ctx := t.Context()
	type row struct {
		ID    b24.ID `json:"ID"`
		Title string `json:"TITLE"`
	}
	seen := make(map[int64]int, n)
	var reports []b24.ListReport
	var resume *b24.ListCursor
	tr := newTracker()
	for walk := 1; ; walk++ {
		if walk > 10 {
			t.Fatalf("the export did not complete in 10 walks")
		}
		var rep b24.ListReport
		o := append([]b24.ListOption{b24.WithReport(&rep)}, opts...)
		if resume != nil {
			o = append(o, b24.WithResume(*resume))
		}
		rows := 0
		for r, err := range b24.FetchList[row](ctx, h.V2(), "crm.deal.list", map[string]any{"select": []string{"ID", "TITLE"}}, o...) {
			if err != nil {
				leak.Value("list error", err)
				t.Logf("walk %d stopped after %d rows: %v", walk, rows, err)
				break
			}
			rows++
			seen[int64(r.ID)]++
			if rows%5000 == 0 {
				tr.poll(t, srv.Audit())
			}
		}
		tr.poll(t, srv.Audit())
		leak.Value("list report", rep)
		reports = append(reports, rep)
		if rep.Rows != int64(rows) || rep.Duplicates != 0 || rep.UniqueIDs != rep.Rows {
			t.Errorf("walk %d: report %d rows, %d unique, %d duplicates; %d rows delivered", walk, rep.Rows, rep.UniqueIDs, rep.Duplicates, rows)
		}
		if rep.End == b24.ListComplete {
			break
		}
		if rep.End != b24.ListFailed || rep.Cursor == nil {
			t.Fatalf("walk %d ended %v without a cursor to resume: %v", walk, rep.End, rep.Err)
		}
		resume = rep.Cursor
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("deal %d delivered %d times", id, c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct ids delivered, %d deals seeded", len(seen), n)
	}
	var unique, retries, requests int64
	for _, r := range reports {
		unique += r.UniqueIDs
		retries += r.Retries
		requests += r.Requests
	}
	if unique != int64(n) {
		t.Errorf("the reports count %d unique ids over %d walks, want %d", unique, len(reports), n)
	}
	f := tr.of("")
	if total(f) == 0 {
		t.Error("no fault was injected")
	}
	last := reports[len(reports)-1]
	reltest.Figures(t, "export", map[string]any{"seed": seed, "deals": n, "ids_checked": len(seen), "walks": len(reports),
		"mode": last.Mode, "shards": last.Shards, "requests": requests, "retries": retries, "faults": total(f),
		"faults_by_kind": f, "end": last.End})
}

func TestSoakExport(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			synctest.Test(t, func(t *testing.T) { soakExport(t, seed, reltest.Scaled(t, 100000)) })
		})
	}
}

func TestSoakExportShards(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			synctest.Test(t, func(t *testing.T) { soakExport(t, seed, reltest.Scaled(t, 20000), b24.WithConcurrency(4)) })
		})
	}
}

// TestSoakExportKeyset walks one page a request (no chained batches): two
// thousand requests for 100,000 deals, so about a hundred faults.
func TestSoakExportKeyset(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			synctest.Test(t, func(t *testing.T) { soakExport(t, seed, reltest.Scaled(t, 100000), b24.WithBatch(false)) })
		})
	}
}
