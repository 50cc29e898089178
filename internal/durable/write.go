package durable

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFile replaces path with b atomically: a private (0600) temporary
// file beside it, synced, then renamed over it; the directory is synced
// too. A crash leaves the old file or the new one, never a mix.
func WriteFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	err = tmp.Chmod(0o600)
	if err == nil || errors.Is(err, errors.ErrUnsupported) {
		_, err = tmp.Write(b)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	SyncDir(path)
	return nil
}
