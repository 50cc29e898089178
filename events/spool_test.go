package events

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/internal/filelock"
)

func mustOpen(t *testing.T, dir string) *Spool {
	t.Helper()
	s, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendN(t *testing.T, s *Spool, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := s.Append(Event{Name: "ONCRMDEALUPDATE", ID: id, Data: map[string]string{"FIELDS[ID]": id}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSpoolTornTail: damage at the end (a crash inside Append) drops only
// the last record; damage before it is ErrCorrupt, nothing dropped.
func TestSpoolTornTail(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(b []byte) []byte
		want    int
		corrupt bool
	}{
		{"intact", func(b []byte) []byte { return b }, 3, false},
		{"cut in the last payload", func(b []byte) []byte { return b[:len(b)-5] }, 2, false},
		{"cut in the last header", func(b []byte) []byte { return b[:len(b)-lastLen(b)+3] }, 2, false},
		{"last payload flipped", func(b []byte) []byte { b[len(b)-2] ^= 1; return b }, 2, false},
		{"zeros appended", func(b []byte) []byte { return append(b, make([]byte, 50)...) }, 3, false},
		{"first payload flipped", func(b []byte) []byte { b[10] ^= 1; return b }, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir)
			appendN(t, s, "1", "2", "3")
			s.Close()
			path := filepath.Join(dir, SpoolFile)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, c.damage(b), 0o600)
			s2, err := OpenSpool(dir)
			if c.corrupt {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("open: %v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if got := drain(t, s2); len(got) != c.want {
				t.Fatalf("%d events, want %d", len(got), c.want)
			}
			appendN(t, s2, "4") // appends after the cut are readable
			if got := drain(t, s2); len(got) != c.want+1 || got[c.want].ID != "4" {
				t.Fatalf("after append: %d events", len(got))
			}
		})
	}
}

// lastLen is the size of the last record (all three are the same size).
func lastLen(b []byte) int { return len(b) / 3 }

// TestSpoolLocked: a second open of the same spool is refused.
func TestSpoolLocked(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir)
	if _, err := OpenSpool(dir); !errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

// TestConsumeRetries: a failing function is retried with backoff until it
// succeeds; the cursor moves only then, and a reopened spool has nothing
// pending.
func TestConsumeRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		s, err := OpenSpool(dir)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, s, "1", "2")
		ctx, cancel := context.WithCancel(t.Context())
		var calls []string
		start := time.Now()
		var okAt time.Duration
		err = s.Consume(ctx, func(_ context.Context, e Event) error {
			calls = append(calls, e.ID)
			if e.ID == "1" && len(calls) < 4 {
				if s.Pending() == 0 {
					t.Error("cursor moved before success")
				}
				return errors.New("down")
			}
			if e.ID == "2" {
				okAt = time.Since(start)
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Consume: %v", err)
		}
		if want := []string{"1", "1", "1", "1", "2"}; len(calls) != len(want) {
			t.Fatalf("calls %v, want %v", calls, want)
		}
		if okAt != 700*time.Millisecond { // 100 + 200 + 400
			t.Fatalf("backoff total %v", okAt)
		}
		// "2" succeeded before the cancel took effect: its cursor is saved.
		s.Close()
		s2, err := OpenSpool(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if p := s2.Pending(); p != 0 {
			t.Fatalf("pending %d bytes after reopen", p)
		}
	})
}
