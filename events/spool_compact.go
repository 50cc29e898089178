package events

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/b24go/b24/internal/durable"
	"github.com/b24go/b24/internal/filelock"
)

// A compacted spool starts with a header: headerMagic, then the position
// (Event.Seq) of its first record and a CRC-32C of both. A spool never
// compacted has none; its first record's position is 0. The magic read as
// a record length is far over maxRecord, so the two never mix up.
const (
	headerMagic      = "B24SPL01"
	headerLen        = 20
	compactFile      = SpoolFile + ".compact" // the copy being written; removed on open
	defaultCompactAt = 64 << 20
)

// readHeader returns the header length and base position of a spool file
// of size bytes.
func readHeader(f *os.File, size int64) (hdr, base int64, err error) {
	if size < int64(len(headerMagic)) {
		return 0, 0, nil
	}
	var b [headerLen]byte
	if _, err := f.ReadAt(b[:len(headerMagic)], 0); err != nil {
		return 0, 0, err
	}
	if string(b[:len(headerMagic)]) != headerMagic {
		return 0, 0, nil
	}
	if size < headerLen {
		return 0, 0, fmt.Errorf("%w: %s: header cut short", ErrCorrupt, SpoolFile)
	}
	if _, err := f.ReadAt(b[:], 0); err != nil {
		return 0, 0, err
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.BigEndian.Uint32(b[16:]) {
		return 0, 0, fmt.Errorf("%w: %s: header CRC mismatch", ErrCorrupt, SpoolFile)
	}
	return headerLen, int64(binary.BigEndian.Uint64(b[8:16])), nil
}

func header(base int64) []byte {
	b := make([]byte, headerLen)
	copy(b, headerMagic)
	binary.BigEndian.PutUint64(b[8:], uint64(base))
	binary.BigEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	return b
}

// maybeCompact compacts the spool when its delivered records reach
// CompactAt and outweigh the undelivered ones (the copy stays cheap), and
// returns the file offset of the first undelivered record.
func (s *Spool) maybeCompact() (int64, error) {
	s.mu.Lock()
	limit := s.CompactAt
	if limit == 0 {
		limit = defaultCompactAt
	}
	if runtime.GOOS == "windows" {
		limit = -1 // an open, locked file cannot be replaced there
	}
	delivered, pending := s.cursor-s.hdr, s.size-s.cursor
	s.mu.Unlock()
	if limit > 0 && delivered >= limit && pending <= delivered {
		if err := s.compact(); err != nil {
			return 0, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor, nil
}

// compact rewrites the spool without its delivered records. The
// undelivered ones are copied behind a header holding the position of the
// first into compactFile, locked, fsynced and renamed over the spool: the
// one step that commits. A crash before it leaves the old spool (the copy
// is removed on open); after it, the new one, which starts at the cursor's
// position. Appends wait meanwhile.
func (s *Spool) compact() error {
	s.syncMu.Lock() // no fsync of the old file in flight
	defer s.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.replaying > 0 {
		return nil
	}
	path := filepath.Join(s.dir, compactFile)
	f, err := s.writeCompact(path)
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("events: compacting the spool: %w", err)
	}
	if err := os.Rename(path, filepath.Join(s.dir, SpoolFile)); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("events: compacting the spool: %w", err)
	}
	durable.SyncDir(filepath.Join(s.dir, SpoolFile))
	old := s.f
	s.f = f
	s.base += s.cursor - s.hdr
	s.size, s.synced = headerLen+s.size-s.cursor, headerLen+s.size-s.cursor
	s.cursor, s.hdr = headerLen, headerLen
	close(s.wake) // every record written is fsynced now
	s.wake = make(chan struct{})
	old.Close()
	return nil
}

// writeCompact writes the header and the undelivered records (every one
// written, fsynced or not) to a new file at path, locked and fsynced.
func (s *Spool) writeCompact(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	err = filelock.Lock(f) // held across the rename: the spool stays locked
	if err == nil {
		_, err = f.Write(header(s.base + s.cursor - s.hdr))
	}
	if err == nil {
		_, err = io.Copy(f, io.NewSectionReader(s.f, s.cursor, s.size-s.cursor))
	}
	if err == nil && s.testCompact != nil {
		err = s.testCompact("copied")
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
