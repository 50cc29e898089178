package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/journal"
)

// startBin starts the binary with the portal's environment; stdout and
// stderr are collected unless the caller set cmd.Stdout.
func startBin(t *testing.T, bin string, env []string, stdout *os.File, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	errb := &syncBuffer{}
	cmd.Stderr = errb
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, errb
}

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int { return len(s.String()) }

// sendSignals sends sigs to cmd, each after the command said it was stopping
// on the one before (signals sent at once merge into one).
func sendSignals(t *testing.T, cmd *exec.Cmd, errb *syncBuffer, sigs ...syscall.Signal) {
	t.Helper()
	for i, s := range sigs {
		if i > 0 {
			waitFor(t, "the stop", func() bool { return strings.Contains(errb.String(), "stopping") })
		}
		cmd.Process.Signal(s)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func exitOf(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// tempFiles lists the temporary files of -o in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	return m
}

// TestSignalExit signals "b24 list -o FILE" in the middle of its walk:
// the exit code is 128 plus the signal's number, no temporary file is
// left and FILE is not created; a second signal exits at once, with the
// first one's code, also leaving no temporary file.
func TestSignalExit(t *testing.T) {
	bin := buildB24(t)
	lat := b24test.DefaultLatency()
	lat.Request = 400 * time.Millisecond // a chained request: about 1 s at scale 20
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 11, Deals: 30000}), b24test.WithLatency(lat))
	tests := []struct {
		name string
		sigs []syscall.Signal
		code int
	}{
		{"int", []syscall.Signal{syscall.SIGINT}, 130},
		{"term", []syscall.Signal{syscall.SIGTERM}, 143},
		{"hup", []syscall.Signal{syscall.SIGHUP}, 129},
		{"term_twice", []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM}, 143},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "deals.csv")
			cmd, errb := startBin(t, bin, p.env, nil, "list", "crm.deal.list", "--select", "ID,TITLE", "-o", out, "--time-scale", "20", "--concurrency", "1")
			waitFor(t, "the temporary file", func() bool { return len(tempFiles(t, dir)) > 0 })
			sendSignals(t, cmd, errb, tt.sigs...)
			code := exitOf(t, cmd.Wait())
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, errb.String())
			}
			if len(tt.sigs) == 1 && !strings.Contains(errb.String(), "interrupted") {
				t.Errorf("stderr %q does not say interrupted", errb.String())
			}
			if left := tempFiles(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s exists after the interrupt: %v", out, err)
			}
		})
	}
}

// journalStates reads the last state of every row of a journal.
func journalStates(t *testing.T, path string) map[int]journal.State {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st := map[int]journal.State{}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines[1:] {
		var e journal.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		st[e.Row] = e.State
	}
	return st
}

// TestGracefulStop signals "b24 update" (and "b24 add") while batches are
// in flight on a slow portal. One SIGTERM stops the sending but waits for
// the answers: exit 143 and no row of unknown outcome in the journal (an
// add's rerun then creates the rest, each once). A second signal aborts at
// once: the journal lists the rows in flight as sent.
func TestGracefulStop(t *testing.T) {
	bin := buildB24(t)
	lat := b24test.DefaultLatency()
	lat.Write = 400 * time.Millisecond // a batch of 50: about 1 s at scale 20
	tests := []struct {
		name    string
		sigs    int
		unknown bool // rows left sent (in flight) in the journal
		add     bool // b24 add deal, not b24 update
	}{
		{"once", 1, false, false},
		{"twice", 2, true, false},
		{"add-once", 1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 12, Deals: 600}), b24test.WithLatency(lat))
			dir := t.TempDir()
			j := filepath.Join(dir, "j")
			args := []string{"update", "crm.deal.update", "--from", writeUpdateCSV(t, dir, dealIDs(t, p)[:500], "Stopped")}
			if tt.add {
				args = []string{"add", "deal", "--from", writeAddCSV(t, dir, 500, "Stopped")}
			}
			cmd, errb := startBin(t, bin, p.env, nil, append(args, "--journal", j, "--time-scale", "20", "--concurrency", "2")...)
			waitFor(t, "rows in flight", func() bool {
				b, _ := os.ReadFile(j)
				return bytes.Contains(b, []byte(`"sent"`))
			})
			sendSignals(t, cmd, errb, []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM}[:tt.sigs]...)
			code := exitOf(t, cmd.Wait())
			if code != 143 {
				t.Errorf("exit %d, want 143: %s", code, errb.String())
			}
			st := journalStates(t, j)
			var sent, done, unknown int
			for _, s := range st {
				switch s {
				case journal.Sent, journal.Ambiguous:
					unknown++
				case journal.Done:
					done++
				}
				if s == journal.Sent {
					sent++
				}
			}
			t.Logf("journal: %d rows, %d done, %d unknown; %s", len(st), done, unknown, errb.String())
			if tt.unknown != (unknown > 0) {
				t.Errorf("%d rows of unknown outcome in the journal, want some: %v", unknown, tt.unknown)
			}
			if done+unknown != len(st) || len(st) == 500 && unknown == 0 && done == 500 {
				t.Errorf("journal: %d rows, %d done, %d unknown: the stop did not stop the sending", len(st), done, unknown)
			}
			if !tt.unknown && done == 0 {
				t.Errorf("no row done: the answers in flight were not waited for")
			}
			// Aborted: the rows left sent are whole batches of 50, at most
			// the 2 in flight (--concurrency 2), and nothing else is unknown.
			if tt.unknown && (sent != unknown || sent%50 != 0 || sent > 100) {
				t.Errorf("%d rows left sent, %d unknown: want the batches in flight (50 or 100)", sent, unknown)
			}
			if tt.add {
				if r := p.run(t, "", append(args, "--journal", j)...); r.code != exitOK {
					t.Fatalf("rerun: exit %d: %s", r.code, r.stderr)
				}
				checkCreatedOnce(t, p, j, 500, "Stopped")
			}
		})
	}
}

// TestPipeHead reads the first row of "b24 list" through a pipe while the
// walk goes on, then closes the pipe: the row comes before the walk ends,
// and the broken pipe ends the command quietly (exit 141, nothing on stderr).
func TestPipeHead(t *testing.T) {
	bin := buildB24(t)
	lat := b24test.DefaultLatency()
	lat.Request = 400 * time.Millisecond
	// 7,500 deals: 3 chained requests of about 1 s, 30 KB of rows each,
	// far below the output buffer: only a flush shows a row before the end.
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 11, Deals: 7500}), b24test.WithLatency(lat))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd, errb := startBin(t, bin, p.env, w, "list", "crm.deal.list", "--select", "ID", "--time-scale", "20", "--concurrency", "1", "--quiet")
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	br := bufio.NewReader(r)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first row: %v", err)
	}
	first := time.Now()
	if !strings.HasPrefix(line, `{"ID":`) {
		t.Errorf("first row %q", line)
	}
	// The second request's first row comes a request later (about 1 s):
	// unflushed, every row comes at once when the walk ends.
	for range 2500 {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("reading the rows: %v", err)
		}
	}
	if gap := time.Since(first); gap < 300*time.Millisecond {
		t.Errorf("row 2501 came %v after the first: the rows were held back until the walk ended", gap)
	}
	select {
	case err := <-exited:
		t.Fatalf("the walk ended before the pipe closed (%v)", err)
	default:
	}
	r.Close()
	code := exitOf(t, <-exited)
	if code != exitBrokenPipe || errb.Len() > 0 {
		t.Errorf("after the pipe closed: exit %d, stderr %q; want %d and nothing", code, errb.String(), exitBrokenPipe)
	}
}

// TestWriteErrorExit: a command whose stdout cannot be written exits 1
// naming the error (ping > /dev/full).
func TestWriteErrorExit(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	bin := buildB24(t)
	p := newPortal(t)
	for _, args := range [][]string{{"ping"}, {"call", "profile"}, {"list", "crm.deal.list", "--select", "ID"}, {"version"}} {
		cmd, errb := startBin(t, bin, p.env, full, args...)
		code := exitOf(t, cmd.Wait())
		if code != exitAPI || !strings.Contains(errb.String(), "no space left") {
			t.Errorf("%v > /dev/full: exit %d, stderr %q; want 1 naming the error", args, code, errb.String())
		}
	}
}
