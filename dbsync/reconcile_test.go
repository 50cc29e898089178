package dbsync

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestMassDeleteGuard: deleting more than 5 % of a table is refused
// (nothing deleted) without AllowMassDelete, and done with it.
func TestMassDeleteGuard(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 100)
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		deleted := 0
		for id := 1; deleted < 8; id++ {
			if _, err := s.CallAs(1, "crm.deal.delete", map[string]any{"id": id}); err == nil {
				deleted++
			}
		}
		_, err := db.Sync(context.Background(), h, Options{Entity: "crm.deal"})
		if !errors.Is(err, ErrMassDelete) {
			t.Fatalf("err = %v, want ErrMassDelete", err)
		}
		var n int
		db.SQL().QueryRow(`SELECT count(*) FROM crm_deal`).Scan(&n)
		if n != 100 {
			t.Fatalf("%d rows after a refused mass delete, want 100", n)
		}
		rep := mustSync(t, db, h, Options{Entity: "crm.deal", AllowMassDelete: true})
		if rep.Deleted != 8 {
			t.Errorf("deleted %d, want 8", rep.Deleted)
		}
		sameDeals(t, db, h)
	})
}

// TestDiffIDs: ids the portal lacks are gone up to the largest id the walk
// saw (an empty portal: all of them); ids the table lacks are missing.
func TestDiffIDs(t *testing.T) {
	tests := []struct {
		local, portal, gone, missing []int64
	}{
		{[]int64{1, 2, 3}, []int64{1, 2, 3}, nil, nil},
		{[]int64{1, 2, 3, 9}, []int64{1, 3, 5}, []int64{2}, []int64{5}},
		{[]int64{1, 2}, nil, []int64{1, 2}, nil},
		{nil, []int64{4, 7}, nil, []int64{4, 7}},
		{[]int64{50000, 999999}, []int64{1, 60000}, []int64{50000}, []int64{1, 60000}},
	}
	for _, tt := range tests {
		g, m := diffIDs(tt.local, tt.portal)
		if !slices.Equal(g, tt.gone) || !slices.Equal(m, tt.missing) {
			t.Errorf("diffIDs(%v, %v) = %v, %v; want %v, %v", tt.local, tt.portal, g, m, tt.gone, tt.missing)
		}
	}
}
