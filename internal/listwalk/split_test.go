package listwalk

import (
	"sync"
	"testing"
)

// TestChainSizeNoPageBeyondEnd: a shard's last chained batch asks for the
// pages its rows need with the short page that confirms the end, and no
// more under a binding operating budget: a page beyond the end runs on an
// unresolved reference and costs a full page of server time (it asked one
// page more before). Otherwise it leaves room for the estimate's error.
func TestChainSizeNoPageBeyondEnd(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rows, span float64
		left       int64 // ids after the shard's cursor
		bound      bool  // the operating budget cut a batch
		want       int
	}{
		{"dense, 120 rows", 1000, 1000, 120, true, 3},
		{"dense, 150 rows: an empty page confirms", 1000, 1000, 150, true, 4},
		{"dense, 49 rows", 1000, 1000, 49, true, 1},
		{"dense, more than a batch", 1000, 1000, 10000, true, chainLen},
		// 95 % of ids used, measured on 100,000 rows: 2σ of the 1,000
		// rows expected is about 14 rows; a page more for it, unless the
		// operating budget binds.
		{"sparse, 1,053 ids", 100000, 105263, 1053, false, 21},
		{"sparse, 1,040 ids", 100000, 105263, 1040, false, 21},
		{"sparse, 1,040 ids, budget bound", 100000, 105263, 1040, true, 20},
	} {
		w := &walk[map[string]any]{chain: true, dir: 1}
		w.budgetBound.Store(tc.bound)
		c := cutter[map[string]any]{w: w, rows: tc.rows, span: tc.span}
		sh := &shard[map[string]any]{region: region{after: 5000, hasAfter: true, end: 5000 + tc.left, hasEnd: true}}
		if got := c.chainSize(sh); got != tc.want {
			t.Errorf("%s: chainSize = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestSplitTail: once the regions are cut and the operating budget binds,
// a shard holding more than its share of the pages left gives the rest to
// the idle workers as contiguous regions, keeping its share; a shard at its
// share, or a walk the budget does not bind, is not split.
func TestSplitTail(t *testing.T) {
	for _, tc := range []struct {
		name        string
		bound       bool
		idle        int
		left        int64 // the shard's ids left (dense: rows)
		others      float64
		wantRegions int
	}{
		{"three idle, 200 pages alone", true, 3, 10000, 0, 3},
		{"budget not binding", false, 3, 10000, 0, 0},
		{"nobody idle: one region for the next worker free", true, 0, 10000, 0, 1},
		{"at its share", true, 3, 1000, 140, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &walk[map[string]any]{chain: true, dir: 1}
			w.budgetBound.Store(tc.bound)
			var regMu sync.Mutex
			c := cutter[map[string]any]{w: w, rows: 1000, span: 1000}
			c.tail = tailSplit{on: true, regMu: &regMu, idle: tc.idle, active: 2,
				left: map[any]float64{"other": tc.others}, sum: tc.others}
			const from = 5000
			sh := &shard[map[string]any]{region: region{after: from, hasAfter: true, end: from + tc.left, hasEnd: true}}
			sh.from = sh.region
			c.split(sh, 8)
			if len(c.regions) != tc.wantRegions {
				t.Fatalf("%d regions %+v, want %d", len(c.regions), c.regions, tc.wantRegions)
			}
			if tc.wantRegions == 0 {
				if sh.end != from+tc.left {
					t.Fatalf("end %d, want %d", sh.end, from+tc.left)
				}
				return
			}
			if sh.from.end != sh.end || !sh.hasEnd {
				t.Fatalf("from %+v, region %+v", sh.from, sh.region)
			}
			// The shard keeps its share: the pages left over the workers.
			share := float64(tc.left)/v2PageSize/8*v2PageSize + tc.others*v2PageSize/8
			if kept := float64(sh.end - from); kept < share-50 || kept > share+50 {
				t.Errorf("the shard kept %v ids, want about %v", kept, share)
			}
			at := sh.end
			for _, r := range c.regions {
				if !r.hasAfter || r.after != at || !r.hasEnd || r.end <= r.after {
					t.Fatalf("regions %+v after the shard's end %d: not contiguous", c.regions, sh.end)
				}
				at = r.end
			}
			if at != from+tc.left {
				t.Fatalf("the regions end at %d, want %d", at, from+tc.left)
			}
		})
	}
}

// fitCaller is a Caller whose Fitter says how many pages fit now.
type fitCaller struct {
	fakeCaller
	fits int
}

func (f *fitCaller) Fit(method string, n int) int { return min(n, f.fits) }

// TestFirstWaveChainUnderBindingBudget: a first-wave shard's chain (cut
// to one request, nothing walked yet) asks for the rows expected without
// the sample's margin when the pages left are clearly more than the
// budget holds now (a page past the end costs a full page of the
// budget); with the margin when they fit, when the Fitter cannot tell
// (it answers all) or when there is none, and after the first wave.
func TestFirstWaveChainUnderBindingBudget(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caller   Caller
		observed int
		want     int
	}{
		// 95 % of 2,453 ids: 2,330 rows; 2σ of a 100-row sample's
		// density is about 109 rows, of 100,000 rows' about 22.
		{"budget binds", &fitCaller{fits: 600}, 0, 47},
		{"budget holds the walk", &fitCaller{fits: 10000}, 0, 49},
		{"cost not known yet", &fitCaller{fits: 1 << 30}, 0, 49},
		{"no Fitter", &fakeCaller{}, 0, 49},
		{"after the first wave (the budget has cut no batch)", &fitCaller{fits: 600}, 1, 48},
	} {
		w := &walk[map[string]any]{chain: true, dir: 1, c: tc.caller, method: "crm.deal.list"}
		c := cutter[map[string]any]{w: w, rows: 95, span: 100, whole: true, observed: tc.observed,
			regions: []region{{after: 7444, hasAfter: true, end: 107444, hasEnd: true}}} // ~1,900 pages left
		if tc.observed > 0 {
			c.rows, c.span = 95000, 100000 // measured: a small error
		}
		sh := &shard[map[string]any]{region: region{after: 5000, hasAfter: true, end: 7453, hasEnd: true}}
		if got := c.chainSize(sh); got != tc.want {
			t.Errorf("%s: chainSize = %d, want %d", tc.name, got, tc.want)
		}
	}
}
