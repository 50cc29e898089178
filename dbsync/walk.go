package dbsync

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/b24go/b24"
)

// maxPageRows is the most rows one request of a walk answers (chained
// batches: 50 pages of 50).
const maxPageRows = 2500

// walkBuffer is how many requests' rows a walk keeps ahead of the writes:
// at most walkBuffer × maxPageRows rows (20,000) wait to be written, besides
// the request being written and those of the shards in flight.
const walkBuffer = 8

// fullWalk walks every row with an id above cursor, committing with the id
// cursor in the state; it returns the ids it saw when it began at 0.
func (r *run) fullWalk(ctx context.Context, cursor int64) ([]int64, error) {
	r.st.Phase = "full"
	keep := r.e.name != "user" // user.get filters no id range: its walk restarts
	if !keep {
		cursor = 0
	}
	return r.walk(ctx, "full", nil, cursor, keep)
}

// walk reads a list in id order and writes its rows, committing after at
// most CommitRows rows (or one request's). With keep the state's cursor is
// committed with the rows, so a killed walk resumes after the last commit.
// The writes run beside the walk, walkBuffer requests' rows ahead at most,
// so a database slower for a moment does not hold the requests back. It
// returns the ids seen.
func (r *run) walk(ctx context.Context, phase string, filter map[string]any, cursor int64, keep bool) ([]int64, error) {
	f := map[string]any{}
	for k, v := range filter {
		f[k] = v
	}
	if cursor > 0 {
		f[">"+r.e.idFilter] = cursor
	}
	params := r.e.withParams(r.e.order())
	params["select"] = r.sel
	if len(f) > 0 {
		params["filter"] = f
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	pages := make(chan []row, walkBuffer)
	type result struct {
		seen []int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		seen, err := r.writePages(ctx, pages, phase, cursor, keep)
		if err != nil {
			stop() // ends the walk
		}
		done <- result{seen, err}
	}()
	var werr error
	// A change walk is short as a rule: one shard, no range probe, so it
	// costs ceil(rows/2,500) requests; a full walk reads Concurrency shards.
	conc := r.o.Concurrency
	if phase != "full" {
		conc = 1
	}
	for page, err := range b24.FetchListPages[row](wctx, r.api, r.e.list, params, b24.WithConcurrency(conc), noProbe) {
		if err != nil {
			werr = fmt.Errorf("dbsync: %s walk of %s: %w", phase, r.e.name, err)
			break
		}
		select {
		case pages <- page:
		case <-wctx.Done():
		}
	}
	close(pages)
	res := <-done
	if res.err != nil {
		return nil, res.err
	}
	if werr != nil {
		return nil, werr
	}
	return res.seen, nil
}

// writePages writes the walk's pages as they come, committing every
// CommitRows rows and when the pages end (after a failed walk too: the rows
// and the cursor are right, and a resumed walk starts after them); a
// cancelled ctx rolls back the rows since the last commit.
func (r *run) writePages(ctx context.Context, pages <-chan []row, phase string, cursor int64, keep bool) ([]int64, error) {
	tx, err := r.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { tx.Rollback() }()
	var seen []int64
	pending := 0
	for page := range pages {
		ids, err := r.write(ctx, tx, page)
		if err != nil {
			return nil, err
		}
		seen = append(seen, ids...)
		if len(ids) > 0 {
			cursor = max(cursor, ids[len(ids)-1])
		}
		pending += len(page)
		if pending > r.o.CommitRows-maxPageRows {
			if tx, err = r.commit(ctx, tx, cursor, keep, true); err != nil {
				return nil, err
			}
			pending = 0
		}
		r.progress(phase)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if _, err := r.commit(ctx, tx, cursor, keep, false); err != nil {
		return nil, err
	}
	return seen, nil
}

// write converts and upserts one request's rows; it returns their ids in
// answer order.
func (r *run) write(ctx context.Context, q querier, page []row) ([]int64, error) {
	if r.w == nil {
		r.w = r.db.newWriter(r.e, r.ts)
	}
	conv, err := r.w.prepare(ctx, q, page)
	if err != nil {
		return nil, err
	}
	if err := r.w.upsert(ctx, q, conv); err != nil {
		return nil, err
	}
	ids := make([]int64, len(conv))
	for i, c := range conv {
		ids[i] = c.id
	}
	r.rep.Written += int64(len(conv))
	return ids, nil
}

// commit commits tx, with the cursor in the state when keep; with again it
// begins the next transaction.
func (r *run) commit(ctx context.Context, tx *sql.Tx, cursor int64, keep, again bool) (*sql.Tx, error) {
	if keep {
		r.st.Cursor = cursor
		if err := r.db.saveState(ctx, tx, r.e.table, r.st); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("dbsync: commit %s: %w", r.e.table, err)
	}
	if r.w != nil {
		r.w.committed()
	}
	if !again {
		return nil, nil
	}
	return r.db.sql.BeginTx(ctx, nil)
}
