// Package journal is the crash-safe record of a bulk update ("b24 update
// --journal"): an append-only file of JSON lines, synced to disk after every
// group of entries, that tells for each input row whether its command was
// sent, done, failed or left ambiguous.
//
// The first line is a Header naming the portal, the webhook's user, the
// method, its parameters and the input (a hash of its bytes), so that a
// journal is never applied to another run. Every later line is an Entry;
// the last entry of a row is its state. A last line cut short by a crash is
// dropped when the journal is opened again: it was never synced, so nothing
// was decided on it. A damaged line anywhere else refuses the journal.
package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/b24go/b24/internal/durable"
	"github.com/b24go/b24/internal/filelock"
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

// FormatVersion is the journal format this package writes and reads.
// Format 1 recorded no portal; it is refused with ErrOldFormat.
const FormatVersion = 2

// Header is the first line of a journal: what the journal belongs to. It
// never holds the webhook's secret.
type Header struct {
	Version int             `json:"journal"`
	Portal  string          `json:"portal"`        // origin, https://host[:port]
	User    int64           `json:"user"`          // the webhook's user id, or the user an application acts for
	App     string          `json:"app,omitempty"` // an application's client id ("" for a webhook)
	API     string          `json:"api"`           // "v2" or "v3"
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"` // parameters added to every command
	Format  string          `json:"format"`           // how the input was read
	Input   string          `json:"input"`            // "sha256:<hex>" of the input file
	Rows    int             `json:"rows"`
	// Run names the journal's run (b24 add writes it into every record it
	// creates): set when the journal is created, kept when it is opened
	// again (Journal.Run); not compared.
	Run string `json:"run,omitempty"`
}

// Entry is one state change of one row.
type Entry struct {
	Row   int     `json:"row"` // 1-based data row of the input
	ID    int64   `json:"id"`
	State State   `json:"state"`
	Time  float64 `json:"t,omitempty"` // Unix seconds of the send, for Sent and Ambiguous
	Error string  `json:"error,omitempty"`
	// Settled marks a state decided by reading the record back.
	Settled bool `json:"settled,omitempty"`
}

// SentAt returns the entry's time.
func (e Entry) SentAt() time.Time {
	sec := int64(e.Time)
	return time.Unix(sec, int64((e.Time-float64(sec))*1e9))
}

var (
	// ErrMismatch: the journal belongs to another portal, user, method,
	// parameters or input.
	ErrMismatch = errors.New("journal belongs to another run")
	// ErrOldFormat: the journal was written by an older b24 (format 1).
	ErrOldFormat = errors.New("journal of an older format")
	// ErrDamaged: a line other than the last one is not an entry.
	ErrDamaged = errors.New("journal damaged")
	// ErrLocked: another process (or another Open) has the journal open.
	ErrLocked = filelock.ErrLocked
)

// Journal is an open journal. It is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	run  string
}

// Run returns the run id of the journal's header (Header.Run): the one
// Open was given for a new journal, the stored one otherwise.
func (j *Journal) Run() string { return j.run }

// Open opens the journal at path, creating it with h when it does not exist
// (or is empty), and returns the last entry of every row it records. An
// existing journal must carry the same header as h (ErrMismatch).
//
// The journal stays locked (an OS advisory lock) until Close or the
// process's end: another Open fails with ErrLocked. A torn last line is
// dropped; any other line that is not an entry fails with ErrDamaged.
func Open(path string, h Header) (*Journal, map[int]Entry, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := filelock.Lock(f); err != nil {
		f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			return nil, nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
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
	last := map[int]Entry{}
	h.Version = FormatVersion
	header, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	header = append(header, '\n')
	// A new journal, or a header torn by a crash before anything else
	// was written (any other file is refused below, never overwritten).
	// The run id, last, is another run's in a torn header.
	fixed := header
	if i := bytes.Index(header, []byte(`,"run":`)); i >= 0 {
		fixed = header[:i]
	}
	if !bytes.Contains(data, []byte("\n")) && (bytes.HasPrefix(header, data) || bytes.HasPrefix(fixed, data) || bytes.HasPrefix(data, fixed)) {
		j.run = h.Run
		if err := j.truncate(0); err != nil {
			return nil, err
		}
		if _, err := j.f.Write(header); err != nil {
			return nil, err
		}
		if err := j.f.Sync(); err != nil {
			return nil, err
		}
		durable.SyncDir(j.path)
		return last, nil
	}
	// Every line but the last must be whole: a crash tears only the last
	// write, and nothing was decided on a line that was never synced.
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	offset := 0
	for i, raw := range lines {
		line := bytes.TrimSuffix(raw, []byte("\n"))
		if i == 0 {
			run, err := checkHeader(j.path, line, h)
			if err != nil {
				return nil, err
			}
			j.run = run
			offset += len(raw)
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.Row <= 0 || e.State == "" {
			if i == len(lines)-1 && torn(raw) {
				break
			}
			return nil, fmt.Errorf("%w: line %d of %s is not a journal entry (%q): restore the journal or remove that line by hand, knowing that the row it recorded may then be sent again", ErrDamaged, i+1, j.path, short(string(line)))
		}
		offset += len(raw)
		last[e.Row] = e
	}
	if offset != len(data) {
		if err := j.truncate(int64(offset)); err != nil {
			return nil, err
		}
	}
	if _, err := j.f.Seek(0, io.SeekEnd); err != nil {
		return nil, err
	}
	return last, nil
}

// torn reports whether the journal's last line is what a crash leaves of a
// write: cut short (no final newline) or never written (NUL bytes).
func torn(raw []byte) bool {
	return !bytes.HasSuffix(raw, []byte("\n")) || len(bytes.Trim(raw, "\x00\n")) == 0
}

// checkHeader checks that line is a header of this format equal to want
// (but for the run id), and returns its run id.
func checkHeader(path string, line []byte, want Header) (string, error) {
	var got Header
	if err := json.Unmarshal(line, &got); err != nil || got.Version == 0 {
		return "", fmt.Errorf("%s is not a b24 update journal", path)
	}
	if got.Version != FormatVersion {
		return "", fmt.Errorf("%w: %s has journal format %d, which records no portal: finish it with the b24 that wrote it, or start a new journal (rows it records as done are then sent again)", ErrOldFormat, path, got.Version)
	}
	if d := diff(got, want); d != "" {
		return "", fmt.Errorf("%w: %s records %s", ErrMismatch, path, d)
	}
	if (got.Run == "") != (want.Run == "") {
		return "", fmt.Errorf("%w: %s records run id %q, this run wants one: %v", ErrMismatch, path, got.Run, want.Run != "")
	}
	return got.Run, nil
}

// diff names the first field where the journal's header (got) differs from
// this run's.
func diff(got, want Header) string {
	compact := func(m json.RawMessage) string {
		var b bytes.Buffer
		if len(m) == 0 || json.Compact(&b, m) != nil {
			return string(m)
		}
		return b.String()
	}
	pairs := []struct{ name, got, want string }{
		{"portal", fmt.Sprintf("%s (user %d%s)", got.Portal, got.User, appNote(got.App)), fmt.Sprintf("%s (user %d%s)", want.Portal, want.User, appNote(want.App))},
		{"API", got.API, want.API},
		{"method", got.Method, want.Method},
		{"parameters", compact(got.Params), compact(want.Params)},
		{"format", got.Format, want.Format},
		{"input", got.Input, want.Input},
		{"rows", fmt.Sprint(got.Rows), fmt.Sprint(want.Rows)},
	}
	for _, p := range pairs {
		if p.got != p.want && p.name == "portal" { // in full: the application is at its end
			return fmt.Sprintf("%s %s, this run has %s", p.name, p.got, p.want)
		}
		if p.got != p.want {
			return fmt.Sprintf("%s %s, this run has %s", p.name, short(p.got), short(p.want))
		}
	}
	return ""
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
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

// appNote names the application of a header, if any.
func appNote(app string) string {
	if app == "" {
		return ""
	}
	return ", application " + app
}
