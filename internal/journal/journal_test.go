package journal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	h := Header{Method: "crm.deal.update", Input: "sha256:abc", Rows: 3}
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

	other := h
	other.Input = "sha256:def"
	if _, _, err := Open(path, other); !errors.Is(err, ErrMismatch) {
		t.Errorf("other input: %v, want ErrMismatch", err)
	}
	os.WriteFile(path, []byte("hello\n"), 0o644)
	if _, _, err := Open(path, h); err == nil {
		t.Errorf("not a journal: no error")
	}
}

func TestSentAt(t *testing.T) {
	e := Entry{Time: 1700000000.25}
	if got := e.SentAt().UnixMilli(); got != 1700000000250 {
		t.Errorf("SentAt = %d", got)
	}
}
