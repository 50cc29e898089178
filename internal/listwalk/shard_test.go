package listwalk

import (
	"math"
	"testing"
)

// TestCutterFit: a shard of whole chained requests leaves room for its
// confirming page and for the error of its expected row count.
func TestCutterFit(t *testing.T) {
	const req = v2PageSize * chainLen // 2,500 rows
	for _, tc := range []struct {
		name           string
		rows, span     float64 // the density's sample
		observed       int
		target         float64
		wantLo, wantHi float64
	}{
		// Dense ids: nothing is uncertain, only the confirming page.
		{"dense", 50000, 50000, 3, 12 * req, 12*req - 50, 12*req - 50},
		// Before any shard was walked: one request, less the page and 2σ of
		// a 100-row sample at 95 % (about 112 rows).
		{"probe only", 100, 105, 0, 12 * req, req - 50 - 120, req - 50 - 100},
		// A large sample at 95 %: 2σ is about the shard's own binomial
		// spread, 2 × sqrt(30,000 × 0.05) ≈ 77 rows, plus the estimate's.
		{"measured", 500000, 526316, 16, 12 * req, 12*req - 50 - 95, 12*req - 50 - 77},
		// A filter keeping 10 % of ids: wider error, never below one page.
		{"sparse sample", 2450, 24500, 1, req, 50, req - 50 - 100},
	} {
		c := cutter[map[string]any]{rows: tc.rows, span: tc.span, observed: tc.observed}
		got := c.fit(tc.target)
		if got < tc.wantLo || got > tc.wantHi || math.IsNaN(got) {
			t.Errorf("%s: fit(%v) = %.1f, want %.0f to %.0f", tc.name, tc.target, got, tc.wantLo, tc.wantHi)
		}
	}
}
