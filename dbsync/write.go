package dbsync

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"

	"github.com/b24go/b24/internal/jsonscan"
)

// row is one record as answered: its JSON object, undecoded (a row is
// scanned once, when it is converted; no map of its members is built).
type row []byte

// UnmarshalJSON keeps the object's text.
func (r *row) UnmarshalJSON(b []byte) error {
	b = jsonscan.Trim(b)
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("%w: a row is not an object: %s", ErrBadValue, clip(b))
	}
	*r = append((*r)[:0], b...)
	return nil
}

// get returns the value of the member key (the last one when repeated; nil
// when absent).
func (r row) get(key string) json.RawMessage {
	var out []byte
	jsonscan.EachMember(r, func(k, v []byte) bool {
		if jsonscan.KeyIs(k, key) {
			out = v
		}
		return true
	})
	return out
}

// converted is a row ready to write: its id, its modification time (zero
// when none), the set of columns its answer held (a bitmask by slot) and
// the driver's argument for each of them, by slot.
type converted struct {
	id   int64
	mod  time.Time
	sig  string
	vals []any
}

// maxStmts bounds the prepared statements a writer keeps (one per set of
// columns and row count).
const maxStmts = 32

// writer converts and upserts the rows of one table for one run: each
// column has a slot, fixed while the table's columns do not change, so a
// row converts into a slice and each distinct statement is built and
// prepared once.
type writer struct {
	db    *DB
	e     entity
	ts    *tableSchema
	built int            // len(ts.cols) the slots were built for
	slot  map[string]int // field name -> slot
	cols  []column       // by slot
	id    int            // the id's slot
	mod   int            // the modification time's slot (-1: none)
	sqls  map[string]string
	stmts map[string]*sql.Stmt
	args  []any
	// altered: columns were added in the transaction not yet committed,
	// which other connections (where a statement may be prepared) cannot
	// see; its statements are not prepared.
	altered bool
}

// committed tells the writer that the transaction of its writes committed.
func (w *writer) committed() { w.altered = false }

func (db *DB) newWriter(e entity, ts *tableSchema) *writer {
	w := &writer{db: db, e: e, ts: ts}
	w.build()
	return w
}

// build gives each column a slot (by field name order) and forgets the
// statements, which name the columns by slot.
func (w *writer) build() {
	w.close()
	names := make([]string, 0, len(w.ts.cols))
	for n := range w.ts.cols {
		names = append(names, n)
	}
	sort.Strings(names)
	w.slot = make(map[string]int, len(names))
	w.cols = make([]column, len(names))
	w.id, w.mod = -1, -1
	for i, n := range names {
		w.slot[n] = i
		w.cols[i] = w.ts.cols[n]
		switch {
		case n == w.e.idKey:
			w.id = i
		case n == w.e.modKey && w.e.modKey != "":
			w.mod = i
		}
	}
	w.built = len(w.ts.cols)
	w.sqls, w.stmts = map[string]string{}, map[string]*sql.Stmt{}
}

// close closes the prepared statements.
func (w *writer) close() {
	for _, s := range w.stmts {
		s.Close()
	}
	w.stmts = nil
}

// prepare converts rows, adds columns for keys never seen, and keeps one row
// per id (the one modified last; the later one on a tie).
func (w *writer) prepare(ctx context.Context, q querier, rows []row) ([]converted, error) {
	byID := make(map[int64]int, len(rows))
	out := make([]converted, 0, len(rows))
	var lastSig string
	for _, r := range rows {
		if w.built != len(w.ts.cols) { // a column added by another path
			w.build()
		}
		c, missing, err := w.convert(r, lastSig)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			if err := w.discover(ctx, q, missing); err != nil {
				return nil, err
			}
			if c, _, err = w.convert(r, ""); err != nil {
				return nil, err
			}
		}
		lastSig = c.sig
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

// discover adds a column for each key that the table lacks (a field
// *.fields did not describe, or an entity without *.fields).
func (w *writer) discover(ctx context.Context, q querier, keys []string) error {
	for _, k := range keys {
		if _, ok := w.ts.cols[k]; ok {
			continue
		}
		if err := w.db.addColumn(ctx, q, w.ts, field{Name: k, Type: inferredType(w.e, k)}); err != nil {
			return err
		}
	}
	w.build()
	w.altered = true
	return nil
}

// convert converts one row into its slots; it returns the keys with no
// column (the row is then to be converted again once they have one). prev
// is the previous row's signature, shared when this row's is the same.
func (w *writer) convert(r row, prev string) (converted, []string, error) {
	c := converted{vals: make([]any, len(w.cols))}
	bits := make([]byte, (len(w.cols)+7)/8)
	var missing []string
	var bad string
	var ferr error
	err := jsonscan.EachMember(r, func(k, v []byte) bool {
		s, ok := -1, false
		if bytes.IndexByte(k, '\\') < 0 {
			s, ok = w.slot[string(k[1:len(k)-1])]
		}
		if !ok {
			if name := jsonscan.Key(k); name != "" {
				if s, ok = w.slot[name]; !ok {
					missing = append(missing, name)
				}
			}
			if !ok {
				return true
			}
		}
		col := &w.cols[s]
		val, err := convert(v, col.Type)
		if err != nil {
			bad, ferr = col.Name, err
			return false
		}
		if s == w.mod {
			c.mod, _ = val.(time.Time)
		}
		c.vals[s] = w.db.d.arg(col.Type, val)
		bits[s>>3] |= 1 << (s & 7)
		return true
	})
	if err != nil {
		return c, nil, fmt.Errorf("%w: %s: a row is not a JSON object (%v)", ErrBadValue, w.e.name, err)
	}
	if w.id >= 0 {
		c.id, _ = c.vals[w.id].(int64)
	}
	if c.id <= 0 && len(missing) == 0 {
		return c, nil, fmt.Errorf("%w: %s: a row without a positive integer %s (%s)", ErrBadValue, w.e.name, w.e.idKey, clip(r.get(w.e.idKey)))
	}
	if ferr != nil {
		return c, nil, fmt.Errorf("%s %d, field %s: %w", w.e.name, c.id, bad, ferr)
	}
	if c.sig = prev; string(bits) != prev {
		c.sig = string(bits)
	}
	return c, missing, nil
}

// upsert writes rows, grouped by the set of keys they hold (a missing key
// never nulls a column), in statements under the driver's parameter limit.
// An older copy never overwrites a newer one: the update applies only when
// the row's modification time is not before the stored one.
func (w *writer) upsert(ctx context.Context, q querier, rows []converted) error {
	var sigs []string
	groups := map[string][]converted{}
	for _, r := range rows {
		if _, ok := groups[r.sig]; !ok {
			sigs = append(sigs, r.sig)
		}
		groups[r.sig] = append(groups[r.sig], r)
	}
	for _, sig := range sigs {
		g := groups[sig]
		slots := slotsOf(sig)
		per := max(1, min(500, w.db.d.maxParams()/len(slots)))
		for i := 0; i < len(g); {
			n := chunkRows(len(g)-i, per)
			if err := w.upsertChunk(ctx, q, sig, slots, g[i:i+n]); err != nil {
				return err
			}
			i += n
		}
	}
	return nil
}

// chunkRows is how many of left rows the next statement writes: per, or
// below that the largest power of two, so that a run uses a few statement
// sizes whatever its pages' lengths (each size is a statement built,
// prepared and kept: a remainder of any length would make a new one nearly
// every request, and the database's memory would grow with the run).
func chunkRows(left, per int) int {
	if left >= per {
		return per
	}
	return 1 << (bits.Len(uint(left)) - 1)
}

// slotsOf lists the slots set in a signature.
func slotsOf(sig string) []int {
	var out []int
	for i := range len(sig) * 8 {
		if sig[i>>3]&(1<<(i&7)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

func (w *writer) upsertChunk(ctx context.Context, q querier, sig string, slots []int, rows []converted) error {
	args := w.args[:0]
	for _, r := range rows {
		for _, s := range slots {
			args = append(args, r.vals[s])
		}
	}
	w.args = args
	key := fmt.Sprintf("%d\x00%s", len(rows), sig)
	text, ok := w.sqls[key]
	if !ok {
		text = w.statement(slots, len(rows))
		if len(w.sqls) < maxStmts { // past that, built for each statement
			w.sqls[key] = text
		}
	}
	err := w.exec(ctx, q, key, text, args)
	clear(args) // the values are not kept past the statement
	if err != nil {
		return fmt.Errorf("dbsync: write %s: %w", w.e.table, err)
	}
	return nil
}

// exec runs a statement, prepared once and reused in every transaction of
// the run, or as it is past maxStmts.
func (w *writer) exec(ctx context.Context, q querier, key, text string, args []any) error {
	st := w.stmts[key]
	if st == nil && len(w.stmts) < maxStmts && !w.altered {
		var err error
		if st, err = w.db.sql.PrepareContext(ctx, text); err != nil {
			return err
		}
		w.stmts[key] = st
	}
	var err error
	switch tq := q.(type) {
	case *sql.Tx:
		if st != nil {
			_, err = tq.StmtContext(ctx, st).ExecContext(ctx, args...)
			break
		}
		_, err = tq.ExecContext(ctx, text, args...)
	case *sql.DB:
		if st != nil {
			_, err = st.ExecContext(ctx, args...)
			break
		}
		_, err = tq.ExecContext(ctx, text, args...)
	default:
		_, err = q.ExecContext(ctx, text, args...)
	}
	return err
}

// statement is the upsert of n rows holding the columns of slots.
func (w *writer) statement(slots []int, n int) string {
	cols := make([]string, len(slots))
	set := make([]string, 0, len(slots))
	hasMod := false
	for i, s := range slots {
		cols[i] = quote(w.cols[s].Col)
		if s != w.id {
			set = append(set, cols[i]+" = excluded."+cols[i])
		}
		hasMod = hasMod || s == w.mod
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", quote(w.e.table), strings.Join(cols, ", "))
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(" + ph(w.db.d, i*len(slots)+1, len(slots)) + ")")
	}
	fmt.Fprintf(&b, " ON CONFLICT (%s) DO ", quote(w.cols[w.id].Col))
	if len(set) == 0 {
		b.WriteString("NOTHING")
		return b.String()
	}
	b.WriteString("UPDATE SET " + strings.Join(set, ", "))
	if hasMod {
		m, t := quote(w.cols[w.mod].Col), quote(w.e.table)
		fmt.Fprintf(&b, " WHERE %s.%s IS NULL OR excluded.%s >= %s.%s", t, m, m, t, m)
	}
	return b.String()
}
