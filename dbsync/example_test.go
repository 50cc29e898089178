package dbsync_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/dbsync"
)

// A first sync copies every deal; after an edit and a new deal, the next
// run reads only the changes (and walks the ids for deletions).
func ExampleDB_Sync() {
	s, err := b24test.Start(b24test.InMemory(), b24test.WithTimeScale(50), b24test.WithoutLimits(),
		b24test.WithSeed(b24test.Seed{Deals: 120, Seed: 1}))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	h := s.Hook()
	dir, _ := os.MkdirTemp("", "dbsync-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := dbsync.Open(ctx, "sqlite:"+filepath.Join(dir, "crm.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for run := range 2 {
		if run == 1 {
			s.CallAs(1, "crm.deal.update", map[string]any{"id": 7, "fields": map[string]any{"TITLE": "Renamed"}})
			s.CallAs(1, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "New"}})
		}
		rep, err := db.Sync(ctx, h, dbsync.Options{Entity: "crm.deal", Logger: quiet})
		if err != nil {
			panic(err)
		}
		if run == 0 {
			fmt.Println(rep.Table, rep.Mode, rep.Written, "written")
		} else { // the two changes, and any deal modified within the overlap before the first run
			fmt.Println(rep.Table, rep.Mode, rep.Written >= 2, rep.Deleted)
		}
	}
	var title string
	var n int
	db.SQL().QueryRow(`SELECT "TITLE" FROM crm_deal WHERE "ID" = 7`).Scan(&title)
	db.SQL().QueryRow(`SELECT count(*) FROM crm_deal`).Scan(&n)
	fmt.Println(title, n)
	// Output:
	// crm_deal full 120 written
	// crm_deal changes true 0
	// Renamed 121
}
