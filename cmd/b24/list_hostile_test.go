package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestListHostilePortal: b24 list never exits 0 with a "complete" report
// over a portal that ignores the order (keyset walk), ignores start (offset
// walk), or a list that changed under an offset walk (the rows read are
// written, the run exits 3 with the reason).
func TestListHostilePortal(t *testing.T) {
	byTitle := []string{"--param", "order[TITLE]=ASC"}
	tests := []struct {
		name  string
		rates map[b24test.Fault]float64
		args  []string
		code  int
		want  string
	}{
		{"unsorted", map[b24test.Fault]float64{b24test.FaultUnsorted: 1}, nil, exitAPI, "not in id order"},
		{"ignored start", map[b24test.Fault]float64{b24test.FaultIgnoreStart: 1}, byTitle, exitAPI, "repeats rows already read"},
		{"changed", map[b24test.Fault]float64{b24test.FaultUnsorted: 0.3}, byTitle, exitPartial, "list changed during the offset walk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 230}), b24test.WithFaults(b24test.FaultRates{Seed: 5, Rates: tt.rates}))
			r := p.run(t, "", append([]string{"list", "crm.deal.list", "--select", "ID,TITLE"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "list: complete:") {
				t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
			}
			rows := len(ndjsonIDs(t, r.stdout))
			if tt.code == exitPartial && (!strings.Contains(r.stderr, "incomplete: "+itoa(rows)+" rows") || rows == 0) {
				t.Fatalf("%d rows written, stderr %s", rows, r.stderr)
			}
			if tt.code == exitPartial {
				// -o keeps the rows read too (the same seeded faults: the same walk).
				p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 230}), b24test.WithFaults(b24test.FaultRates{Seed: 5, Rates: tt.rates}))
				out := filepath.Join(t.TempDir(), "deals.ndjson")
				r := p.run(t, "", append([]string{"list", "crm.deal.list", "--select", "ID,TITLE", "-o", out}, tt.args...)...)
				b, err := os.ReadFile(out)
				if r.code != exitPartial || err != nil || len(ndjsonIDs(t, string(b))) != rows {
					t.Fatalf("-o: exit %d, file %v, stderr %s", r.code, err, r.stderr)
				}
			}
		})
	}
}
