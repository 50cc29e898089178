package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The rules of -o FILE (docs/cli.md, "Where the rows go"):
//   - a new FILE, or an existing regular file, is written under a temporary
//     name in its directory and renamed over it at the end (an existing
//     file keeps its permissions; a new one gets 0666 less the umask);
//   - a symbolic link to a regular file: the link is kept and its target
//     replaced in the same way; a link to nothing, to a directory or to
//     anything else is refused;
//   - a FIFO or a device (/dev/null, a terminal) is written in place;
//   - "-" is stdout (the caller's business: see lister.run).

// errOutput is the class of -o FILE refusals (a usage error, exit 2).
var errOutput = errors.New("unusable output")

func outputErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), err: errOutput}
}

// openOutput opens -o path as the rules above say. The caller writes, then
// calls Commit (or Abort, which leaves path untouched).
func openOutput(path string) (*atomicFile, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createAtomic(path, 0)
	}
	if err != nil {
		return nil, err
	}
	target := path
	if fi.Mode()&fs.ModeSymlink != 0 {
		t, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, outputErrorf("-o %s is a symbolic link to nothing: refusing to create its target", path)
		}
		if fi, err = os.Stat(t); err != nil {
			return nil, err
		}
		target = t
	}
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return createAtomic(target, m.Perm())
	case m&(fs.ModeNamedPipe|fs.ModeDevice|fs.ModeCharDevice) != 0:
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &atomicFile{File: f}, nil
	case m.IsDir():
		return nil, outputErrorf("-o %s is a directory", path)
	}
	return nil, outputErrorf("-o %s is neither a regular file, a FIFO nor a device (%v)", path, m.Type())
}

// openAppendOutput opens -o path for --checkpoint (flag: os.O_RDWR, with
// os.O_CREATE for a new walk), which appends to it in place: path must be a
// regular file (created 0666 less the umask), not a symbolic link, a FIFO
// or a device.
func openAppendOutput(path string, flag int) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, outputErrorf("-o %s with --checkpoint must be a regular file, not a %s: the rows are appended to it in place", path, kindOf(fi.Mode()))
	}
	f, err := os.OpenFile(path, flag|oNoFollow, 0o666)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, outputErrorf("-o %s with --checkpoint must be a regular file, not a symbolic link: the rows are appended to it in place", path)
		}
		return nil, err
	}
	return f, nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// createTemp creates a new file named after base in dir, with mode 0666
// less the umask (os.CreateTemp's is 0600).
func createTemp(dir, base string) (*os.File, error) {
	var rnd [6]byte
	for range 100 {
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil {
			addTemp(name) // until Commit or Abort; a second signal removes it
		}
		return f, err
	}
	return nil, fmt.Errorf("cannot create a temporary file in %s", dir)
}
