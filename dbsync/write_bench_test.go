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
	benchWrite(b, "sqlite:"+filepath.Join(b.TempDir(), "b.db"), 1, false)
}

// BenchmarkUpsertPostgres: the same into $B24_TEST_POSTGRES (skipped
// without); cpu-µs/row counts the client, server-cpu-µs/row the server.
func BenchmarkUpsertPostgres(b *testing.B) { benchWrite(b, benchPostgres(b), 1, false) }

// benchPostgres is a fresh schema of $B24_TEST_POSTGRES, or skips b.
func benchPostgres(b *testing.B) string {
	if os.Getenv("B24_TEST_POSTGRES") == "" {
		b.Skip("no PostgreSQL: set B24_TEST_POSTGRES")
	}
	return postgresURL(b)
}

// BenchmarkFirstSyncSQLite: the write path of a first sync, 100,000 new
// deals (40 transactions of 2,500 rows, every field, converted and
// inserted as a walk's requests are; the fake's 2,500 deals under new ids)
// into a fresh table. rows/s is the database's pace alone, to set against
// the walk's (the request bucket lets 5,000 rows/s through, a real portal's
// operating budget about 400 at full records).
func BenchmarkFirstSyncSQLite(b *testing.B) {
	benchWrite(b, "sqlite:"+filepath.Join(b.TempDir(), "b.db"), 40, true)
}

// BenchmarkFirstSyncPostgres: the same into $B24_TEST_POSTGRES (skipped
// without); server-cpu-µs/row is the CPU of the server's processes
// (pg_stat_activity's pids, read in /proc: a server on this host only).
func BenchmarkFirstSyncPostgres(b *testing.B) { benchWrite(b, benchPostgres(b), 40, true) }

// benchWrite writes the fake's 2,500 deals pages times an iteration, each
// page in a transaction as a walk writes a request's rows; fresh: under new
// ids each time (inserts), else the same ids (updates after the first).
func benchWrite(b *testing.B, url string, pages int, fresh bool) {
	e, fields, rows := benchRows(b, 2500)
	ctx := context.Background()
	db, err := Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.initState(ctx)
	ts, _ := db.loadSchema(ctx, e.table)
	if err := db.ensureTable(ctx, e, ts, fields); err != nil {
		b.Fatal(err)
	}
	w := db.newWriter(e, ts)
	defer w.close()
	b.ResetTimer()
	cpu0, srv0 := cpuSeconds(), serverCPU(db)
	next := int64(0)
	for range b.N * pages {
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		conv, err := w.prepare(ctx, tx, rows)
		if err != nil {
			b.Fatal(err)
		}
		for i := range conv {
			if fresh { // new ids: inserts, as a first sync writes
				next++
				conv[i].id, conv[i].vals[w.id] = next, w.db.d.arg("integer", next)
			}
		}
		if err := w.upsert(ctx, tx, conv); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N * pages * len(rows))
	b.ReportMetric(float64(b.Elapsed().Microseconds())/n, "µs/row")
	b.ReportMetric(n/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric((cpuSeconds()-cpu0)*1e6/n, "cpu-µs/row")
	if srv := serverCPU(db); srv != nil && srv0 != nil {
		var d float64
		for pid, t := range srv {
			d += t - srv0[pid] // a process that started since counts from 0
		}
		b.ReportMetric(d*1e6/n, "server-cpu-µs/row")
	}
}
