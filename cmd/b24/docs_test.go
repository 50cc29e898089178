package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocs: "b24 docs man" and "b24 docs markdown" write a page for every
// command, with its examples; a missing DIR is a usage error.
func TestDocs(t *testing.T) {
	var p *portal
	for _, tt := range []struct{ kind, page, want string }{
		{"man", "b24-list.1", ".TH \"B24\" \"1\""},
		{"markdown", "b24_list.md", "## b24 list"},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		r := p.run(t, "", "docs", tt.kind, dir)
		if r.code != exitOK || r.stderr != "" {
			t.Fatalf("docs %s: exit %d, stderr %q", tt.kind, r.code, r.stderr)
		}
		for _, path := range commandPaths(t) {
			if path[0] == "help" {
				continue // cobra leaves the help command out of the pages
			}
			page := "b24-" + strings.Join(path, "-") + ".1"
			if tt.kind == "markdown" {
				page = "b24_" + strings.Join(path, "_") + ".md"
			}
			if _, err := os.Stat(filepath.Join(dir, page)); err != nil {
				t.Errorf("docs %s: %v", tt.kind, err)
			}
		}
		b, _ := os.ReadFile(filepath.Join(dir, tt.page))
		if !strings.Contains(string(b), tt.want) || !strings.Contains(string(b), "crm.deal.list --select ID,TITLE,STAGE_ID") {
			t.Errorf("docs %s: %s lacks %q or the examples:\n%s", tt.kind, tt.page, tt.want, b)
		}
		if r := p.run(t, "", "docs", tt.kind); r.code != exitUsage {
			t.Errorf("docs %s without DIR: exit %d", tt.kind, r.code)
		}
	}
}
