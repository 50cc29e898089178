package dbsync

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrSchemaChanged is returned when a field's type or multiplicity changed
// on the portal (a user field deleted and recreated): the run stops before
// writing until it is run with Options.Migrate.
var ErrSchemaChanged = errors.New("dbsync: a field changed type or multiplicity (run with --migrate)")

// tableSchema is a table's columns by field name, as the name map records.
type tableSchema struct {
	table string
	cols  map[string]column
	taken map[string]bool // column names in use, lower case
}

func (db *DB) loadSchema(ctx context.Context, table string) (*tableSchema, error) {
	ts := &tableSchema{table: table, cols: map[string]column{}, taken: map[string]bool{}}
	rows, err := db.sql.QueryContext(ctx, `SELECT field, col, type, multiple FROM b24sync_columns WHERE tbl = `+db.d.placeholder(1), table)
	if err != nil {
		return nil, fmt.Errorf("dbsync: name map: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c column
		var mul int64
		if err := rows.Scan(&c.Name, &c.Col, &c.Type, &mul); err != nil {
			return nil, err
		}
		c.Multiple = mul != 0
		ts.cols[c.Name] = c
		ts.taken[strings.ToLower(c.Col)] = true
	}
	return ts, rows.Err()
}

// ensureTable creates the table, in one statement with the columns of the
// fields known (a table of 1,200 user fields is not 1,200 ALTERs), in one
// transaction with its name map.
func (db *DB) ensureTable(ctx context.Context, e entity, ts *tableSchema, fields []field) error {
	if _, ok := ts.cols[e.idKey]; ok {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cols := []column{{field: field{Name: e.idKey, Type: "integer"}, Col: e.idKey}}
	ts.taken[strings.ToLower(e.idKey)] = true
	defs := []string{quote(e.idKey) + " " + db.d.colType("integer") + " PRIMARY KEY"}
	for _, f := range fields {
		if f.Name == e.idKey {
			continue
		}
		c := column{field: f, Col: columnName(f.Name, ts.taken, db.d.maxIdent())}
		ts.taken[strings.ToLower(c.Col)] = true
		cols = append(cols, c)
		defs = append(defs, quote(c.Col)+" "+db.d.colType(f.Type))
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s (%s)`, quote(e.table), strings.Join(defs, ", "))); err != nil {
		return fmt.Errorf("dbsync: create %s (a table of that name not made by a sync is left alone): %w", e.table, err)
	}
	for _, c := range cols {
		if err := db.recordColumn(ctx, tx, ts, c); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dbsync: create %s: %w", e.table, err)
	}
	return nil
}

func (db *DB) recordColumn(ctx context.Context, q querier, ts *tableSchema, c column) error {
	mul := 0
	if c.Multiple {
		mul = 1
	}
	_, err := q.ExecContext(ctx, `INSERT INTO b24sync_columns (tbl, field, col, type, multiple) VALUES (`+ph(db.d, 1, 5)+`)
		ON CONFLICT (tbl, field) DO UPDATE SET col = excluded.col, type = excluded.type, multiple = excluded.multiple`,
		ts.table, c.Name, c.Col, c.Type, mul)
	if err != nil {
		return fmt.Errorf("dbsync: name map: %w", err)
	}
	ts.cols[c.Name] = c
	ts.taken[strings.ToLower(c.Col)] = true
	return nil
}

// addColumn adds a field's column (additive: nothing is ever dropped but by
// a migration).
func (db *DB) addColumn(ctx context.Context, q querier, ts *tableSchema, f field) error {
	c := column{field: f, Col: columnName(f.Name, ts.taken, db.d.maxIdent())}
	if _, err := q.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, quote(ts.table), quote(c.Col), db.d.colType(f.Type))); err != nil {
		return fmt.Errorf("dbsync: add column %s.%s: %w", ts.table, c.Col, err)
	}
	return db.recordColumn(ctx, q, ts, c)
}

// applyFields brings the table in line with the portal's fields: new ones
// get a column, vanished ones keep theirs, changed ones stop the run with
// ErrSchemaChanged, or with migrate lose their column's values and get the
// new type (the caller then walks everything). It returns whether it migrated.
func (db *DB) applyFields(ctx context.Context, ts *tableSchema, fields []field, migrate bool) (bool, error) {
	var changed []string
	for _, f := range fields {
		c, ok := ts.cols[f.Name]
		if ok && (c.Type != f.Type || c.Multiple != f.Multiple) && f.Name != "" {
			changed = append(changed, fmt.Sprintf("%s: %s → %s", f.Name, describe(c.field), describe(f)))
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 && !migrate {
		return false, fmt.Errorf("%w: %s: %s", ErrSchemaChanged, ts.table, strings.Join(changed, "; "))
	}
	// one transaction: a column and its name-map entry are added together,
	// whenever the process dies
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	for _, f := range fields {
		c, ok := ts.cols[f.Name]
		if ok && c.Type == f.Type && c.Multiple == f.Multiple {
			continue
		}
		if ok {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s DROP COLUMN %s`, quote(ts.table), quote(c.Col))); err != nil {
				return false, fmt.Errorf("dbsync: migrate %s.%s: %w", ts.table, c.Col, err)
			}
			delete(ts.taken, strings.ToLower(c.Col))
		}
		if err := db.addColumn(ctx, tx, ts, f); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("dbsync: columns of %s: %w", ts.table, err)
	}
	return len(changed) > 0, nil
}

func describe(f field) string {
	if f.Multiple {
		return f.Type + " (multiple)"
	}
	return f.Type
}
