package dbsync

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/b24go/b24"
)

func benchRows(b *testing.B, n int) (entity, []field, []row) {
	b.Helper()
	s := fake(b, n)
	h := hookOf(s)
	e, _ := lookupEntity("crm.deal", 0)
	fields, err := fetchFields(context.Background(), h.V2(), e)
	if err != nil {
		b.Fatal(err)
	}
	var rows []row
	for page, err := range b24.FetchListPages[row](context.Background(), h.V2(), e.list, map[string]any{"select": legacySelect(fields)}) {
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, page...)
	}
	return e, fields, rows
}

func BenchmarkUpsertSQLite(b *testing.B) {
	e, fields, rows := benchRows(b, 2500)
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	db.initState(ctx)
	ts, _ := db.loadSchema(ctx, e.table)
	if err := db.ensureTable(ctx, e, ts, fields); err != nil {
		b.Fatal(err)
	}
	w := db.newWriter(e, ts)
	defer w.close()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for range b.N {
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		conv, err := w.prepare(ctx, tx, rows)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.upsert(ctx, tx, conv); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(rows)), "µs/row")
	b.ReportMetric((cpuSeconds()-cpu0)*1e6/float64(b.N*len(rows)), "cpu-µs/row")
}
