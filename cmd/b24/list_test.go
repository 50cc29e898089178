package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// ndjsonIDs reads the "ID" of every line of an NDJSON file.
func ndjsonIDs(t *testing.T, data string) []string {
	t.Helper()
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct{ ID string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		ids = append(ids, row.ID)
	}
	return ids
}

// checkOnce checks that got holds every id of want exactly once, in order.
func checkOnce(t *testing.T, got []string, want []int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if n := seen[itoa(id)]; n != 1 {
			t.Errorf("id %d appears %d times", id, n)
		}
	}
}

func TestList(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 230}))
	ids := dealIDs(t, p)
	r := p.run(t, "", "list", "crm.deal.list", "--select", "ID,TITLE")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkOnce(t, ndjsonIDs(t, r.stdout), ids)
	golden(t, "list_stderr.golden", normalize(r.stderr))

	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID,STAGE_ID", "--filter", ">ID=200", "--format", "csv")
	goldenRun(t, "list_csv_select.golden", r, exitOK)

	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "--filter", `{"<=ID": 3}`, "--format", "json")
	goldenRun(t, "list_json.golden", r, exitOK)

	// CSV of everything: the columns are crm.deal.fields'.
	dir := t.TempDir()
	out := filepath.Join(dir, "deals.csv")
	r = p.run(t, "", "list", "crm.deal.list", "--format", "csv", "-o", out, "--quiet")
	if r.code != exitOK || r.stdout != "" || r.stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	f, _ := os.Open(out)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(ids)+1 || recs[0][0] != "ID" || len(recs[0]) < 20 {
		t.Errorf("CSV: %d records, header %v", len(recs), recs[0])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestListUsage(t *testing.T) {
	p := newPortal(t)
	tests := []struct {
		name string
		args []string
	}{
		{"no_method", nil},
		{"bad_format", []string{"crm.deal.list", "--format", "xml"}},
		{"checkpoint_without_o", []string{"crm.deal.list", "--checkpoint", "cp"}},
		{"checkpoint_json", []string{"crm.deal.list", "--checkpoint", "cp", "-o", "x", "--format", "json"}},
		{"bad_filter", []string{"crm.deal.list", "--filter", "nothing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goldenRun(t, "list_"+tt.name+".golden", p.run(t, "", append([]string{"list"}, tt.args...)...), exitUsage)
		})
	}
}

// TestListFaultCheckpoint runs a walk against a portal that answers 40% of
// requests with a 502, so that the SDK's retries sometimes give up half way;
// each run exits 1 with the checkpoint kept, and reruns with the same
// checkpoint until one completes: the file then holds every row once.
// Faults the SDK retries do not stop a walk at all.
func TestListFaultCheckpoint(t *testing.T) {
	// 30,000 deals: 13 chained requests a walk (2,500 rows each); with 60 %
	// of requests failing, the retries give up on about one request in five
	// (0.6³), so walks stop half way, in one shard or another, and resume.
	const deals = 30000
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: deals}))
	ids := dealIDs(t, p)
	dir := t.TempDir()

	// The walk's requests are chained batches.
	p.s.FailNext("batch", 1, b24test.FaultReset)
	p.s.FailNext("batch", 1, b24test.FaultUnavailable)
	r := p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", filepath.Join(dir, "all.ndjson"))
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "all.ndjson"))
	checkOnce(t, ndjsonIDs(t, string(b)), ids)

	q := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: deals}),
		b24test.WithFaults(b24test.FaultRates{Seed: 2, Rates: map[b24test.Fault]float64{b24test.FaultBadGateway: 0.6}}))
	out, cp := filepath.Join(dir, "deals.ndjson"), filepath.Join(dir, "cp")
	failures, resumedPartial := 0, false
	for run := 0; ; run++ {
		if run == 40 {
			t.Fatalf("no complete run in 40")
		}
		r = q.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp)
		if r.code == exitOK {
			break
		}
		if r.code != exitAPI || !strings.Contains(r.stderr, "502") {
			t.Fatalf("run %d: exit %d: %s", run, r.code, r.stderr)
		}
		failures++
		if b, _ := os.ReadFile(out); len(b) > 0 && bytes.Count(b, []byte("\n")) < len(ids) {
			resumedPartial = true
		}
	}
	if failures == 0 || !resumedPartial {
		t.Errorf("the faults never stopped a walk half way (%d failures): the test proves nothing", failures)
	}
	b, _ = os.ReadFile(out)
	checkOnce(t, ndjsonIDs(t, string(b)), ids)
	r = q.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp)
	goldenRun(t, "list_checkpoint_done.golden", r, exitOK, dir)
}

// TestListFamilies exports the families whose rows live elsewhere than in
// result or carry their id as "id": crm.item.list (result.items) and
// tasks.task.list (result.tasks; "ID" in the filter), every row once.
func TestListFamilies(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 5, Deals: 6000, Tasks: 2600}))
	deals := dealIDs(t, p)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"crm.item.list", []string{"--param", "entityTypeId=2", "--select", "id,title"}, len(deals)},
		{"tasks.task.list", []string{"--select", "ID,TITLE"}, 2600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.run(t, "", append([]string{"list", tt.name}, tt.args...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			seen := map[string]bool{}
			sc := bufio.NewScanner(strings.NewReader(r.stdout))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var row struct {
					ID json.RawMessage `json:"id"`
				}
				if err := json.Unmarshal(sc.Bytes(), &row); err != nil || len(row.ID) == 0 {
					t.Fatalf("line %q: no id (%v)", sc.Text(), err)
				}
				id := strings.Trim(string(row.ID), `"`)
				if seen[id] {
					t.Fatalf("id %s twice", id)
				}
				seen[id] = true
			}
			if len(seen) != tt.want {
				t.Fatalf("%d rows, want %d", len(seen), tt.want)
			}
			if tt.name == "crm.item.list" {
				for _, id := range deals {
					if !seen[itoa(id)] {
						t.Fatalf("deal %d missing", id)
					}
				}
			}
			if !strings.Contains(r.stderr, "complete: "+itoa(tt.want)+" rows") || !strings.Contains(r.stderr, "chained batches") {
				t.Errorf("no completeness report of a chained walk: %s", r.stderr)
			}
		})
	}
}

// TestListCheckpointOtherFile resumes a checkpoint with another -o FILE: it
// is refused, and that file is left alone (it used to be extended with zero
// bytes to the checkpoint's length and the rest of the walk appended).
func TestListCheckpointOtherFile(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 230}))
	dir := t.TempDir()
	out, other, cp := filepath.Join(dir, "deals.ndjson"), filepath.Join(dir, "other.ndjson"), filepath.Join(dir, "cp")
	r := p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp, "--quiet")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// As if the walk had stopped after its last rows were synced.
	b, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	c["done"] = false
	b, _ = json.Marshal(c)
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", other, "--checkpoint", cp, "--quiet")
	if r.code != exitUsage || !strings.Contains(r.stderr, out) {
		t.Errorf("resume into another file: exit %d, stderr %q; want %d naming %s", r.code, r.stderr, exitUsage, out)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("%s was written: %v", other, err)
	}
	// The same file resumes.
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp, "--quiet")
	if r.code != exitOK {
		t.Errorf("resume into the same file: exit %d: %s", r.code, r.stderr)
	}
}

// TestListLimit: --limit N writes the first N rows with the fewest
// requests (one plain page up to 50 rows; beyond, the first page and one
// chained batch) and reports "limited", never "complete".
func TestListLimit(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 2, Deals: 300}))
	for _, tc := range []struct {
		n    int
		name string
	}{{10, "list_limit_10"}, {120, "list_limit_120"}} {
		before := p.s.Audit()
		r := p.run(t, "", "list", "crm.deal.list", "--select", "ID", "--limit", itoa(tc.n))
		if got := strings.Count(r.stdout, "\n"); got != tc.n {
			t.Errorf("--limit %d: %d rows", tc.n, got)
		}
		if n, want := p.s.Audit().Requests-before.Requests, (tc.n+49)/50; n > min(want, 2) {
			t.Errorf("--limit %d: %d requests, want at most %d", tc.n, n, min(want, 2))
		}
		r.stdout = ""
		goldenRun(t, tc.name+".golden", r, exitOK)
	}
	goldenRun(t, "list_limit_checkpoint.golden", p.run(t, "", "list", "crm.deal.list", "--limit", "5", "-o", filepath.Join(t.TempDir(), "x"), "--checkpoint", filepath.Join(t.TempDir(), "cp")), exitUsage)
}

// TestListTable: --format table prints CSV's columns aligned.
func TestListTable(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 2, Deals: 300}))
	goldenRun(t, "list_table.golden", p.run(t, "", "list", "crm.deal.list", "--select", "ID,TITLE,STAGE_ID", "--limit", "5", "--format", "table"), exitOK)
	goldenRun(t, "list_table_checkpoint.golden", p.run(t, "", "list", "crm.deal.list", "--format", "table", "-o", filepath.Join(t.TempDir(), "x"), "--checkpoint", filepath.Join(t.TempDir(), "cp")), exitUsage)
}
