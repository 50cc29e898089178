package events

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

func needCompaction(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Windows never compacts the spool")
	}
}

func ids(n, from int) []string {
	var out []string
	for i := range n {
		out = append(out, strconv.Itoa(from+i))
	}
	return out
}

// consumeN delivers n events and returns them.
func consumeN(t *testing.T, s *Spool, n int) []Event {
	t.Helper()
	var got []Event
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	err := s.Consume(ctx, func(_ context.Context, e Event) error {
		got = append(got, e)
		if len(got) == n {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume: %v", err)
	}
	return got
}

func spoolSize(t *testing.T, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, SpoolFile))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCompactKeepsUndelivered: Consume drops the delivered records from
// the file, never an undelivered one; positions (Seq) survive the
// compaction and a reopen, and go on increasing.
func TestCompactKeepsUndelivered(t *testing.T) {
	needCompaction(t)
	dir := t.TempDir()
	s := mustOpen(t, dir)
	s.CompactAt = 1
	appendN(t, s, ids(10, 1)...)
	var all []Event
	s.Replay(t.Context(), func(_ context.Context, e Event) error { all = append(all, e); return nil })
	full := spoolSize(t, dir)
	first := consumeN(t, s, 6) // compacted once the delivered outweigh the rest: after the 5th
	if size := spoolSize(t, dir); size >= full*6/10 {
		t.Errorf("spool is %d bytes after 6 of 10 were delivered, was %d: not compacted", size, full)
	}
	s.Close()

	s = mustOpen(t, dir)
	rest := consumeN(t, s, 4)
	got := append(first, rest...)
	for i, e := range got {
		if e.ID != all[i].ID || e.Seq != all[i].Seq {
			t.Errorf("delivery %d: id %s seq %d, want id %s seq %d", i, e.ID, e.Seq, all[i].ID, all[i].Seq)
		}
	}
	if p := s.Pending(); p != 0 {
		t.Errorf("pending %d after every event was delivered", p)
	}
	e, err := s.Append(Event{Name: "ONCRMDEALUPDATE", ID: "11"})
	if err != nil {
		t.Fatal(err)
	}
	if last := all[len(all)-1].Seq; e.Seq <= last {
		t.Errorf("seq %d after the compaction, not past %d", e.Seq, last)
	}
}

// TestCompactFailureLosesNothing: a compaction that fails before its
// rename (here: after the copy, as a full disk would) fails Consume and
// leaves the spool whole;
// the copy is removed and every undelivered event comes after a reopen.
func TestCompactFailureLosesNothing(t *testing.T) {
	needCompaction(t)
	dir := t.TempDir()
	s := mustOpen(t, dir)
	s.CompactAt = 1
	disk := errors.New("disk full")
	s.testCompact = func(string) error { return disk }
	appendN(t, s, ids(5, 1)...)
	var got []string
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := s.Consume(ctx, func(_ context.Context, e Event) error { got = append(got, e.ID); return nil })
	if !errors.Is(err, disk) || len(got) != 3 {
		t.Fatalf("Consume: %v after %v, want the compaction's error after 3 events (delivered outweigh the rest)", err, got)
	}
	if _, err := os.Stat(filepath.Join(dir, compactFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed copy is left: %v", err)
	}
	s.Close()
	s = mustOpen(t, dir)
	for _, e := range consumeN(t, s, 2) {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, ids(5, 1)) {
		t.Errorf("delivered %v", got)
	}
}

// TestCompactCopyLeftByCrash: a crash while the copy was written leaves it
// beside the whole spool; opening removes it and reads the spool.
func TestCompactCopyLeftByCrash(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	appendN(t, s, ids(3, 1)...)
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, compactFile), append(header(7), 1, 2, 3), 0o600); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir)
	if n := len(drain(t, s)); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
	if _, err := os.Stat(filepath.Join(dir, compactFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy is left: %v", err)
	}
}

// TestCompactHeaderDamage: a damaged header is ErrCorrupt, not an empty
// spool.
func TestCompactHeaderDamage(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"cut":          func(b []byte) []byte { return b[:headerLen-3] },
		"CRC flipped":  func(b []byte) []byte { b[17] ^= 1; return b },
		"base flipped": func(b []byte) []byte { b[9] ^= 1; return b },
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, SpoolFile), damage(header(100)), 0o600); err != nil {
			t.Fatal(err)
		}
		if s, err := OpenSpool(dir); !errors.Is(err, ErrCorrupt) {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// TestCompactWhileAppending: appends from several goroutines while Consume
// compacts after every event: every event is delivered once, in spool
// order, and the file ends with none of them (-race checks the locking).
func TestCompactWhileAppending(t *testing.T) {
	needCompaction(t)
	dir := t.TempDir()
	s := mustOpen(t, dir)
	s.CompactAt = 1
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() { appendN(t, s, ids(each, w*1000)...) })
	}
	got := consumeN(t, s, writers*each)
	wg.Wait()
	seen := map[string]bool{}
	for i, e := range got {
		if seen[e.ID] {
			t.Errorf("event %s delivered twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && e.Seq <= got[i-1].Seq {
			t.Errorf("delivery %d: seq %d after %d", i, e.Seq, got[i-1].Seq)
		}
	}
	if len(seen) != writers*each {
		t.Errorf("%d events delivered, want %d", len(seen), writers*each)
	}
	if size := spoolSize(t, dir); size > headerLen {
		t.Errorf("spool holds %d bytes after every event was delivered", size)
	}
}
