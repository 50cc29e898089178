package dbsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestFieldAddedAndRecreated: a user field added on the portal becomes a
// column on the next run (and its values arrive with the edits); one
// deleted and recreated with another type stops the run with
// ErrSchemaChanged until Migrate, which retypes the column and walks the
// table again.
func TestFieldAddedAndRecreated(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 60)
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		if err := s.AddUserField("crm.deal", b24test.UserField{Name: "UF_CRM_SIZE", Type: "double"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CallAs(1, "crm.deal.update", map[string]any{"id": 4, "fields": map[string]any{"UF_CRM_SIZE": "12.5"}}); err != nil {
			t.Fatal(err)
		}
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		var size string
		if err := db.SQL().QueryRow(`SELECT CAST("UF_CRM_SIZE" AS TEXT) FROM crm_deal WHERE "ID" = 4`).Scan(&size); err != nil || size != "12.50" {
			t.Fatalf("UF_CRM_SIZE = %q, %v; want 12.50", size, err)
		}
		s.DeleteUserField("crm.deal", "UF_CRM_SIZE")
		s.AddUserField("crm.deal", b24test.UserField{Name: "UF_CRM_SIZE", Type: "integer", Multiple: true})
		s.CallAs(1, "crm.deal.update", map[string]any{"id": 4, "fields": map[string]any{"UF_CRM_SIZE": []int{1, 2}}})
		_, err := db.Sync(context.Background(), h, Options{Entity: "crm.deal"})
		if !errors.Is(err, ErrSchemaChanged) {
			t.Fatalf("err = %v, want ErrSchemaChanged", err)
		}
		rep := mustSync(t, db, h, Options{Entity: "crm.deal", Migrate: true})
		if rep.Mode != "full" {
			t.Errorf("migration mode %q, want a full walk", rep.Mode)
		}
		if err := db.SQL().QueryRow(`SELECT CAST("UF_CRM_SIZE" AS TEXT) FROM crm_deal WHERE "ID" = 4`).Scan(&size); err != nil || size != `["1","2"]` && size != `["1", "2"]` {
			t.Fatalf("migrated UF_CRM_SIZE = %q, %v", size, err)
		}
		sameDeals(t, db, h)
	})
}

// TestManyUserFields: 1,200 user fields (columns) are written in
// statements under each driver's parameter limit (SQLite 32,766,
// PostgreSQL 65,535: 1,200 columns × 500 rows would be 600,000).
func TestManyUserFields(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 60, b24test.WithTimeScale(5)) // 1,270-field rows: slow answers
		for i := range 1200 {
			if err := s.AddUserField("crm.deal", b24test.UserField{Name: fmt.Sprintf("UF_CRM_F%04d", i), Type: "integer"}); err != nil {
				t.Fatal(err)
			}
		}
		want := int64(0)
		for id := 1; id <= 40; id++ {
			if _, err := s.CallAs(1, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"UF_CRM_F1199": id * 10, "UF_CRM_F0000": id}}); err == nil {
				want += int64(id * 10) // not a gap in the seeded ids
			}
		}
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		var n, sum int64
		if err := db.SQL().QueryRow(`SELECT count(*), sum("UF_CRM_F1199") FROM crm_deal`).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != int64(len(portalDeals(t, h))) || sum != want || want < 3000 {
			t.Fatalf("rows %d, sum %d", n, sum)
		}
	})
}

// TestNameMapAndMultiplicity: two user fields whose names are longer than
// PostgreSQL's 63 bytes and share their first 77 get distinct columns
// through the name map (b24sync_columns), their values land in their own
// columns on the first run that sees them and after the map is read back;
// a field recreated with the same type and column type (JSON) but another
// multiplicity stops the
// run (ErrSchemaChanged, nothing written) until Migrate.
func TestNameMapAndMultiplicity(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 30)
		h := hookOf(s)
		db := openDB(t, url)
		long := "UF_CRM_" + strings.Repeat("L", 70)
		names := []string{long + "_ONE", long + "_TWO"}
		for _, n := range names {
			if err := s.AddUserField("crm.deal", b24test.UserField{Name: n, Type: "integer"}); err != nil {
				t.Fatal(err)
			}
		}
		// a file field: a JSON column single or multiple, so only the
		// multiplicity tells the change
		if err := s.AddUserField("crm.deal", b24test.UserField{Name: "UF_CRM_MULT", Type: "file"}); err != nil {
			t.Fatal(err)
		}
		edit := func(fields map[string]any) {
			t.Helper()
			if _, err := s.CallAs(1, "crm.deal.update", map[string]any{"id": 4, "fields": fields}); err != nil {
				t.Fatal(err)
			}
		}
		edit(map[string]any{names[0]: 1, names[1]: 2, "UF_CRM_MULT": "3"})
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		cols := map[string]string{}
		for _, n := range names {
			var col string
			if err := db.SQL().QueryRow(`SELECT col FROM b24sync_columns WHERE tbl = 'crm_deal' AND field = `+db.d.placeholder(1), n).Scan(&col); err != nil {
				t.Fatal(n, err)
			}
			if fits := len(n) <= db.d.maxIdent(); (col == n) != fits || len(col) > db.d.maxIdent() {
				t.Fatalf("%s → column %s: want it mapped within %d bytes only when longer", n, col, db.d.maxIdent())
			}
			cols[n] = col
		}
		if cols[names[0]] == cols[names[1]] {
			t.Fatalf("both fields in column %s", cols[names[0]])
		}
		check := func(want1, want2 int64) {
			t.Helper()
			var a, b int64
			q := fmt.Sprintf(`SELECT %s, %s FROM crm_deal WHERE "ID" = 4`, quote(cols[names[0]]), quote(cols[names[1]]))
			if err := db.SQL().QueryRow(q).Scan(&a, &b); err != nil || a != want1 || b != want2 {
				t.Fatalf("mapped columns hold %d, %d (%v); want %d, %d", a, b, err, want1, want2)
			}
		}
		check(1, 2)
		edit(map[string]any{names[0]: 10, names[1]: 20})
		mustSync(t, db, h, Options{Entity: "crm.deal"}) // the map read back from b24sync_columns
		check(10, 20)

		s.DeleteUserField("crm.deal", "UF_CRM_MULT")
		if err := s.AddUserField("crm.deal", b24test.UserField{Name: "UF_CRM_MULT", Type: "file", Multiple: true}); err != nil {
			t.Fatal(err)
		}
		edit(map[string]any{"UF_CRM_MULT": []string{"7", "8"}, names[0]: 100})
		if _, err := db.Sync(context.Background(), h, Options{Entity: "crm.deal"}); !errors.Is(err, ErrSchemaChanged) || !strings.Contains(err.Error(), "UF_CRM_MULT") {
			t.Fatalf("multiplicity changed: %v, want ErrSchemaChanged naming UF_CRM_MULT", err)
		}
		check(10, 20) // nothing written
		mustSync(t, db, h, Options{Entity: "crm.deal", Migrate: true})
		check(100, 20)
		var m string
		if err := db.SQL().QueryRow(`SELECT CAST("UF_CRM_MULT" AS TEXT) FROM crm_deal WHERE "ID" = 4`).Scan(&m); err != nil || strings.ReplaceAll(m, " ", "") != `["7","8"]` {
			t.Fatalf("migrated UF_CRM_MULT = %q, %v", m, err)
		}
	})
}
