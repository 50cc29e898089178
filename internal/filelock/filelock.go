// Package filelock takes exclusive advisory locks on open files: flock(2)
// on Unix, LockFileEx on Windows. A lock belongs to the open file: it is
// released when the file is closed or the process ends, however it ends
// (kill -9 included), so a lock never needs removing by hand.
package filelock

import (
	"errors"
	"os"
)

// ErrLocked is returned by Lock when another open file (in this process or
// another) holds a lock on the same file.
var ErrLocked = errors.New("locked by another process")

// Lock takes an exclusive lock on f without waiting. It returns an error
// wrapping ErrLocked when the file is already locked. On systems without
// advisory locks (plan9, js, wasip1, aix) it does nothing.
func Lock(f *os.File) error { return lock(f) }
