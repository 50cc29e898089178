package dbsync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/b24go/b24"
)

// ErrMassDelete is returned when a run would delete more than 5 % of a
// table (lost permissions look like deletions); nothing is deleted.
var ErrMassDelete = errors.New("dbsync: would delete more than 5% of the table (--allow-mass-delete)")

// idWalk reads every id on the portal (2,500 a request), in order.
func (r *run) idWalk(ctx context.Context) ([]int64, error) {
	params := r.e.withParams(r.e.order())
	params["select"] = []string{r.e.idFilter}
	var ids []int64
	for page, err := range b24.FetchListPages[row](ctx, r.api, r.e.list, params, noProbe) {
		if err != nil {
			return nil, fmt.Errorf("dbsync: id walk of %s: %w", r.e.name, err)
		}
		for _, rw := range page {
			raw := rw.get(r.e.idKey)
			v, err := convert(raw, "integer")
			id, ok := v.(int64)
			if err != nil || !ok {
				return nil, fmt.Errorf("%w: %s: id %s", ErrBadValue, r.e.name, clip(raw))
			}
			ids = append(ids, id)
		}
		r.progress("ids")
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// diffLocal compares the table's ids, read in order and not kept (memory
// stays flat whatever the table's size), with a complete walk's ids
// (ascending); n is the table's row count. See diffIDs.
func (r *run) diffLocal(ctx context.Context, portal []int64) (gone, missing []int64, n int, err error) {
	col := quote(r.ts.cols[r.e.idKey].Col)
	rows, err := r.db.sql.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", col, quote(r.e.table), col))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("dbsync: ids of %s: %w", r.e.table, err)
	}
	defer rows.Close()
	local := func(yield func(int64) bool) {
		for rows.Next() {
			var id int64
			if err = rows.Scan(&id); err != nil || !yield(id) {
				return
			}
			n++
		}
	}
	gone, missing = diffIDs(local, portal)
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("dbsync: ids of %s: %w", r.e.table, err)
	}
	return gone, missing, n, nil
}

// reconcile compares a complete walk's ids with the table both ways: ids
// the portal lacks are deleted (only up to the largest id the walk saw, at
// most 5 % of the table unless allowed); ids the table lacks (restored from
// the recycle bin with an old date) are fetched.
func (r *run) reconcile(ctx context.Context, portal []int64) error {
	slices.Sort(portal)
	gone, missing, n, err := r.diffLocal(ctx, portal)
	if err != nil {
		return err
	}
	if err := r.fetchIDs(ctx, missing, "restores", &r.rep.Restored); err != nil {
		return err
	}
	if len(gone) > 0 && !r.o.AllowMassDelete && len(gone)*100 > 5*n {
		return fmt.Errorf("%w: %d of %d rows of %s", ErrMassDelete, len(gone), n, r.e.table)
	}
	return r.deleteIDs(ctx, gone)
}

func (r *run) deleteIDs(ctx context.Context, ids []int64) error {
	if err := r.deleteIn(ctx, r.db.sql, ids); err != nil {
		return err
	}
	r.rep.Deleted += int64(len(ids))
	return nil
}

// deleteIn deletes the rows of ids through q, 500 a statement.
func (r *run) deleteIn(ctx context.Context, q querier, ids []int64) error {
	col := quote(r.ts.cols[r.e.idKey].Col)
	for k := 0; k < len(ids); k += 500 {
		chunk := ids[k:min(k+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		stmt := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)", quote(r.e.table), col, ph(r.db.d, 1, len(chunk)))
		if _, err := q.ExecContext(ctx, stmt, args...); err != nil {
			return fmt.Errorf("dbsync: delete from %s: %w", r.e.table, err)
		}
	}
	return nil
}

// fetchIDs fetches rows by id (50 a request; user.get one) and writes them;
// an id not found is left to the id walk. n counts the rows written.
func (r *run) fetchIDs(ctx context.Context, ids []int64, phase string, n *int64) error {
	per := 50
	if r.e.name == "user" {
		per = 1
	}
	for k := 0; k < len(ids); k += per {
		if err := r.fetchChunk(ctx, ids[k:min(k+per, len(ids))], phase, n); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		r.o.Logger.Info("dbsync: fetched by id", "table", r.e.table, "phase", phase, "ids", len(ids),
			"sample", strings.Trim(fmt.Sprint(ids[:min(5, len(ids))]), "[]"))
	}
	return nil
}

// fetchChunk fetches rows by id in one request (user.get: one id) and
// writes them, each statement committed; n counts the rows written.
func (r *run) fetchChunk(ctx context.Context, chunk []int64, phase string, n *int64) error {
	var f any = chunk
	if len(chunk) == 1 {
		f = chunk[0]
	}
	resp, err := r.api.Call(ctx, r.e.list, r.e.withParams(map[string]any{
		"filter": map[string]any{r.e.idFilter: f}, "select": r.sel}))
	if err != nil {
		return fmt.Errorf("dbsync: %s of %s: %w", phase, r.e.name, err)
	}
	rows, err := rowsOf(resp.Result, r.e.rowsKey)
	if err != nil {
		return err
	}
	before := r.rep.Written
	if _, err := r.write(ctx, r.db.sql, rows); err != nil {
		return err
	}
	*n += r.rep.Written - before
	r.progress(phase)
	return nil
}

// diffIDs compares the table's ids (ascending, as they are read) with a
// complete walk's (ascending; repeats count once): gone are the local ids
// the portal lacks, up to the largest id the walk saw (one above it cannot
// be told from a row created after the walk began); missing are the
// portal's ids the table lacks.
func diffIDs(local iter.Seq[int64], portal []int64) (gone, missing []int64) {
	top := int64(0)
	if len(portal) > 0 {
		top = portal[len(portal)-1]
	}
	j := 0
	// skip passes the portal's ids below id (missing) and those equal to it;
	// it reports whether id was there.
	skip := func(below int64, limit bool) bool {
		for j < len(portal) && (!limit || portal[j] < below) {
			if len(missing) == 0 || missing[len(missing)-1] != portal[j] {
				missing = append(missing, portal[j])
			}
			j++
		}
		found := false
		for limit && j < len(portal) && portal[j] == below {
			found = true
			j++
		}
		return found
	}
	for id := range local {
		if !skip(id, true) && (id <= top || len(portal) == 0) {
			gone = append(gone, id)
		}
	}
	skip(0, false)
	return gone, missing
}
