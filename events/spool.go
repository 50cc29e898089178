package events

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/b24go/b24/internal/durable"
	"github.com/b24go/b24/internal/filelock"
)

// Spool file names inside the spool directory.
const (
	SpoolFile  = "events.spool"  // append-only records: length, CRC-32C, JSON Event
	CursorFile = "events.cursor" // offset of the first event not yet delivered
)

var (
	// ErrCorrupt: a spool record other than the last one, or the cursor,
	// fails its check. Nothing is dropped silently; the file needs a look.
	ErrCorrupt = errors.New("events: spool corrupt")
	// ErrBusy: Consume is already running on this spool.
	ErrBusy = errors.New("events: spool already being consumed")
	// ErrClosed: the spool was closed.
	ErrClosed = errors.New("events: spool closed")
)

const maxRecord = 4 * MaxBody // an event's JSON is well under this

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Spool is a durable queue of events in one directory, locked against a
// second process (internal/filelock). Append returns only after fsync;
// Consume delivers each event at least once, in spool order, moves its
// cursor only after the function returned nil, and compacts the file once
// enough delivered records pile up (CompactAt). A torn last
// record (a crash in the middle of Append) is dropped on open; any other
// damage is ErrCorrupt.
type Spool struct {
	dir string
	f   *os.File

	syncMu sync.Mutex // one fsync at a time; it covers every record written before it (group commit)

	mu        sync.Mutex
	size      int64 // bytes written (file offsets, the header included)
	synced    int64 // bytes fsynced: the records Consume and Replay see
	cursor    int64 // file offset of the first undelivered record
	hdr       int64 // header length: 0 (a spool never compacted) or headerLen
	base      int64 // the position (Event.Seq) of the record at offset hdr
	replaying int   // Replays running: no compaction meanwhile
	seen      map[[32]byte]bool
	wake      chan struct{}
	consuming bool
	closed    bool
	testSync  func() error // replaces f.Sync in Append (tests)

	testCompact func(step string) error // called at each step of a compaction (tests)

	// Backoff is the wait before retry n (1, 2, ...) of a failing
	// function; nil means 100ms doubling up to 30s.
	Backoff func(n int) time.Duration
	// CompactAt is how many bytes of delivered records Consume lets the
	// spool hold before it compacts it (spool_compact.go): 0 means 64 MiB,
	// a negative value never. Windows never compacts.
	CompactAt int64
}

// OpenSpool opens (creating) the spool in dir.
func OpenSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, SpoolFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := filelock.Lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("events: spool %s: %w", dir, err)
	}
	// A compaction a crash interrupted before its rename: the spool is whole.
	if err := os.Remove(filepath.Join(dir, compactFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		f.Close()
		return nil, err
	}
	s := &Spool{dir: dir, f: f, seen: map[[32]byte]bool{}, wake: make(chan struct{})}
	if err := s.load(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// load validates every record, truncates a torn tail and reads the cursor.
func (s *Spool) load() error {
	fi, err := s.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if s.hdr, s.base, err = readHeader(s.f, size); err != nil {
		return err
	}
	off := s.hdr
	for off < size {
		e, n, err := s.recordAt(off, size)
		if errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: record at offset %d of %s: %v", ErrCorrupt, off, SpoolFile, err)
		}
		s.seen[e.key()] = true
		off += n
	}
	if off < size {
		if err := s.f.Truncate(off); err != nil {
			return err
		}
		if err := s.f.Sync(); err != nil {
			return err
		}
	}
	s.size, s.synced = off, off
	c, err := os.ReadFile(filepath.Join(s.dir, CursorFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(c) != 12 || crc32.Checksum(c[:8], castagnoli) != binary.BigEndian.Uint32(c[8:]):
		return fmt.Errorf("%w: %s", ErrCorrupt, CursorFile)
	default:
		pos := int64(binary.BigEndian.Uint64(c))
		if pos < s.base || pos-s.base > s.size-s.hdr {
			return fmt.Errorf("%w: %s points outside %s", ErrCorrupt, CursorFile, SpoolFile)
		}
		s.cursor = pos - s.base + s.hdr
	}
	if s.cursor < s.hdr {
		s.cursor = s.hdr
	}
	return nil
}

var errTorn = errors.New("torn record")

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// recordAt reads the record at off of a file of size bytes, one record in
// memory at a time. A record cut short, or failing its CRC, as the very last
// one (or a zero-filled tail) is errTorn; anything else is an error.
func (s *Spool) recordAt(off, size int64) (Event, int64, error) {
	var e Event
	rest := size - off
	if rest < 8 {
		return e, 0, errTorn
	}
	var hdr [8]byte
	if _, err := s.f.ReadAt(hdr[:], off); err != nil {
		return e, 0, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[:]))
	end := 8 + n
	switch {
	case n > maxRecord && rest <= maxRecord+8:
		return e, 0, errTorn // garbage length in a short tail
	case n > maxRecord:
		return e, 0, fmt.Errorf("record length %d", n)
	case end > rest:
		return e, 0, errTorn
	case n == 0:
		if zeroTail(s.f, off, size) {
			return e, 0, errTorn // preallocated or zero-filled tail
		}
		return e, 0, errors.New("empty record")
	}
	payload := make([]byte, n)
	if _, err := s.f.ReadAt(payload, off+8); err != nil {
		return e, 0, err
	}
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
		if end == rest {
			return e, 0, errTorn
		}
		return e, 0, errors.New("CRC mismatch")
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return e, 0, err
	}
	return e, end, nil
}

// zeroTail reports whether f holds only zero bytes from off to size.
func zeroTail(f *os.File, off, size int64) bool {
	buf := make([]byte, 32<<10)
	for off < size {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if !allZero(buf[:n]) || (err != nil && n == 0) {
			return false
		}
		off += int64(n)
	}
	return true
}

// key identifies the request an event came from: identical requests
// (a replayed capture) have the same key.
func (e *Event) key() [32]byte {
	h := sha256.New()
	for _, s := range []string{e.Domain, e.MemberID, e.Name, e.HandlerID, e.TS} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(e.Data[k]), e.Data[k])
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Append writes e durably (fsync) and returns it with Seq set, and with
// Duplicate set when an identical event is already in the spool.
// Concurrent Appends share one fsync.
func (s *Spool) Append(e Event) (Event, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return e, ErrClosed
	}
	k := e.key()
	e.Duplicate = s.seen[k]
	e.Seq = s.base + s.size - s.hdr
	payload, err := json.Marshal(e)
	if err != nil {
		s.mu.Unlock()
		return e, err
	}
	rec := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(rec, uint32(len(payload)))
	binary.BigEndian.PutUint32(rec[4:], crc32.Checksum(payload, castagnoli))
	rec = append(rec, payload...)
	if _, err := s.f.WriteAt(rec, s.size); err != nil {
		s.f.Truncate(s.size)
		s.mu.Unlock()
		return e, fmt.Errorf("events: spool write: %w", err)
	}
	s.size += int64(len(rec))
	s.seen[k] = true
	end := s.size
	s.mu.Unlock()
	return e, s.syncTo(end)
}

// syncTo returns once the spool is fsynced up to end at least.
func (s *Spool) syncTo(end int64) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	done, target, closed := s.synced >= end, s.size, s.closed
	s.mu.Unlock()
	if done {
		return nil
	}
	if closed {
		return ErrClosed
	}
	sync := s.f.Sync
	if s.testSync != nil {
		sync = s.testSync
	}
	if err := sync(); err != nil {
		return fmt.Errorf("events: spool fsync: %w", err)
	}
	s.mu.Lock()
	s.synced = target
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// next returns the event at off, or waits for one; a cancelled ctx ends it
// before any event.
func (s *Spool) next(ctx context.Context, off int64) (Event, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Event{}, 0, err
		}
		s.mu.Lock()
		size, wake, closed := s.synced, s.wake, s.closed
		s.mu.Unlock()
		if closed {
			return Event{}, 0, ErrClosed
		}
		if off < size {
			return s.readAt(off, size)
		}
		select {
		case <-ctx.Done():
			return Event{}, 0, ctx.Err()
		case <-wake:
		}
	}
}

func (s *Spool) readAt(off, size int64) (Event, int64, error) {
	e, n, err := s.recordAt(off, size)
	if err != nil {
		return Event{}, 0, fmt.Errorf("%w: record at offset %d: %v", ErrCorrupt, off, err)
	}
	return e, off + n, nil
}

// Consume runs fn on every undelivered event, in spool order, waiting for
// new ones until ctx is cancelled (it then returns ctx's error). A failing
// fn is retried (Backoff) until it returns nil; the cursor moves (fsync)
// only after that, so a crash re-delivers at most the event in flight:
// delivery is at least once.
func (s *Spool) Consume(ctx context.Context, fn func(context.Context, Event) error) error {
	s.mu.Lock()
	if s.consuming {
		s.mu.Unlock()
		return ErrBusy
	}
	s.consuming = true
	off := s.cursor
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.consuming = false; s.mu.Unlock() }()
	for {
		e, end, err := s.next(ctx, off)
		if err != nil {
			return err
		}
		for n := 1; ; n++ {
			if err := fn(ctx, e); err == nil {
				break
			}
			t := time.NewTimer(s.backoff(n))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if err := s.setCursor(end); err != nil {
			return err
		}
		if off, err = s.maybeCompact(); err != nil {
			return err
		}
	}
}

func (s *Spool) backoff(n int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(n)
	}
	d := 100 * time.Millisecond
	for i := 1; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// setCursor replaces the cursor file atomically (durable.WriteFile); it
// holds the position (Event.Seq) of the record at file offset off.
func (s *Spool) setCursor(off int64) error {
	s.mu.Lock()
	pos := s.base + off - s.hdr
	s.mu.Unlock()
	var b [12]byte
	binary.BigEndian.PutUint64(b[:], uint64(pos))
	binary.BigEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	err := durable.WriteFile(filepath.Join(s.dir, CursorFile), b[:])
	if err != nil {
		return fmt.Errorf("events: saving the cursor: %w", err)
	}
	s.mu.Lock()
	s.cursor = off
	s.mu.Unlock()
	return nil
}

// Replay runs fn once on every event in the spool, in order, without moving
// the cursor: the undelivered ones, and the delivered ones a compaction has
// not removed yet. It stops at fn's first error.
func (s *Spool) Replay(ctx context.Context, fn func(context.Context, Event) error) error {
	s.mu.Lock()
	size, start := s.synced, s.hdr
	s.replaying++
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.replaying--; s.mu.Unlock() }()
	for off := start; off < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, end, err := s.readAt(off, size)
		if err != nil {
			return err
		}
		if err := fn(ctx, e); err != nil {
			return err
		}
		off = end
	}
	return nil
}

// Pending reports how many bytes of the spool are not yet delivered.
func (s *Spool) Pending() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced - s.cursor
}

// Close releases the spool and its lock; a running Consume returns ErrClosed.
func (s *Spool) Close() error {
	s.syncMu.Lock() // after an fsync in flight
	defer s.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.wake)
	return s.f.Close()
}
