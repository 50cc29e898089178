package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestUpdateSummaryStderr: update's summary goes to stderr like list's
// (it went to stdout); --quiet drops it when every row is done, and keeps
// it when a row failed.
func TestUpdateSummaryStderr(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 4, Deals: 20}))
	ids := dealIDs(t, p)[:5]
	tests := []struct {
		name    string
		ids     []int
		quiet   bool
		code    int
		summary bool
	}{
		{"done", ids, false, exitOK, true},
		{"done_quiet", ids, true, exitOK, false},
		{"failed_quiet", append([]int{99999}, ids...), true, exitPartial, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"update", "crm.deal.update", "--from", writeUpdateCSV(t, dir, tt.ids, "S "+tt.name), "--journal", filepath.Join(dir, "j")}
			if tt.quiet {
				args = append(args, "--quiet")
			}
			r := p.run(t, "", args...)
			if r.code != tt.code || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q; want %d and nothing", r.code, r.stdout, tt.code)
			}
			if got := strings.Contains(r.stderr, "applied:"); got != tt.summary {
				t.Errorf("summary on stderr: %v, want %v:\n%s", got, tt.summary, r.stderr)
			}
		})
	}
}
