package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

// dealIDs returns the ids of the portal's deals as seeded, in order. It
// walks a twin of the portal (the same seed, in memory, without limits or
// latency) one page a request, by id: independent of the chained walk "b24
// list" uses, and quick whatever the portal's own limits and latency.
func dealIDs(t *testing.T, p *portal) []int {
	t.Helper()
	twin := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(p.s.Data().Seed),
		b24test.WithLimits(b24test.Limits{Disabled: true}), b24test.WithLatency(b24test.Latency{}))
	unpaced := b24.DefaultRestrictionParams()
	unpaced.RateLimit = limit.RateLimit{Burst: 100000, Drain: 100000}
	h := twin.Hook(b24.WithRestrictionParams(unpaced))
	var ids []int
	last := 0
	for {
		rows, _, err := b24.CallAs[[]struct{ ID b24.ID }](t.Context(), h.V2(), "crm.deal.list",
			map[string]any{"filter": map[string]any{">ID": last}, "order": map[string]string{"ID": "ASC"}, "select": []string{"ID"}, "start": -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			ids = append(ids, int(r.ID))
			last = int(r.ID)
		}
		if len(rows) < 50 {
			return ids
		}
	}
}

// writeUpdateCSV writes an update of the given deals that sets TITLE to
// "<tag> #id", a value no seeded deal holds, and returns the file.
func writeUpdateCSV(t *testing.T, dir string, ids []int, tag string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("ID,TITLE\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%d,%s #%d\n", id, tag, id)
	}
	path := filepath.Join(dir, "update.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkTitles checks that the deals hold "<tag> #id" and were written
// exactly once.
func checkTitles(t *testing.T, p *portal, ids []int, tag string) {
	t.Helper()
	a := p.s.Audit()
	h := p.s.Hook()
	bad := 0
	for _, id := range ids {
		if n := a.WriteCount("deal", id); n != 1 {
			t.Errorf("deal %d written %d times, want 1", id, n)
			bad++
		}
	}
	for i := 0; i < len(ids); i += 50 {
		chunk := ids[i:min(i+50, len(ids))]
		rows, _, err := b24.CallAs[[]struct{ ID, TITLE string }](t.Context(), h.V2(), "crm.deal.list",
			map[string]any{"filter": map[string]any{"@ID": chunk}, "select": []string{"ID", "TITLE"}, "start": -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(chunk) {
			t.Errorf("read back %d deals of %d", len(rows), len(chunk))
		}
		for _, row := range rows {
			if want := tag + " #" + row.ID; row.TITLE != want && bad < 20 {
				t.Errorf("deal %s has TITLE %q, want %q", row.ID, row.TITLE, want)
				bad++
			}
		}
	}
}

func TestUpdate(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 300}))
	dir := t.TempDir()
	ids := dealIDs(t, p)[:120]
	in := writeUpdateCSV(t, dir, ids, "Updated")
	j := filepath.Join(dir, "j")
	r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", j)
	goldenRun(t, "update.golden", r, exitOK, dir)
	// A rerun has nothing to do.
	r = p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", j)
	goldenRun(t, "update_rerun.golden", r, exitOK, dir)
	checkTitles(t, p, ids, "Updated")
	// Another input with the same journal is refused.
	in2 := writeUpdateCSV(t, t.TempDir(), ids[:3], "Other")
	r = p.run(t, "", "update", "crm.deal.update", "--from", in2, "--journal", j)
	goldenRun(t, "update_other_input.golden", r, exitUsage, dir)
}

func TestUpdateNDJSONAndFailures(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 100}))
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	ids := dealIDs(t, p)
	os.WriteFile(in, []byte(fmt.Sprintf(`{"ID": %d, "TITLE": "Five"}
{"id": "%d", "fields": {"TITLE": "Six"}}
{"ID": 99999, "TITLE": "Nobody"}
`, ids[0], ids[1])), 0o644)
	r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", filepath.Join(dir, "j"))
	goldenRun(t, "update_failed.golden", r, exitPartial, dir)
	// The failed row is tried again, and fails again; the others are done.
	r = p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", filepath.Join(dir, "j"))
	goldenRun(t, "update_failed_rerun.golden", r, exitPartial, dir)
	if a := p.s.Audit(); a.WriteCount("deal", ids[0]) != 1 || a.WriteCount("deal", ids[1]) != 1 {
		t.Errorf("writes: %v", a.Writes)
	}
}

// TestUpdateUnbatchableRow: a row holding a value a batch command cannot
// carry (a boolean, null, an empty array) is a usage error naming the row
// and the key, before anything is journaled or sent. Before, the batch
// refused it after the rows were journaled as sent.
func TestUpdateUnbatchableRow(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 5}))
	dir := t.TempDir()
	ids := dealIDs(t, p)
	for i, tc := range []struct{ row, key string }{
		{`{"ID": %d, "OPENED": true}`, "fields[OPENED] is true"},
		{`{"ID": %d, "fields": {"TITLE": "x", "CONTACT_IDS": []}}`, "fields[CONTACT_IDS] is an empty array"},
		{`{"ID": %d, "COMMENTS": null}`, "fields[COMMENTS] is null"},
	} {
		in := filepath.Join(dir, "in.ndjson")
		os.WriteFile(in, []byte(fmt.Sprintf(`{"ID": %d, "TITLE": "ok"}`+"\n"+tc.row+"\n", ids[0], ids[1])), 0o644)
		j := filepath.Join(dir, fmt.Sprint("j", i))
		before := p.s.Audit().Requests
		r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", j)
		if r.code != exitUsage || !strings.Contains(r.stderr, "row 2: "+tc.key) {
			t.Errorf("%s: exit %d, %s", tc.row, r.code, r.stderr)
		}
		if _, err := os.Stat(j); err == nil || p.s.Audit().Requests != before {
			t.Errorf("%s: journal written (%v) or %d requests sent", tc.row, err, p.s.Audit().Requests-before)
		}
	}
}

func TestUpdateUsage(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("TITLE\nx\n"), 0o644)
	tests := []struct {
		name string
		args []string
	}{
		{"no_method", []string{"--from", bad, "--journal", filepath.Join(dir, "j")}},
		{"no_journal", []string{"crm.deal.update", "--from", bad}},
		{"no_id_column", []string{"crm.deal.update", "--from", bad, "--journal", filepath.Join(dir, "j")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goldenRun(t, "update_"+tt.name+".golden", p.run(t, "", append([]string{"update"}, tt.args...)...), exitUsage, dir)
		})
	}
}

// TestUpdateFaults injects faults into the batch requests: refusals are
// waited out, a 500 after the writes ran and a reset leave chunks
// ambiguous, which are settled by reading back; every record ends with its
// target value, written once.
func TestUpdateFaults(t *testing.T) {
	for _, f := range []b24test.Fault{b24test.FaultUnavailable, b24test.FaultInternal, b24test.FaultReset, b24test.FaultTruncated, b24test.FaultBadGateway} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 4, Deals: 200}))
			dir := t.TempDir()
			ids := dealIDs(t, p)[:150]
			in := writeUpdateCSV(t, dir, ids, "Fault "+f.String())
			p.s.FailNext("batch", 2, f)
			r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", filepath.Join(dir, "j"), "--concurrency", "1")
			if r.code != exitOK {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			checkTitles(t, p, ids, "Fault "+f.String())
			// A fault after the writes ran leaves two chunks ambiguous,
			// settled as done by reading them back; one before (502)
			// leaves them ambiguous too, settled as not applied and sent
			// again; a refusal is waited out.
			want := map[b24test.Fault]string{
				b24test.FaultUnavailable: "settled by read: 0 done, 0 sent again",
				b24test.FaultInternal:    "settled by read: 100 done, 0 sent again",
				b24test.FaultReset:       "settled by read: 100 done, 0 sent again",
				b24test.FaultTruncated:   "settled by read: 100 done, 0 sent again",
				b24test.FaultBadGateway:  "settled by read: 0 done, 100 sent again",
			}[f]
			if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "applied:         ") {
				t.Errorf("summary lacks %q:\n%s", want, r.stderr)
			}
		})
	}
}

// TestSendAgain: only a proof (NotExecuted wrapping b24.ErrNotExecuted) lets
// a settled update be sent again; an entry a reconciler left zero does not.
func TestSendAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    b24.Settled
		want bool
	}{
		{"proven not executed", b24.Settled{State: b24.CommandNotExecuted, Err: fmt.Errorf("x: %w", b24.ErrNotExecuted)}, true},
		{"zero", b24.Settled{}, false},
		{"not executed, other error", b24.Settled{State: b24.CommandNotExecuted, Err: errors.New("cannot tell")}, false},
		{"done", b24.Settled{State: b24.CommandDone}, false},
		{"ambiguous", b24.Settled{State: b24.CommandAmbiguous, Err: b24.ErrNotExecuted}, false},
	} {
		if got := sendAgain(tc.o); got != tc.want {
			t.Errorf("%s: sendAgain = %v, want %v", tc.name, got, tc.want)
		}
	}
}
