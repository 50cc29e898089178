package dbsync

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
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
		{[]int64{5}, []int64{5, 5}, nil, nil},
		{[]int64{1, 5}, []int64{3, 3, 5, 8, 8}, []int64{1}, []int64{3, 8}},
	}
	for _, tt := range tests {
		g, m := diffIDs(slices.Values(tt.local), tt.portal)
		if !slices.Equal(g, tt.gone) || !slices.Equal(m, tt.missing) {
			t.Errorf("diffIDs(%v, %v) = %v, %v; want %v, %v", tt.local, tt.portal, g, m, tt.gone, tt.missing)
		}
	}
}

// TestReconcileMemoryFlat: a complete walk's ids are compared with the
// table's as they are read, not gathered (memory stays flat whatever the
// table's size): reconciling 200,000 rows allocates at most 2 bytes a row
// more than the driver's reading of their ids (gathering the ids in a slice
// took 42 more).
func TestReconcileMemoryFlat(t *testing.T) {
	ctx := context.Background()
	s := fake(t, 3)
	db := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "flat.db"))
	mustSync(t, db, hookOf(s), Options{Entity: "crm.deal"})
	const n = 200000
	if _, err := db.SQL().Exec(`WITH RECURSIVE c(x) AS (SELECT 1000 UNION ALL SELECT x + 1 FROM c WHERE x < 1000 + ?)
		INSERT INTO crm_deal("ID") SELECT x FROM c`, n-1); err != nil {
		t.Fatal(err)
	}
	o := Options{Entity: "crm.deal"}
	e, err := o.validate()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := db.loadSchema(ctx, e.table)
	if err != nil {
		t.Fatal(err)
	}
	var portal []int64
	rows, err := db.SQL().Query(`SELECT "ID" FROM crm_deal ORDER BY "ID"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		portal = append(portal, id)
	}
	rows.Close()
	r := &run{db: db, e: e, o: o, ts: ts}
	// The driver's own allocations: the same ids read and dropped.
	driver := allocated(t, func() error {
		rows, err := db.SQL().Query(`SELECT "ID" FROM crm_deal ORDER BY "ID"`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			rows.Scan(&id)
		}
		return rows.Err()
	})
	got := allocated(t, func() error { return r.reconcile(ctx, portal) })
	if limit := driver + n*2; got > limit {
		t.Errorf("reconciling %d rows allocated %d bytes, want <= %d (the driver's %d + 2 a row; ids gathered?)", n, got, limit, driver)
	} else {
		t.Logf("reconciling %d rows allocated %d bytes (the driver %d)", n, got, driver)
	}
	if r.rep.Deleted != 0 || r.rep.Restored != 0 {
		t.Errorf("deleted %d, restored %d; want 0, 0", r.rep.Deleted, r.rep.Restored)
	}
}

// allocated returns the bytes f allocated.
func allocated(t *testing.T, f func() error) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := f(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestNoDeletesAfterIncompleteIDWalk: an id walk stopped after its first
// request (2,500 ids) deletes nothing, not even an id its read part lacks;
// the next, complete, run deletes both deals deleted on the portal.
func TestNoDeletesAfterIncompleteIDWalk(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 3000)
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		for _, id := range []int{7, 2990} {
			if _, err := s.CallAs(1, "crm.deal.delete", map[string]any{"id": id}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := db.Sync(ctx, h, Options{Entity: "crm.deal", Progress: func(p Progress) {
			if p.Phase == "ids" {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped id walk: %v", err)
		}
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM crm_deal`).Scan(&n); err != nil || n != 3000 {
			t.Fatalf("%d rows after an incomplete id walk (%v), want 3000: nothing deleted", n, err)
		}
		if rep := mustSync(t, db, h, Options{Entity: "crm.deal"}); rep.Deleted != 2 {
			t.Errorf("complete run deleted %d, want 2", rep.Deleted)
		}
		sameDeals(t, db, h)
	})
}
