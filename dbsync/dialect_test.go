package dbsync

import (
	"context"
	"errors"
	"path/filepath"
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

// TestSQLitePragmas: a SQLite database runs in WAL mode with a busy
// timeout (a reader never blocks the sync, a second writer waits instead
// of failing at once) and synchronous=NORMAL, on every connection.
func TestSQLitePragmas(t *testing.T) {
	db := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	db.SQL().SetMaxOpenConns(2)
	for range 2 { // two connections of the pool
		conn, err := db.SQL().Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var mode string
		var busy, sync int
		for q, dst := range map[string]any{"PRAGMA journal_mode": &mode, "PRAGMA busy_timeout": &busy, "PRAGMA synchronous": &sync} {
			if err := conn.QueryRowContext(context.Background(), q).Scan(dst); err != nil {
				t.Fatal(q, err)
			}
		}
		if mode != "wal" || busy < 1000 || sync != 1 {
			t.Fatalf("journal_mode %s, busy_timeout %d ms, synchronous %d; want wal, >= 1000, 1 (NORMAL)", mode, busy, sync)
		}
	}
}
