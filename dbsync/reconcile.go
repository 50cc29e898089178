package dbsync

import (
	"context"
	"errors"
	"fmt"
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

// localIDs returns the table's ids, ascending.
func (r *run) localIDs(ctx context.Context) ([]int64, error) {
	col := quote(r.ts.cols[r.e.idKey].Col)
	rows, err := r.db.sql.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", col, quote(r.e.table), col))
	if err != nil {
		return nil, fmt.Errorf("dbsync: ids of %s: %w", r.e.table, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// reconcile compares a complete walk's ids with the table both ways: ids
// the portal lacks are deleted (only up to the largest id the walk saw, at
// most 5 % of the table unless allowed); ids the table lacks (restored from
// the recycle bin with an old date) are fetched.
func (r *run) reconcile(ctx context.Context, portal []int64) error {
	slices.Sort(portal)
	local, err := r.localIDs(ctx)
	if err != nil {
		return err
	}
	gone, missing := diffIDs(local, portal)
	if err := r.fetchIDs(ctx, missing, "restores", &r.rep.Restored); err != nil {
		return err
	}
	if len(gone) > 0 && !r.o.AllowMassDelete && len(gone)*100 > 5*len(local) {
		return fmt.Errorf("%w: %d of %d rows of %s", ErrMassDelete, len(gone), len(local), r.e.table)
	}
	return r.deleteIDs(ctx, gone)
}

func (r *run) deleteIDs(ctx context.Context, ids []int64) error {
	col := quote(r.ts.cols[r.e.idKey].Col)
	for k := 0; k < len(ids); k += 500 {
		chunk := ids[k:min(k+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)", quote(r.e.table), col, ph(r.db.d, 1, len(chunk)))
		if _, err := r.db.sql.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("dbsync: delete from %s: %w", r.e.table, err)
		}
	}
	r.rep.Deleted += int64(len(ids))
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

// diffIDs compares the table's ids with a complete walk's (both ascending):
// gone are the local ids the portal lacks, up to the largest id the walk
// saw (one above it cannot be told from a row created after the walk
// began); missing are the portal's ids the table lacks.
func diffIDs(local, portal []int64) (gone, missing []int64) {
	top := int64(0)
	if len(portal) > 0 {
		top = portal[len(portal)-1]
	}
	i, j := 0, 0
	for i < len(local) || j < len(portal) {
		switch {
		case j == len(portal) || i < len(local) && local[i] < portal[j]:
			if local[i] <= top || len(portal) == 0 {
				gone = append(gone, local[i])
			}
			i++
		case i == len(local) || portal[j] < local[i]:
			missing = append(missing, portal[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return gone, missing
}
