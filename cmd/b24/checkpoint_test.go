package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestListCheckpointRefused: a checkpoint is resumed only into the output
// it recorded, on the portal it recorded, while no other process holds it.
// Each case is refused with exit 2 and leaves the files as they were. On
// the old format, a deleted output was recreated as NUL bytes plus the rest
// of the walk (exit 0), a completed checkpoint said "already complete" with
// no file or on another portal, and two processes wrote one file at once.
func TestListCheckpointRefused(t *testing.T) {
	a := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 230}))
	base := t.TempDir()
	out0, cp0 := filepath.Join(base, "deals.ndjson"), filepath.Join(base, "cp")
	args := func(out, cp string) []string {
		return []string{"list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp, "--quiet"}
	}
	if r := a.run(t, "", args(out0, cp0)...); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	full, _ := os.ReadFile(out0)
	doneCP, _ := os.ReadFile(cp0)
	if bytes.Contains(doneCP, []byte(testSecret)) {
		t.Fatalf("the checkpoint holds the webhook secret: %s", doneCP)
	}
	if _, err := os.Stat(cp0 + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file was left: %v", err)
	}
	// A checkpoint of a walk stopped half way: its offset inside the file.
	var m map[string]any
	json.Unmarshal(doneCP, &m)
	m["done"] = false
	partCP, _ := json.Marshal(m)
	old := map[string]any{"v": 2, "query": m["query"], "file": m["file"], "offset": m["offset"], "rows": m["rows"], "done": true}
	oldCP, _ := json.Marshal(old)
	changed := bytes.Replace(full, []byte(`"ID":"1"`), []byte(`"ID":"X"`), 1)

	tests := []struct {
		name   string
		other  bool   // run on another portal
		cp     []byte // the checkpoint
		out    []byte // the output; nil: missing
		hold   string // a file another open holds locked: "cp" or "out"
		want   string
		exists bool // the output is expected to exist afterwards
	}{
		{"stopped, output deleted", false, partCP, nil, "", "which is missing", false},
		{"complete, output deleted", false, doneCP, nil, "", "which is missing", false},
		{"output cut short", false, partCP, full[:len(full)/2], "", "which holds", true},
		{"output changed", false, partCP, changed, "", "are not those", true},
		{"complete, output grew", false, doneCP, append(bytes.Clone(full), "{}\n"...), "", "grew after", true},
		{"other portal", true, doneCP, full, "", "belongs to portal https://127.0.0.1:", true},
		{"old format", false, oldCP, full, "", "older b24 (format 2)", true},
		{"checkpoint in use", false, partCP, full, "cp", "in use by another b24 list", true},
		{"output in use", false, partCP, full, "out", "in use by another b24 process", true},
		{"new checkpoint, existing output", false, nil, full, "", "already holds", true},
		{"checkpoint is the output", false, partCP, nil, "same", "name the same file", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := a
			if tt.other {
				p = newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 230}))
			}
			dir := t.TempDir()
			// The checkpoint records out0: use it, restored afterwards.
			out, cp := out0, filepath.Join(dir, "cp")
			if tt.hold == "same" {
				cp = out
			}
			os.Remove(out)
			if tt.out != nil {
				os.WriteFile(out, tt.out, 0o644)
			}
			os.Remove(cp)
			if tt.cp != nil {
				os.WriteFile(cp, tt.cp, 0o644)
			}
			defer os.WriteFile(out, full, 0o644)
			switch tt.hold {
			case "cp":
				release, err := lockPath(cp + ".lock")
				if err != nil {
					t.Fatal(err)
				}
				defer release()
			case "out":
				f, err := openLocked(out, os.O_RDWR)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
			}
			r := p.run(t, "", args(out, cp)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d naming %q", r.code, r.stderr, exitUsage, tt.want)
			}
			if tt.hold != "same" {
				got, err := os.ReadFile(out)
				if tt.exists != (err == nil) || !bytes.Equal(got, tt.out) {
					t.Errorf("the output changed: %d bytes (%v), had %d; NUL bytes: %v", len(got), err, len(tt.out), bytes.Contains(got, []byte{0}))
				}
			}
			if b, _ := os.ReadFile(cp); !bytes.Equal(b, tt.cp) {
				t.Errorf("the checkpoint changed: %s", b)
			}
		})
	}
}

// TestListCheckpointResumeAtStart resumes a checkpoint saved before the
// first row (a run killed during its first request): the rerun writes the
// CSV header, then every row once. (Without the header check it resumed
// without a header.)
func TestListCheckpointResumeAtStart(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 230}))
	ids := dealIDs(t, p)
	dir := t.TempDir()
	out, cp := filepath.Join(dir, "deals.csv"), filepath.Join(dir, "cp")
	args := []string{"list", "crm.deal.list", "--select", "ID,TITLE", "--format", "csv", "-o", out, "--checkpoint", cp, "--quiet"}
	if r := p.run(t, "", args...); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var m map[string]any
	b, _ := os.ReadFile(cp)
	json.Unmarshal(b, &m)
	m["offset"], m["rows"], m["done"], m["hash"] = 0, 0, false, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	delete(m, "cursor")
	b, _ = json.Marshal(m)
	os.WriteFile(cp, b, 0o644)
	os.WriteFile(out, []byte("ID,TITLE\n1,unsynced"), 0o644) // what the killed run left
	if r := p.run(t, "", args...); r.code != exitOK {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if lines[0] != "ID,TITLE" {
		t.Fatalf("first line %q, want the header", lines[0])
	}
	var got []string
	for _, l := range lines[1:] {
		id, _, _ := strings.Cut(l, ",")
		got = append(got, id)
	}
	checkOnce(t, got, ids)
}
