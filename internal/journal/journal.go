// Package journal is the crash-safe record of a bulk update ("b24 update
// --journal"): an append-only file of JSON lines, synced to disk after every
// group of entries, that tells for each input row whether its command was
// sent, done, failed or left ambiguous.
//
// The first line is a Header naming the method and the input (a hash of its
// bytes), so that a journal is never applied to another input. Every later
// line is an Entry; the last entry of a row is its state. A line cut short
// by a crash (no final newline, or not JSON) is dropped when the journal is
// opened again: it was never synced, so nothing was decided on it.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// State is what is known of one row's command.
type State string

const (
	// Sent: the command is about to be sent (written and synced before the
	// request); without a later state its outcome is unknown.
	Sent State = "sent"
	// Done: the portal applied the command (or a read-back showed the record
	// holding the target values).
	Done State = "done"
	// Failed: the portal answered with an error: the command was not applied.
	Failed State = "failed"
	// Ambiguous: the request was sent and its answer lost, and no read-back
	// settled it yet.
	Ambiguous State = "ambiguous"
	// Unsent: the command was not run (the batch was refused, or the run
	// stopped before it): as if never sent.
	Unsent State = "unsent"
)

// Header is the first line of a journal.
type Header struct {
	Version int    `json:"journal"`
	Method  string `json:"method"`
	Input   string `json:"input"` // "sha256:<hex>" of the input file
	Rows    int    `json:"rows"`
}

// Entry is one state change of one row.
type Entry struct {
	Row   int     `json:"row"` // 1-based data row of the input
	ID    int64   `json:"id"`
	State State   `json:"state"`
	Time  float64 `json:"t,omitempty"` // Unix seconds, for Sent
	Error string  `json:"error,omitempty"`
	// Settled marks a state decided by reading the record back.
	Settled bool `json:"settled,omitempty"`
}

// SentAt returns the entry's time.
func (e Entry) SentAt() time.Time {
	sec := int64(e.Time)
	return time.Unix(sec, int64((e.Time-float64(sec))*1e9))
}

// ErrMismatch is returned when a journal belongs to another method or input.
var ErrMismatch = errors.New("journal belongs to another method or input")

// Journal is an open journal. It is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// Open opens the journal at path, creating it with h when it does not exist
// (or is empty), and returns the last entry of every row it records. An
// existing journal must carry the same method and input as h.
func Open(path string, h Header) (*Journal, map[int]Entry, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	j := &Journal{f: f, path: path}
	last, err := j.load(h)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return j, last, nil
}

func (j *Journal) load(h Header) (map[int]Entry, error) {
	data, err := io.ReadAll(j.f)
	if err != nil {
		return nil, err
	}
	// Keep only complete lines: a torn tail was never synced.
	total := len(data)
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	last := map[int]Entry{}
	if len(data) == 0 {
		if err := j.truncate(0); err != nil {
			return nil, err
		}
		h.Version = 1
		line, _ := json.Marshal(h)
		if _, err := j.f.Write(append(line, '\n')); err != nil {
			return nil, err
		}
		if err := j.f.Sync(); err != nil {
			return nil, err
		}
		syncDir(j.path)
		return last, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	n, offset := 0, 0
	for sc.Scan() {
		line := sc.Bytes()
		n++
		if n == 1 {
			var got Header
			if err := json.Unmarshal(line, &got); err != nil || got.Version != 1 {
				return nil, fmt.Errorf("%s is not a b24 update journal", j.path)
			}
			if got.Method != h.Method || got.Input != h.Input {
				return nil, fmt.Errorf("%w: it records %s of input %s, this run is %s of input %s", ErrMismatch, got.Method, short(got.Input), h.Method, short(h.Input))
			}
			offset += len(line) + 1
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.Row <= 0 || e.State == "" {
			// A line that is not an entry ends the valid part (a torn
			// write overwritten by a later append cannot happen: appends
			// follow a truncation to the last complete line).
			break
		}
		offset += len(line) + 1
		last[e.Row] = e
	}
	if offset != total {
		if err := j.truncate(int64(offset)); err != nil {
			return nil, err
		}
	}
	if _, err := j.f.Seek(0, io.SeekEnd); err != nil {
		return nil, err
	}
	return last, nil
}

func short(s string) string {
	if len(s) > 19 {
		return s[:19] + "…"
	}
	return s
}

func (j *Journal) truncate(n int64) error {
	if err := j.f.Truncate(n); err != nil {
		return err
	}
	if _, err := j.f.Seek(n, io.SeekStart); err != nil {
		return err
	}
	return j.f.Sync()
}

// Append writes the entries and syncs the file before returning.
func (j *Journal) Append(entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var b bytes.Buffer
	for _, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Close closes the file.
func (j *Journal) Close() error { return j.f.Close() }

// syncDir syncs the directory holding path, so that a new file's name is
// durable too. Errors are ignored: not every system can sync a directory.
func syncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
