// Package durable holds what makes a file's name survive a crash.
package durable

import (
	"os"
	"path/filepath"
)

// SyncDir syncs the directory holding path, so that a file created or
// renamed there is durable too. Errors are ignored: not every system can
// sync a directory, and the file's own data was synced before.
func SyncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
