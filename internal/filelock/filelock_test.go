package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLock: a second open file of the same path is refused while the first
// holds the lock, and takes it once the first is closed.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a, b := open(), open()
	if err := Lock(a); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	if err := Lock(b); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	a.Close()
	if err := Lock(b); err != nil {
		t.Fatalf("lock after the holder closed: %v", err)
	}
}
