package reliability

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// The crash tests run the real b24 binary against a fake portal served by
// the test over TLS on 127.0.0.1, kill it with SIGKILL at seeded random
// moments and rerun it. Everything the runs print, and every file they
// leave, is scanned for the secret.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// b24Binary builds cmd/b24 once per test binary.
func b24Binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "b24rel")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "b24")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/b24go/b24/cmd/b24").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cliPortal is a fake portal over TLS and the environment that points the
// CLI at it.
type cliPortal struct {
	srv *b24test.Server
	env []string
}

const cliScale = 50

func newCLIPortal(t *testing.T, opts ...b24test.Option) *cliPortal {
	t.Helper()
	srv := b24test.NewServer(t, append([]b24test.Option{b24test.WithTimeScale(cliScale), b24test.WithWebhook(1, reltest.Secret)}, opts...)...)
	pem := filepath.Join(t.TempDir(), "fake.pem")
	if err := os.WriteFile(pem, srv.CertificatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return &cliPortal{srv: srv, env: []string{"B24_WEBHOOK=" + srv.WebhookURL(), "SSL_CERT_FILE=" + pem}}
}

// cliRun is one run of the binary.
type cliRun struct {
	code    int
	killed  bool
	out     string // stdout and stderr
	elapsed time.Duration
}

// run starts the binary with args; when killAfter > 0 it sends SIGKILL
// then (if the run has not ended). Output is scanned for the secret.
func (p *cliPortal) run(t *testing.T, leak *reltest.LeakCheck, killAfter time.Duration, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(b24Binary(t), args...)
	cmd.Env = append(os.Environ(), p.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	if killAfter > 0 {
		timer := time.NewTimer(killAfter)
		select {
		case err = <-done:
			timer.Stop()
		case <-timer.C:
			cmd.Process.Signal(syscall.SIGKILL)
			err = <-done
		}
	} else {
		err = <-done
	}
	r := cliRun{elapsed: time.Since(start), out: out.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.killed = true
		}
	} else if err != nil {
		t.Fatal(err)
	}
	leak.Scan(fmt.Sprintf("output of b24 %s", strings.Join(args, " ")), r.out)
	return r
}

// scanFiles scans every file under dir for the secret.
func scanFiles(t *testing.T, leak *reltest.LeakCheck, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		leak.Scan("file "+path, string(b))
		n++
		return nil
	})
	return n
}

// logFlags alternates debug logging in text and JSON between runs.
func logFlags(i int) []string {
	return []string{"--log-level", "debug", "--log-format", []string{"text", "json"}[i%2]}
}

// crashRuns is the number of seeded crash runs of each command.
func crashSeeds(t *testing.T) []uint64 {
	if os.Getenv("B24REL_SEEDS") != "" {
		return reltest.Seeds(t)
	}
	n := reltest.EnvInt(t, "B24REL_RUNS", 3)
	out := make([]uint64, n)
	for i := range out {
		out[i] = reltest.DefaultSeed + uint64(i)
	}
	return out
}

// killPlan returns when to kill the next runs: seeded, as shares of a
// whole run's length measured on this machine; the first between 5 % and
// 30 % of it (so that it strikes mid-way), the next ones between 5 % and
// 50 % (each rerun has less left to do).
func killPlan(seed uint64, full time.Duration, kills int) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]time.Duration, kills)
	for i := range out {
		span := 0.45
		if i == 0 {
			span = 0.25
		}
		out[i] = time.Duration(float64(full) * (0.05 + span*rng.Float64()))
	}
	return out
}

// TestCrashList kills "b24 list --checkpoint" under 5 % faults at seeded
// random moments, reruns it until it completes, and checks that the output
// holds every id exactly once; several seeds (B24REL_RUNS).
func TestCrashList(t *testing.T) {
	t.Parallel()
	n := reltest.Scaled(t, 10000)
	for _, seed := range crashSeeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			leak := reltest.NewLeakCheck(t)
			defer leak.Report("crash-list")
			p := newCLIPortal(t, b24test.WithSeed(b24test.Seed{Deals: n, Seed: int64(seed)}),
				b24test.WithFaults(reltest.SoakFaults(seed, false)))
			h := p.srv.Hook()
			want := reltest.ReadTitles(t, t.Context(), h)
			dir := t.TempDir()
			out, cp := filepath.Join(dir, "deals.csv"), filepath.Join(dir, "deals.cp")
			args := func(i int) []string {
				return append([]string{"list", "crm.deal.list", "--select", "ID,TITLE", "--format", "csv", "-o", out,
					"--checkpoint", cp, "--time-scale", strconv.Itoa(cliScale)}, logFlags(i)...)
			}
			// A first full run elsewhere measures how long a run takes here.
			ref := p.run(t, leak, 0, withOut(args(0), filepath.Join(dir, "ref.csv"), filepath.Join(dir, "ref.cp"))...)
			if ref.code != 0 {
				t.Fatalf("reference run: exit %d\n%s", ref.code, tail(ref.out))
			}
			kills := 0
			for i, d := range killPlan(seed, ref.elapsed, 4) {
				r := p.run(t, leak, d, args(i+1)...)
				if r.killed {
					kills++
				} else {
					t.Logf("run %d (kill planned at %v) ended by itself after %v: exit %d", i+1, d, r.elapsed, r.code)
				}
				scanFiles(t, leak, dir)
			}
			if kills == 0 {
				t.Fatal("no run was killed mid-way: the test proves nothing")
			}
			final := cliRun{code: -1}
			for i := 0; i < 5 && final.code != 0; i++ {
				final = p.run(t, leak, 0, args(i)...)
			}
			if final.code != 0 {
				t.Fatalf("the reruns did not complete: exit %d\n%s", final.code, tail(final.out))
			}
			files := scanFiles(t, leak, dir)
			got := csvIDs(t, out)
			checkEveryOnce(t, got, want)
			reltest.Figures(t, "crash-list", map[string]any{"seed": seed, "deals": n, "kills": kills, "ids_checked": len(got),
				"files_scanned": files, "requests": p.srv.Audit().Requests, "run_length": ref.elapsed.Round(time.Millisecond)})
		})
	}
}

// withOut replaces the -o and --checkpoint values of args.
func withOut(args []string, out, cp string) []string {
	a := append([]string(nil), args...)
	for i := range a[:len(a)-1] {
		switch a[i] {
		case "-o":
			a[i+1] = out
		case "--checkpoint":
			a[i+1] = cp
		case "--journal":
			a[i+1] = cp
		}
	}
	return a
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// csvIDs reads the first column of a CSV export (after its header).
func csvIDs(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "ID,TITLE" {
		t.Fatalf("%s: header %q", path, lines[0])
	}
	var ids []int
	for _, l := range lines[1:] {
		f, _, _ := strings.Cut(l, ",")
		id, err := strconv.Atoi(strings.Trim(f, `"`))
		if err != nil {
			t.Fatalf("%s: line %q", path, l)
		}
		ids = append(ids, id)
	}
	return ids
}

// checkEveryOnce fails unless got holds every id of want exactly once.
func checkEveryOnce(t *testing.T, got []int, want map[int]string) {
	t.Helper()
	seen := map[int]int{}
	for _, id := range got {
		seen[id]++
	}
	bad := 0
	for id := range want {
		if seen[id] != 1 {
			bad++
			if bad <= 5 {
				t.Errorf("id %d appears %d times", id, seen[id])
			}
		}
	}
	if len(seen) != len(want) || len(got) != len(want) {
		t.Errorf("%d rows, %d distinct ids, want %d", len(got), len(seen), len(want))
	}
}

// TestCrashUpdate kills "b24 update --journal" under 5 % faults with 500
// after execution, at seeded random moments, reruns it until it exits 0,
// and checks with the portal's audit that no record was updated more than
// once and every record holds its target value; several seeds.
func TestCrashUpdate(t *testing.T) {
	t.Parallel()
	n := reltest.Scaled(t, 2000)
	for _, seed := range crashSeeds(t) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
			leak := reltest.NewLeakCheck(t)
			defer leak.Report("crash-update")
			p := newCLIPortal(t, b24test.WithSeed(b24test.Seed{Deals: 2 * n, Seed: int64(seed)}),
				b24test.WithFaults(reltest.SoakFaults(seed, true)))
			h := p.srv.Hook()
			all := reltest.ReadTitles(t, t.Context(), h)
			ids := sortedKeys(all)
			refIDs, ids := ids[:n], ids[n:2*n] // a reference run, then the killed one
			dir := t.TempDir()
			writeCSV := func(name string, ids []int) string {
				var b strings.Builder
				b.WriteString("ID,TITLE\n")
				for _, id := range ids {
					fmt.Fprintf(&b, "%d,%s\n", id, reltest.TargetTitle(seed, id))
				}
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			}
			ref, in := writeCSV("ref.csv", refIDs), writeCSV("in.csv", ids)
			args := func(i int, from, journal string) []string {
				return append([]string{"update", "crm.deal.update", "--from", from, "--journal", journal,
					"--time-scale", strconv.Itoa(cliScale)}, logFlags(i)...)
			}
			r0 := p.run(t, leak, 0, args(0, ref, filepath.Join(dir, "ref.journal"))...)
			if r0.code != 0 && r0.code != 3 {
				t.Fatalf("reference run: exit %d\n%s", r0.code, tail(r0.out))
			}
			journal := filepath.Join(dir, "journal")
			kills := 0
			for i, d := range killPlan(seed, r0.elapsed, 4) {
				r := p.run(t, leak, d, args(i+1, in, journal)...)
				if r.killed {
					kills++
				} else {
					t.Logf("run %d (kill planned at %v) ended by itself after %v: exit %d", i+1, d, r.elapsed, r.code)
				}
				scanFiles(t, leak, dir)
			}
			if kills == 0 {
				t.Fatal("no run was killed mid-way: the test proves nothing")
			}
			final := cliRun{code: -1}
			reruns := 0
			for ; reruns < 5 && final.code != 0; reruns++ {
				final = p.run(t, leak, 0, args(reruns, in, journal)...)
			}
			if final.code != 0 {
				t.Fatalf("the reruns did not finish: exit %d\n%s", final.code, tail(final.out))
			}
			files := scanFiles(t, leak, dir)
			a := p.srv.Audit()
			titles := reltest.ReadTitles(t, t.Context(), h)
			for _, id := range ids {
				if w := a.WriteCount("deal", id); w != 1 {
					t.Errorf("deal %d updated %d times", id, w)
				}
				if titles[id] != reltest.TargetTitle(seed, id) {
					t.Errorf("deal %d holds %q", id, titles[id])
				}
			}
			for _, id := range refIDs {
				if w := a.WriteCount("deal", id); w > 1 {
					t.Errorf("deal %d (reference run) updated %d times", id, w)
				}
			}
			reltest.Figures(t, "crash-update", map[string]any{"seed": seed, "updates": n, "kills": kills, "reruns": reruns,
				"ids_checked": len(ids), "files_scanned": files, "requests": a.Requests, "status": a.ByStatus,
				"run_length": r0.elapsed.Round(time.Millisecond)})
		})
	}
}

func sortedKeys(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
