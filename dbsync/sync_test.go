package dbsync

import (
	"context"
	"errors"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestFirstSyncThenChanges: a first sync copies every deal; edits, a new
// deal, deletes and a restore (old id, old date) are then picked up by a
// change walk plus the id walk, and the table equals the portal.
func TestFirstSyncThenChanges(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 300)
		h := hookOf(s)
		db := openDB(t, url)
		rep := mustSync(t, db, h, Options{Entity: "crm.deal"})
		if rep.Mode != "full" || rep.Written != 300 {
			t.Fatalf("first run: %+v", rep)
		}
		sameDeals(t, db, h)
		for _, id := range []int{3, 150, 290} {
			if _, err := s.CallAs(2, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": "edited"}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CallAs(2, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "new"}}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int{5, 7} {
			if _, err := s.CallAs(2, "crm.deal.delete", map[string]any{"id": id}); err != nil {
				t.Fatal(err)
			}
		}
		rep = mustSync(t, db, h, Options{Entity: "crm.deal"})
		// the 4 written, and the deals modified within the overlap before the first run
		if rep.Mode != "changes" || rep.Deleted != 2 || rep.Written < 4 || rep.Written > 30 {
			t.Errorf("second run: %+v, want changes, 4 written (+ the overlap's), 2 deleted", rep)
		}
		sameDeals(t, db, h)
		if err := s.Restore("crm.deal", 5); err != nil {
			t.Fatal(err)
		}
		rep = mustSync(t, db, h, Options{Entity: "crm.deal"})
		if rep.Restored != 1 || rep.Deleted != 0 {
			t.Errorf("third run: %+v, want 1 restored", rep)
		}
		sameDeals(t, db, h)
	})
}

// TestOtherPortalRefused: a database synced through one webhook user is
// refused to another.
func TestOtherPortalRefused(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 10)
		db := openDB(t, url)
		mustSync(t, db, hookOf(s), Options{Entity: "crm.deal"})
		s2 := fake(t, 10, b24test.WithWebhook(2, "othersecret1"))
		_, err := db.Sync(context.Background(), hookOf(s2), Options{Entity: "crm.deal"})
		if !errors.Is(err, ErrOtherPortal) {
			t.Fatalf("err = %v, want ErrOtherPortal", err)
		}
	})
}
