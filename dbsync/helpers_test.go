package dbsync

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// drivers runs f once per database: SQLite in a temporary file, and the
// PostgreSQL of $B24_TEST_POSTGRES (scripts/test starts one) in a schema of
// its own. Without it the PostgreSQL case is skipped on a developer's
// machine and fails in CI ($CI set).
func drivers(t *testing.T, f func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, "sqlite:"+filepath.Join(t.TempDir(), "sync.db")) })
	t.Run("postgres", func(t *testing.T) { f(t, postgresURL(t)) })
}

func postgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("B24_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("B24_TEST_POSTGRES is not set: CI runs these tests against a real PostgreSQL (scripts/test starts one)")
		}
		t.Skip("no PostgreSQL: set B24_TEST_POSTGRES (scripts/test starts one)")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func openDB(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fake starts a fast fake portal with n deals.
func fake(t testing.TB, n int, opts ...b24test.Option) *b24test.Server {
	return b24test.NewServer(t, append([]b24test.Option{b24test.WithSeed(b24test.Seed{Deals: n, Seed: 7}),
		b24test.WithTimeScale(50), b24test.WithoutLimits()}, opts...)...)
}

// mustSync runs a sync and fails the test on an error.
func mustSync(t *testing.T, db *DB, h *b24.Hook, o Options) Report {
	t.Helper()
	rep, err := db.Sync(context.Background(), h, o)
	if err != nil {
		t.Fatalf("sync %s: %v", o.Entity, err)
	}
	return rep
}

// portalDeals returns ID → "TITLE|DATE_MODIFY" of every deal on the portal.
func portalDeals(t *testing.T, h *b24.Hook) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	for r, err := range b24.FetchList[map[string]any](context.Background(), h.V2(), "crm.deal.list",
		map[string]any{"select": []string{"ID", "TITLE", "DATE_MODIFY"}}) {
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		fmt.Sscan(r["ID"].(string), &id)
		out[id] = fmt.Sprintf("%v|%v", r["TITLE"], r["DATE_MODIFY"])
	}
	return out
}

// tableDeals returns the same from the table, times in the portal's zone as sent.
func tableDeals(t *testing.T, db *DB, portal map[int64]string) map[int64]string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT "ID", "TITLE", "DATE_MODIFY" FROM crm_deal`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var title sql.NullString
		var mod any
		if err := rows.Scan(&id, &title, &mod); err != nil {
			t.Fatal(err)
		}
		out[id] = fmt.Sprintf("%v|%s", title.String, normTime(t, mod, portal[id]))
	}
	return out
}

// sameDeals fails the test when the table differs from the portal.
func sameDeals(t *testing.T, db *DB, h *b24.Hook) {
	t.Helper()
	p := portalDeals(t, h)
	l := tableDeals(t, db, p)
	var diff []string
	for id, v := range p {
		if l[id] != v {
			diff = append(diff, fmt.Sprintf("%d: portal %q, table %q", id, v, l[id]))
		}
	}
	for id, v := range l {
		if _, ok := p[id]; !ok {
			diff = append(diff, fmt.Sprintf("%d: only in the table (%q)", id, v))
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Fatalf("%d of %d rows differ: %s", len(diff), len(p), strings.Join(diff[:min(5, len(diff))], "; "))
	}
}

// normTime renders a stored instant in the zone of the portal's rendering
// of it (the portal value's "TITLE|DATE" form), for comparison.
func normTime(t *testing.T, v any, portal string) string {
	t.Helper()
	var tm time.Time
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case time.Time:
		tm = x
	case string:
		var err error
		if tm, err = time.Parse(time.RFC3339, x); err != nil {
			t.Fatalf("stored time %q: %v", x, err)
		}
	default:
		t.Fatalf("stored time of type %T", v)
	}
	if i := strings.LastIndexByte(portal, '|'); i >= 0 {
		if p, err := time.Parse(time.RFC3339, portal[i+1:]); err == nil {
			tm = tm.In(p.Location())
		}
	}
	return tm.Format(time.RFC3339)
}

// hookOf is the fake's hook with a per-attempt timeout that a loaded
// machine (-race, parallel packages) cannot reach: the fake's scaled one
// (DefaultTimeout / K) is a fraction of a second.
func hookOf(s *b24test.Server) *b24.Hook { return s.Hook(b24.WithTimeout(time.Minute)) }
