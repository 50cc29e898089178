package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckUTF8(t *testing.T) {
	tests := []struct {
		data  string
		first int
		want  string // "" when valid
	}{
		{"", 1, ""},
		{"ID,TITLE\n1,Сделка\n", 1, ""},
		{"\xff", 1, "in.csv: line 1, column 1: byte 0xff"},
		{"ID,TITLE\n1,ok\n2,caf\xe9\n", 1, "in.csv: line 3, column 6: byte 0xe9"},
		{"ab\xc3", 7, "in.csv: line 7, column 3: byte 0xc3"},     // cut short
		{"й\ned\xa0x", 1, "in.csv: line 2, column 3: byte 0xa0"}, // columns count characters
	}
	for _, tt := range tests {
		err := checkUTF8("in.csv", tt.first, []byte(tt.data))
		if tt.want == "" {
			if err != nil {
				t.Errorf("checkUTF8(%q) = %v, want nil", tt.data, err)
			}
			continue
		}
		var ue *usageError
		if !errors.Is(err, errNotUTF8) || !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("checkUTF8(%q) = %v, want a usage error starting %q", tt.data, err, tt.want)
		}
	}
}

// TestNotUTF8Refused feeds a byte that is not UTF-8 to every command that
// reads input: each refuses it with exit 2, naming the file (or stdin)
// and the line, before any request or journal line.
func TestNotUTF8Refused(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	file := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	paramsJSON := file("params.json", "{\n\"fields\": {\"TITLE\": \"caf\xe9\"}}\n")
	csvIn := file("in.csv", "ID,TITLE\n1,ok\n2,caf\xe9\n")
	ndjsonIn := file("in.ndjson", "{\"ID\": 1, \"TITLE\": \"ok\"}\n{\"ID\": 2, \"TITLE\": \"caf\xe9\"}\n")
	cmds := file("cmds.ndjson", "{\"method\":\"crm.deal.get\",\"params\":{\"id\":1}}\n{\"method\":\"crm.deal.update\",\"params\":{\"id\":2,\"fields\":{\"TITLE\":\"caf\xe9\"}}}\n")
	journal := filepath.Join(dir, "j")
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"call @file", "", []string{"call", "crm.deal.update", "@" + paramsJSON}, "parameters from " + paramsJSON + ": line 2, column 25"},
		{"call stdin", "{\"id\": \"\xff\"}", []string{"call", "crm.deal.get", "-"}, "parameters from stdin: line 1, column 9"},
		{"call JSON argument", "", []string{"call", "crm.deal.get", "{\"id\": \"\xff\"}"}, "parameters"},
		{"call pair", "", []string{"call", "crm.deal.update", "id=1", "fields[TITLE]=caf\xe9"}, "parameter"},
		{"update CSV", "", []string{"update", "crm.deal.update", "--from", csvIn, "--journal", journal}, "--from " + csvIn + ": line 3, column 6"},
		{"update NDJSON", "", []string{"update", "crm.deal.update", "--from", ndjsonIn, "--journal", journal}, "--from " + ndjsonIn + ": line 2, column 24"},
		{"update stdin", "{\"ID\": 1, \"TITLE\": \"\xe9\"}\n", []string{"update", "crm.deal.update", "--from", "-", "--journal", journal}, "--from stdin: line 1"},
		{"batch file", "", []string{"batch", cmds}, cmds + ": line 2, column 68"},
		{"batch stdin", "\n\n\xff\n", []string{"batch"}, "stdin: line 3, column 1"},
		{"list --filter", "", []string{"list", "crm.deal.list", "--filter", "TITLE=caf\xe9"}, "--filter"},
		{"list --select", "", []string{"list", "crm.deal.list", "--select", "ID,caf\xe9"}, "--select"},
	}
	for _, tt := range tests {
		before := p.s.Audit().Requests
		r := p.run(t, tt.stdin, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "not valid UTF-8") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 naming %q", tt.name, r.code, r.stderr, tt.want)
		}
		if n := p.s.Audit().Requests - before; n != 0 {
			t.Errorf("%s: %d requests sent", tt.name, n)
		}
		if _, err := os.Stat(journal); err == nil {
			t.Errorf("%s: the journal was created", tt.name)
			os.Remove(journal)
		}
	}
}
