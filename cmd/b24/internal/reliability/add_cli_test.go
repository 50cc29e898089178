package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/journal"
	"github.com/b24go/b24/internal/reltest"
)

// TestSoakCLIAdd: 2,000 creates through `b24 add deal --journal` under 30 %
// faults, answers lost before and after the write and writes run after the
// client gave up included. The run, and reruns with the same journal while
// it exits 3, create each row's record exactly once: one deal a key, none
// written twice, the journal holding each deal's id. Output and files are
// scanned for the secret.
func TestSoakCLIAdd(t *testing.T) {
	t.Parallel()
	n := reltest.Scaled(t, 2000)
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			leak := reltest.NewLeakCheck(t)
			defer leak.Report("cli-add")
			p := newCLIPortal(t, b24test.WithSeed(b24test.Seed{Deals: 10, Seed: int64(seed)}), b24test.WithFaults(reltest.CreateFaults(seed)))
			dir := t.TempDir()
			var b strings.Builder
			b.WriteString("TITLE,OPPORTUNITY\n")
			for i := 1; i <= n; i++ {
				fmt.Fprintf(&b, "soak %d add %d,%d\n", seed, i, i)
			}
			in := filepath.Join(dir, "in.csv")
			if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			jpath := filepath.Join(dir, "journal")
			args := func(i int) []string {
				return append([]string{"add", "deal", "--from", in, "--journal", jpath, "--time-scale", strconv.Itoa(cliScale)}, logFlags(i)...)
			}
			runs, last := 0, cliRun{code: -1}
			for ; last.code != 0 && runs < 6; runs++ {
				if last = p.run(t, leak, 0, args(runs)...); last.code != 0 && last.code != 3 {
					t.Fatalf("run %d: exit %d\n%s", runs+1, last.code, tail(last.out))
				}
			}
			if last.code != 0 {
				t.Fatalf("after %d runs: exit %d\n%s", runs, last.code, tail(last.out))
			}
			files := scanFiles(t, leak, dir)
			a := p.srv.Audit()
			ids := checkAdded(t, p, jpath, n, seed)
			faults := map[string]int{}
			for _, r := range a.Log {
				if r.Fault != "" {
					faults[r.Fault]++
				}
			}
			reltest.Figures(t, "cli-add", map[string]any{"seed": seed, "adds": n, "runs": runs, "faults": faults,
				"requests": a.Requests, "status": a.ByStatus, "ids_checked": ids, "files_scanned": files})
		})
	}
}

// checkAdded checks that each of the n rows has exactly one deal carrying
// its key, written once, with its title, and that the journal holds that
// deal's id. It returns how many ids it checked.
func checkAdded(t *testing.T, p *cliPortal, jpath string, n int, seed uint64) int {
	t.Helper()
	data, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var hdr journal.Header
	json.Unmarshal([]byte(lines[0]), &hdr)
	last := map[int]journal.Entry{}
	for _, l := range lines[1:] {
		var e journal.Entry
		json.Unmarshal([]byte(l), &e)
		last[e.Row] = e
	}
	if c := reltest.CreatedRecords(t, p.srv.Audit(), "deal"); c != n {
		t.Errorf("%d deals created, want %d", c, n)
	}
	byKey := reltest.KeyedDeals(t, t.Context(), p.srv.Hook(), "b24:"+hdr.Run)
	checked := 0
	for i := 1; i <= n; i++ {
		ds := byKey[strconv.Itoa(i)]
		switch {
		case len(ds) != 1:
			t.Errorf("row %d: %d deals carry its key", i, len(ds))
		case ds[0].Title != fmt.Sprintf("soak %d add %d", seed, i):
			t.Errorf("row %d: deal %d holds %q", i, ds[0].ID, ds[0].Title)
		case last[i].State != journal.Done || last[i].ID != int64(ds[0].ID):
			t.Errorf("row %d: journal %+v, deal %d", i, last[i], ds[0].ID)
		default:
			checked++
		}
	}
	return checked
}
