package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/b24go/b24/b24test"
)

// buildB24 builds the command into a temporary directory.
func buildB24(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "b24")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startWaited starts the binary with env added to the test's environment; done
// receives its Wait's error, after which errb holds all it wrote on stderr.
func startWaited(t *testing.T, bin string, env []string, args ...string) (cmd *exec.Cmd, done <-chan error, errb *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	errb = new(bytes.Buffer)
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	return cmd, ch, errb
}

// runKilled starts the binary and kills it with SIGKILL after delay, once
// it has also written the file written (the checkpoint, the journal) since
// it started: the kill then lands after some progress, however slowly a
// loaded machine starts it. It reports whether the kill interrupted it
// (false: it had already exited).
func runKilled(t *testing.T, bin string, env []string, delay time.Duration, written string, args ...string) bool {
	t.Helper()
	start := time.Now()
	cmd, done, errb := startWaited(t, bin, env, args...)
	for tick := time.After(delay); ; tick = time.After(2 * time.Millisecond) {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v exited before the kill: %v\n%s", args, err, errb.String())
			}
			return false
		case <-tick:
		}
		if st, err := os.Stat(written); err == nil && !st.ModTime().Before(start) {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return true
		}
	}
	return false
}

func runBin(t *testing.T, bin string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// TestKillList kills "b24 list --checkpoint" with SIGKILL at seeded random
// moments, reruns it each time, and checks that the file ends with every
// row exactly once.
func TestKillList(t *testing.T) {
	bin := buildB24(t)
	// 30,000 deals, 13 chained requests walked in 4 shards (the default);
	// each page of a chain costs 100 ms at time scale 1, so a request takes
	// about 250 ms and a whole walk about a second: the kills at 100-600 ms
	// land in the middle of one, while shards are in flight.
	lat := b24test.DefaultLatency()
	lat.Request = 100 * time.Millisecond
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 11, Deals: 30000}), b24test.WithLatency(lat))
	ids := dealIDs(t, p)
	dir := t.TempDir()
	out, cp := filepath.Join(dir, "deals.csv"), filepath.Join(dir, "cp")
	args := []string{"list", "crm.deal.list", "--select", "ID,TITLE", "--format", "csv", "-o", out, "--checkpoint", cp, "--time-scale", "20", "--quiet"}
	rng := rand.New(rand.NewPCG(42, 1))
	kills, lastKilled := 0, false
	for range 5 {
		lastKilled = runKilled(t, bin, p.env, time.Duration(100+rng.IntN(500))*time.Millisecond, cp, args...)
		if lastKilled {
			kills++
		}
	}
	if kills == 0 {
		t.Fatalf("no run was killed mid-way: the test proves nothing")
	}
	if _, err := os.Stat(cp + ".lock"); lastKilled && err != nil {
		t.Errorf("the killed run left no lock file: %v", err)
	}
	// The final run without --quiet: its report shows the resumed walk. It
	// takes the killed run's lock over (the lock died with it) and removes
	// the file.
	code, msg := runBin(t, bin, p.env, args[:len(args)-1]...)
	t.Logf("final run: %s", msg)
	if code != 0 {
		t.Fatalf("final run: exit %d: %s", code, msg)
	}
	b, _ := os.ReadFile(out)
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if string(lines[0]) != "ID,TITLE" {
		t.Fatalf("header %q", lines[0])
	}
	var got []string
	for _, l := range lines[1:] {
		id, _, _ := bytes.Cut(l, []byte(","))
		got = append(got, string(id))
	}
	checkOnce(t, got, ids)
	if _, err := os.Stat(cp + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file is left after the final run: %v", err)
	}
	t.Logf("%d kills, %d rows", kills, len(got))
}

// TestKillUpdate kills "b24 update --journal" with SIGKILL at seeded random
// moments, reruns it each time, and checks with the portal's audit that
// every record was written exactly once and holds its target value.
func TestKillUpdate(t *testing.T) {
	bin := buildB24(t)
	// 1,000 updates: 20 batches, 2 in flight; a write costs 60 ms at time
	// scale 1 (the default is 5 ms), so at time scale 20 a batch of 50 is
	// due 50 × 80 ms / 20 = 200 ms after it arrives and a whole run takes
	// about 2 s: the kills at 150-1050 ms land in the middle of the first
	// runs, whatever the machine's speed (the modelled time is a floor).
	lat := b24test.DefaultLatency()
	lat.Write = 60 * time.Millisecond
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 12, Deals: 1500}), b24test.WithLatency(lat))
	ids := dealIDs(t, p)[:1000]
	dir := t.TempDir()
	in := writeUpdateCSV(t, dir, ids, "Killed")
	args := []string{"update", "crm.deal.update", "--from", in, "--journal", filepath.Join(dir, "j"), "--time-scale", "20", "--quiet", "--concurrency", "2"}
	killAndRerun(t, bin, p.env, 3, args...)
	checkTitles(t, p, ids, "Killed")
}

// killAndRerun runs the binary 4 times, killing it with SIGKILL at seeded
// random moments 150-1050 ms in (and once it wrote its journal), then once
// to the end, which must exit 0.
func killAndRerun(t *testing.T, bin string, env []string, seed uint64, args ...string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, seed))
	kills := 0
	journal := args[slices.Index(args, "--journal")+1]
	for range 4 {
		if runKilled(t, bin, env, time.Duration(150+rng.IntN(900))*time.Millisecond, journal, args...) {
			kills++
		}
	}
	if kills == 0 {
		t.Fatalf("no run was killed mid-way: the test proves nothing")
	}
	code, msg := runBin(t, bin, env, args...)
	if code != 0 {
		t.Fatalf("final run: exit %d: %s", code, msg)
	}
	t.Logf("%d kills; final run:\n%s", kills, msg)
}
