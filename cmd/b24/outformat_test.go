package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestOutputFormatByExtension: without --format, -o's extension picks the
// format (before, -o deals.csv wrote NDJSON); --format wins over it.
func TestOutputFormatByExtension(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 7, Deals: 5}))
	dir := t.TempDir()
	tests := []struct {
		file   string
		format string
		prefix string
	}{
		{"d.csv", "", "ID,TITLE\n"},
		{"D.CSV", "", "ID,TITLE\n"},
		{"d.json", "", "[\n{\"ID\":"},
		{"d.jsonl", "", "{\"ID\":"},
		{"d.ndjson", "", "{\"ID\":"},
		{"d.txt", "", "{\"ID\":"},
		{"e.csv", "ndjson", "{\"ID\":"},
		{"e.json", "csv", "ID,TITLE\n"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"_"+tt.format, func(t *testing.T) {
			out := filepath.Join(dir, tt.file)
			args := []string{"list", "crm.deal.list", "--select", "ID,TITLE", "-o", out}
			if tt.format != "" {
				args = append(args, "--format", tt.format)
			}
			r := p.run(t, "", args...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			b, _ := os.ReadFile(out)
			if !strings.HasPrefix(string(b), tt.prefix) {
				t.Errorf("%s starts with %q, want %q", tt.file, b[:min(len(b), 20)], tt.prefix)
			}
		})
	}
}
