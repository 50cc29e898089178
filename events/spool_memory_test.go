package events

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestOpenSpoolMemory: opening a large spool holds one record in memory at
// a time, not the whole file. Here a spool with a 64 MiB zero-filled tail
// (a sparse file: a preallocated file after a crash) opens with under
// 8 MiB allocated, and the tail is dropped.
func TestOpenSpoolMemory(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	appendN(t, s, "1", "2")
	size := s.size
	s.Close()
	if err := os.Truncate(filepath.Join(dir, SpoolFile), size+64<<20); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s2, err := OpenSpool(dir)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Fatalf("OpenSpool allocated %d MiB for a %d MiB file", got>>20, (size+64<<20)>>20)
	}
	if n := len(drain(t, s2)); n != 2 || s2.size != size {
		t.Fatalf("%d events, size %d want %d", n, s2.size, size)
	}
}
