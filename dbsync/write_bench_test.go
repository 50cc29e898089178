package dbsync

import (
	"context"
	"os"
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

// BenchmarkUpsertSQLite: 2,500 deals with every field converted and
// upserted in one transaction, as a walk writes a request's rows;
// cpu-µs/row is the process's CPU (getrusage), which load does not inflate.
func BenchmarkUpsertSQLite(b *testing.B) {
	benchUpsert(b, "sqlite:"+filepath.Join(b.TempDir(), "b.db"))
}

// BenchmarkUpsertPostgres: the same into $B24_TEST_POSTGRES (skipped
// without); cpu-µs/row counts the client only, not the server.
func BenchmarkUpsertPostgres(b *testing.B) {
	if os.Getenv("B24_TEST_POSTGRES") == "" {
		b.Skip("no PostgreSQL: set B24_TEST_POSTGRES")
	}
	benchUpsert(b, postgresURL(b))
}

func benchUpsert(b *testing.B, url string) {
	e, fields, rows := benchRows(b, 2500)
	db, err := Open(context.Background(), url)
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
