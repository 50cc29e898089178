package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testHeader() Header {
	return Header{Portal: "https://a.example", User: 1, API: "v2", Method: "crm.deal.update",
		Params: json.RawMessage(`{"entityTypeId":"2"}`), Format: "csv", Input: "sha256:abc", Rows: 3}
}

func TestJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	h := testHeader()
	j, last, err := Open(path, h)
	if err != nil || len(last) != 0 {
		t.Fatalf("Open: %v %v", last, err)
	}
	if err := j.Append(Entry{Row: 1, ID: 10, State: Sent, Time: 1.5}, Entry{Row: 2, ID: 11, State: Sent}); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Entry{Row: 1, ID: 10, State: Done}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A torn tail: half a line, never synced in a real crash.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"row":2,"id":11,"sta`)
	f.Close()

	j, last, err = Open(path, h)
	if err != nil {
		t.Fatal(err)
	}
	if last[1].State != Done || last[2].State != Sent || len(last) != 2 {
		t.Errorf("last = %+v", last)
	}
	if err := j.Append(Entry{Row: 2, ID: 11, State: Failed, Error: "x"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, last, err = Open(path, h)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if last[2].State != Failed || last[2].Error != "x" {
		t.Errorf("after the torn tail and an append: %+v", last)
	}
	os.WriteFile(path, []byte("hello\n"), 0o644)
	if _, _, err := Open(path, h); err == nil {
		t.Errorf("not a journal: no error")
	}
}

// TestJournalMismatch: a journal of another portal, user, API, method,
// parameters, format or input is refused, naming what differs, and left
// as it was.
func TestJournalMismatch(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Header)
		want   string
	}{
		{"portal", func(h *Header) { h.Portal = "https://b.example" }, "portal https://a.example (user 1)"},
		{"user", func(h *Header) { h.User = 7 }, "this run has https://a.example (user 7)"},
		{"api", func(h *Header) { h.API = "v3" }, "API v2"},
		{"method", func(h *Header) { h.Method = "crm.lead.update" }, "method crm.deal.update"},
		{"params", func(h *Header) { h.Params = nil }, "parameters"},
		{"format", func(h *Header) { h.Format = "ndjson" }, "format csv"},
		{"input", func(h *Header) { h.Input = "sha256:def" }, "input sha256:abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j")
			j, _, err := Open(path, testHeader())
			if err != nil {
				t.Fatal(err)
			}
			j.Append(Entry{Row: 1, ID: 10, State: Done})
			j.Close()
			before, _ := os.ReadFile(path)
			other := testHeader()
			tt.change(&other)
			_, _, err = Open(path, other)
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrMismatch naming %q", err, tt.want)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Errorf("the journal changed:\n%s\n%s", before, after)
			}
		})
	}
}

// TestJournalDamage: only a torn last line is dropped; a damaged line with
// lines after it refuses the journal, naming the line, and leaves it as it
// was (it used to drop that line and every line after it, silently).
func TestJournalDamage(t *testing.T) {
	hdr, _ := json.Marshal(func() Header { h := testHeader(); h.Version = FormatVersion; return h }())
	head := string(hdr) + "\n"
	e1 := `{"row":1,"id":10,"state":"done"}` + "\n"
	e2 := `{"row":2,"id":11,"state":"done"}` + "\n"
	tests := []struct {
		name    string
		content string
		err     error  // nil: opens
		msg     string // in the error
		rows    int    // rows recorded when it opens
		keep    string // the file after Open, when it opens
	}{
		{"whole", head + e1 + e2, nil, "", 2, head + e1 + e2},
		{"torn last line", head + e1 + e2[:10], nil, "", 1, head + e1},
		{"NUL tail", head + e1 + "\x00\x00\x00\x00", nil, "", 1, head + e1},
		{"NUL last line with newline", head + e1 + "\x00\x00\n", nil, "", 1, head + e1},
		{"whole damaged last line", head + e1 + "{\"row\":2,\n", ErrDamaged, "line 3 of", 0, ""},
		{"torn header", head[:15], nil, "", 0, head},
		{"damaged middle line", head + e1 + "{\"row\":2,\"id\n" + e2, ErrDamaged, "line 3 of", 0, ""},
		{"blank middle line", head + "\n" + e1, ErrDamaged, "line 2 of", 0, ""},
		{"entry without a state", head + `{"row":1}` + "\n" + e2, ErrDamaged, "line 2 of", 0, ""},
		{"old format", `{"journal":1,"method":"crm.deal.update","input":"sha256:abc","rows":3}` + "\n" + e1, ErrOldFormat, "journal format 1", 0, ""},
		{"not a journal", "ID,TITLE\n1,x\n", nil, "is not a b24 update journal", 0, ""},
		{"one line, not a journal", "hello", nil, "is not a b24 update journal", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j")
			os.WriteFile(path, []byte(tt.content), 0o644)
			j, last, err := Open(path, testHeader())
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				j.Close()
				if len(last) != tt.rows {
					t.Errorf("%d rows, want %d: %v", len(last), tt.rows, last)
				}
				if b, _ := os.ReadFile(path); string(b) != tt.keep {
					t.Errorf("file after Open:\n%q\nwant\n%q", b, tt.keep)
				}
				return
			}
			if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want %v naming %q", err, tt.err, tt.msg)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Errorf("a refused journal was changed: %q", b)
			}
		})
	}
}

// TestJournalLocked: a second Open of a journal in use fails with
// ErrLocked and writes nothing; after Close it opens.
func TestJournalLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, _, err := Open(path, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	j.Append(Entry{Row: 1, ID: 10, State: Sent})
	before, _ := os.ReadFile(path)
	if _, _, err := Open(path, testHeader()); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("the refused Open changed the journal")
	}
	j.Close()
	j, last, err := Open(path, testHeader())
	if err != nil || last[1].State != Sent {
		t.Fatalf("Open after Close: %v %v", last, err)
	}
	j.Close()
}

// FuzzOpen: whatever a journal holds, Open never panics, and when it opens
// the file is a journal that opens again with the same rows.
func FuzzOpen(f *testing.F) {
	hdr, _ := json.Marshal(func() Header { h := testHeader(); h.Version = FormatVersion; return h }())
	f.Add(append(hdr, "\n"+`{"row":1,"id":10,"state":"done"}`+"\n"+`{"row":2`...))
	f.Add(append(hdr, "\n\x00\n"...))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "j")
		os.WriteFile(path, data, 0o644)
		j, last, err := Open(path, testHeader())
		if err != nil {
			return
		}
		j.Close()
		j, again, err := Open(path, testHeader())
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		j.Close()
		if !reflect.DeepEqual(last, again) {
			t.Fatalf("reopen: %v, first %v", again, last)
		}
	})
}

func TestSentAt(t *testing.T) {
	e := Entry{Time: 1700000000.25}
	if got := e.SentAt().UnixMilli(); got != 1700000000250 {
		t.Errorf("SentAt = %d", got)
	}
}

// TestJournalRun: a journal keeps the run id it was created with; a rerun
// (with a fresh id of its own) gets the stored one. A header torn by a
// crash, with another run's id, is replaced; a journal without a run id is
// refused to a run that wants one, and the reverse.
func TestJournalRun(t *testing.T) {
	dir := t.TempDir()
	h := testHeader()
	h.Method, h.Run = "crm.deal.add", "r1"
	path := filepath.Join(dir, "j")
	j, _, err := Open(path, h)
	if err != nil || j.Run() != "r1" {
		t.Fatalf("new journal: run %q, %v", j.Run(), err)
	}
	j.Close()
	h.Run = "r2"
	if j, _, err = Open(path, h); err != nil || j.Run() != "r1" {
		t.Fatalf("reopened: run %q, %v (want the stored r1)", j.Run(), err)
	}
	j.Close()
	// A crash tore the header of a run r0 after its run id began.
	torn := filepath.Join(dir, "torn")
	h0 := h
	h0.Run, h0.Version = "r0-long-id", FormatVersion
	full, _ := json.Marshal(h0)
	os.WriteFile(torn, full[:len(full)-5], 0o644)
	if j, _, err = Open(torn, h); err != nil || j.Run() != "r2" {
		t.Fatalf("torn header: run %q, %v (want this run's r2)", j.Run(), err)
	}
	j.Close()
	h.Run = ""
	if _, _, err := Open(path, h); !errors.Is(err, ErrMismatch) {
		t.Errorf("a run without an id opened a journal with one: %v", err)
	}
}
