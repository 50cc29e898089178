package dbsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestRowDecode: a row keeps its object's text; anything else is refused
// (before, a null row decoded into an empty map).
func TestRowDecode(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"ID":"1"}`, true},
		{` {"ID":"1","ID":"2"} `, true},
		{`null`, false},
		{`[1]`, false},
		{`"x"`, false},
	} {
		var r row
		err := json.Unmarshal([]byte(tc.in), &r)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %v", tc.in, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadValue) {
			t.Errorf("%s: %v does not wrap ErrBadValue", tc.in, err)
		}
	}
	var r row
	json.Unmarshal([]byte(`{"ID":"1","\u0054ITLE":"a","ID":"2"}`), &r)
	if got := string(r.get("ID")); got != `"2"` {
		t.Errorf(`get("ID") = %s, want the last "2"`, got)
	}
	if got := string(r.get("TITLE")); got != `"a"` {
		t.Errorf(`get("TITLE") with an escaped key = %s`, got)
	}
}

// TestWriterRows: the writer's slots and statements over both databases:
// rows with different sets of keys go in separate statements (a missing
// key never nulls a column), an escaped key finds its column, a repeated
// key keeps its last value, a new key adds a column inside the
// transaction (its statement is not prepared on another connection, which
// cannot see the column yet), an older copy never overwrites a newer one,
// and the prepared statements are reused in the next transaction.
func TestWriterRows(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := openDB(t, url)
		w := dealWriter(t, db, []field{{Name: "ID", Type: "integer"}, {Name: "TITLE", Type: "text"}, {Name: "DATE_MODIFY", Type: "timestamptz"}})
		write := func(rows ...string) {
			t.Helper()
			var rs []row
			for _, s := range rows {
				rs = append(rs, row(s))
			}
			tx, err := db.sql.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			conv, err := w.prepare(ctx, tx, rs)
			if err == nil {
				err = w.upsert(ctx, tx, conv)
			}
			if err == nil {
				err = tx.Commit()
			}
			if err != nil {
				t.Fatal(err)
			}
			w.committed()
		}
		write(`{"ID":"1","TITLE":"a","DATE_MODIFY":"2026-01-01T10:00:00+03:00"}`,
			`{"ID":"2","\u0054ITLE":"b","TITLE":"b2","DATE_MODIFY":"2026-01-01T10:00:00+03:00","UF_NEW":"x"}`,
			`{"ID":"3","DATE_MODIFY":"2026-01-01T10:00:00+03:00"}`)
		// the next transaction: ID 1 older (kept), ID 3 without TITLE (kept)
		write(`{"ID":"1","TITLE":"old","DATE_MODIFY":"2025-01-01T10:00:00+03:00"}`,
			`{"ID":"3","DATE_MODIFY":"2026-01-02T10:00:00+03:00"}`,
			`{"ID":"4","TITLE":"d","DATE_MODIFY":"2026-01-01T10:00:00+03:00"}`)
		want := map[int64]string{1: "a", 2: "b2", 3: "", 4: "d"}
		rows, err := db.sql.QueryContext(ctx, `SELECT "ID", COALESCE("TITLE", ''), COALESCE("UF_NEW", '') FROM crm_deal ORDER BY "ID"`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id int64
			var title, uf string
			if err := rows.Scan(&id, &title, &uf); err != nil {
				t.Fatal(err)
			}
			n++
			if title != want[id] || (id == 2) != (uf == "x") {
				t.Errorf("ID %d: TITLE %q UF_NEW %q, want TITLE %q", id, title, uf, want[id])
			}
		}
		if n != len(want) {
			t.Errorf("%d rows, want %d", n, len(want))
		}
		if len(w.stmts) == 0 {
			t.Error("no statement prepared after a committed transaction")
		}
	})
}

// TestOptionsValidate: bad options are refused with ErrInvalidOptions.
func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Entity: "crm.deal", Concurrency: -1},
		{Entity: "crm.deal", Concurrency: 17},
		{Entity: "crm.deal", CommitRows: MaxCommitRows + 1},
		{Entity: "crm.deal", Overlap: 1},
	} {
		if _, err := o.validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	o := Options{Entity: "crm.deal"}
	if _, err := o.validate(); err != nil || o.Concurrency != DefaultConcurrency {
		t.Errorf("defaults: %v, Concurrency %d", err, o.Concurrency)
	}
}

// TestWriterStatementsBounded: pages of any length are written with a few
// statement sizes (500 rows, then powers of two), so the statements built
// and prepared stay few however long the run (before, each remainder's
// length was a new statement: the database's memory grew with the run).
func TestWriterStatementsBounded(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "w.db"))
	w := dealWriter(t, db, []field{{Name: "ID", Type: "integer"}, {Name: "TITLE", Type: "text"}})
	id, written := 0, 0
	for n := 1; n <= 1300; n += 37 { // 36 pages of as many lengths
		page := make([]row, n)
		for i := range page {
			id++
			page[i] = row(fmt.Sprintf(`{"ID":"%d","TITLE":"t"}`, id))
		}
		conv, err := w.prepare(ctx, db.sql, page)
		if err == nil {
			err = w.upsert(ctx, db.sql, conv)
		}
		if err != nil {
			t.Fatal(err)
		}
		written += n
	}
	var rows int
	db.sql.QueryRow(`SELECT count(*) FROM crm_deal`).Scan(&rows)
	if rows != written {
		t.Errorf("%d rows in the table, want %d", rows, written)
	}
	if len(w.sqls) > 10 || len(w.stmts) > 10 { // 500, 256, ..., 1
		t.Errorf("%d statement texts and %d prepared for one set of keys, want <= 10", len(w.sqls), len(w.stmts))
	}
	for _, tc := range [][3]int{{2500, 500, 500}, {499, 500, 256}, {1, 500, 1}, {300, 300, 300}, {7, 3, 3}, {2, 3, 2}} {
		if got := chunkRows(tc[0], tc[1]); got != tc[2] {
			t.Errorf("chunkRows(%d, %d) = %d, want %d", tc[0], tc[1], got, tc[2])
		}
	}
}

// dealWriter makes the crm_deal table with fields and its writer.
func dealWriter(t *testing.T, db *DB, fields []field) *writer {
	t.Helper()
	ctx := context.Background()
	e, _ := lookupEntity("crm.deal", 0)
	if err := db.initState(ctx); err != nil {
		t.Fatal(err)
	}
	ts, err := db.loadSchema(ctx, e.table)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ensureTable(ctx, e, ts, fields); err != nil {
		t.Fatal(err)
	}
	w := db.newWriter(e, ts)
	t.Cleanup(w.close)
	return w
}
