package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// TestSoakCLIUpdate: 10,000 updates through `b24 update --journal` under 5 %
// mixed faults, 500 after execution included. The first run settles what it
// can and lists the rest (failed or ambiguous, exit 3); reruns with the same
// journal finish it. The audit shows no deal updated twice, and every deal
// holds its target value. Output and files are scanned for the secret.
func TestSoakCLIUpdate(t *testing.T) {
	t.Parallel()
	n := reltest.Scaled(t, 10000)
	for _, seed := range reltest.Seeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			leak := reltest.NewLeakCheck(t)
			defer leak.Report("cli-update")
			p := newCLIPortal(t, b24test.WithSeed(b24test.Seed{Deals: n + n/10, Seed: int64(seed)}),
				b24test.WithFaults(reltest.SoakFaults(seed, true)))
			h := p.srv.Hook()
			ids := sortedKeys(reltest.ReadTitles(t, t.Context(), h))[:n]
			dir := t.TempDir()
			var b strings.Builder
			b.WriteString("ID,TITLE\n")
			for _, id := range ids {
				fmt.Fprintf(&b, "%d,%s\n", id, reltest.TargetTitle(seed, id))
			}
			in := filepath.Join(dir, "in.csv")
			if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			journal := filepath.Join(dir, "journal")
			args := func(i int) []string {
				return append([]string{"update", "crm.deal.update", "--from", in, "--journal", journal,
					"--time-scale", strconv.Itoa(cliScale)}, logFlags(i)...)
			}
			first := p.run(t, leak, 0, args(0)...)
			if first.code != 0 && first.code != 3 {
				t.Fatalf("first run: exit %d\n%s", first.code, tail(first.out))
			}
			// Every row counted once, lost answers settled on the same run included.
			if first.code == 0 && !strings.Contains(first.out, fmt.Sprintf(": %d rows in ", n)) {
				t.Errorf("the run does not report %d rows:\n%s", n, tail(first.out))
			}
			runs, last := 1, first
			for ; last.code != 0 && runs < 6; runs++ {
				last = p.run(t, leak, 0, args(runs)...)
			}
			if last.code != 0 {
				t.Fatalf("after %d runs: exit %d\n%s", runs, last.code, tail(last.out))
			}
			files := scanFiles(t, leak, dir)
			a := p.srv.Audit()
			faults := 0
			for _, r := range a.Log {
				if r.Fault != "" {
					faults++
				}
			}
			titles := reltest.ReadTitles(t, t.Context(), h)
			for _, id := range ids {
				if w := a.WriteCount("deal", id); w != 1 {
					t.Errorf("deal %d updated %d times", id, w)
				}
				if titles[id] != reltest.TargetTitle(seed, id) {
					t.Errorf("deal %d holds %q", id, titles[id])
				}
			}
			reltest.Figures(t, "cli-update", map[string]any{"seed": seed, "updates": n, "runs": runs,
				"first_exit": first.code, "faults_injected": faults, "requests": a.Requests, "status": a.ByStatus,
				"ids_checked": len(ids), "files_scanned": files})
		})
	}
}
