package dbsync

import (
	"context"
	"errors"
	"testing"
)

// TestOneSyncPerTable: while one sync holds a table's lock (a file lock for
// SQLite, an advisory lock for PostgreSQL) another is refused with
// ErrLocked; another table is not held back; released, the table syncs.
func TestOneSyncPerTable(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 20)
		h := hookOf(s)
		holder, other := openDB(t, url), openDB(t, url)
		unlock, err := holder.d.lock(context.Background(), holder.sql, "crm_deal")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Sync(context.Background(), h, Options{Entity: "crm.deal"}); !errors.Is(err, ErrLocked) {
			t.Fatalf("while locked: %v, want ErrLocked", err)
		}
		mustSync(t, other, h, Options{Entity: "crm.contact"})
		unlock()
		mustSync(t, other, h, Options{Entity: "crm.deal"})
	})
}
