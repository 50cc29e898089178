package dbsync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// row is one record as answered: raw values by key.
type row = map[string]json.RawMessage

// converted is a row ready to write: its id, its modification time (zero
// when none) and its values by field, for the keys the answer held.
type converted struct {
	id   int64
	mod  time.Time
	vals map[string]any
}

// prepare converts rows, adds columns for keys never seen, and keeps one row
// per id (the one modified last; the later one on a tie).
func (db *DB) prepare(ctx context.Context, q querier, e entity, ts *tableSchema, rows []row) ([]converted, error) {
	byID := make(map[int64]int, len(rows))
	out := make([]converted, 0, len(rows))
	for _, r := range rows {
		if err := db.discover(ctx, q, e, ts, r); err != nil {
			return nil, err
		}
		c, err := convertRow(e, ts, r)
		if err != nil {
			return nil, err
		}
		if i, dup := byID[c.id]; dup {
			if !c.mod.Before(out[i].mod) {
				out[i] = c
			}
			continue
		}
		byID[c.id] = len(out)
		out = append(out, c)
	}
	return out, nil
}

// discover adds a column for each key of r that the table lacks (a field
// *.fields did not describe, or an entity without *.fields).
func (db *DB) discover(ctx context.Context, q querier, e entity, ts *tableSchema, r row) error {
	for k := range r {
		if _, ok := ts.cols[k]; ok || k == "" {
			continue
		}
		if err := db.addColumn(ctx, q, ts, field{Name: k, Type: inferredType(e, k)}); err != nil {
			return err
		}
	}
	return nil
}

func convertRow(e entity, ts *tableSchema, r row) (converted, error) {
	c := converted{vals: make(map[string]any, len(r))}
	idv, err := convert(r[e.idKey], "integer")
	id, ok := idv.(int64)
	if err != nil || !ok || id <= 0 {
		return c, fmt.Errorf("%w: %s: a row without a positive integer %s (%s)", ErrBadValue, e.name, e.idKey, clip(r[e.idKey]))
	}
	c.id = id
	for k, raw := range r {
		col := ts.cols[k]
		v, err := convert(raw, col.Type)
		if err != nil {
			return c, fmt.Errorf("%s %d, field %s: %w", e.name, id, k, err)
		}
		c.vals[k] = v
		if k == e.modKey {
			if t, ok := v.(time.Time); ok {
				c.mod = t
			}
		}
	}
	return c, nil
}

// upsert writes rows, grouped by the set of keys they hold (a missing key
// never nulls a column), in statements under the driver's parameter limit.
// An older copy never overwrites a newer one: the update applies only when
// the row's modification time is not before the stored one.
func (db *DB) upsert(ctx context.Context, q querier, e entity, ts *tableSchema, rows []converted) error {
	groups := map[string][]converted{}
	var last []string // the previous row's keys, sorted: most rows hold the same keys
	var lastSig string
	for _, r := range rows {
		if !sameKeys(last, r.vals) {
			last = make([]string, 0, len(r.vals))
			for k := range r.vals {
				last = append(last, k)
			}
			sort.Strings(last)
			lastSig = strings.Join(last, "\x00")
		}
		groups[lastSig] = append(groups[lastSig], r)
	}
	for sig, g := range groups {
		fields := strings.Split(sig, "\x00")
		per := max(1, min(500, db.d.maxParams()/len(fields)))
		for i := 0; i < len(g); i += per {
			if err := db.upsertChunk(ctx, q, e, ts, fields, g[i:min(i+per, len(g))]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (db *DB) upsertChunk(ctx context.Context, q querier, e entity, ts *tableSchema, fields []string, rows []converted) error {
	cols := make([]string, len(fields))
	set := make([]string, 0, len(fields))
	for i, f := range fields {
		cols[i] = quote(ts.cols[f].Col)
		if f != e.idKey {
			set = append(set, cols[i]+" = excluded."+cols[i])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", quote(e.table), strings.Join(cols, ", "))
	args := make([]any, 0, len(rows)*len(fields))
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(" + ph(db.d, len(args)+1, len(fields)) + ")")
		for _, f := range fields {
			args = append(args, db.d.arg(ts.cols[f].Type, r.vals[f]))
		}
	}
	fmt.Fprintf(&b, " ON CONFLICT (%s) DO ", quote(ts.cols[e.idKey].Col))
	if len(set) == 0 {
		b.WriteString("NOTHING")
	} else {
		b.WriteString("UPDATE SET " + strings.Join(set, ", "))
		if mc, ok := ts.cols[e.modKey]; ok && e.modKey != "" && slices.Contains(fields, e.modKey) {
			m := quote(mc.Col)
			fmt.Fprintf(&b, " WHERE %s.%s IS NULL OR excluded.%s >= %s.%s", quote(e.table), m, m, quote(e.table), m)
		}
	}
	if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("dbsync: write %s: %w", e.table, err)
	}
	return nil
}

// sameKeys reports whether vals holds exactly the keys of keys.
func sameKeys(keys []string, vals map[string]any) bool {
	if keys == nil || len(keys) != len(vals) {
		return false
	}
	for _, k := range keys {
		if _, ok := vals[k]; !ok {
			return false
		}
	}
	return true
}
