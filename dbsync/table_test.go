package dbsync

import (
	"context"
	"errors"
	"fmt"
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
