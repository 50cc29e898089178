package b24

import (
	"context"
	"fmt"
)

// runOffset pages by offset in the caller's order: start=0, 50, ... on
// REST v2 (until the portal sends no next), pagination.offset on REST v3
// (until a page is shorter than the largest seen). Rows whose id was
// already delivered (shifted by a change of the list during the walk) are
// dropped and counted as duplicates; for that the walk keeps the set of ids
// it has delivered.
func (w *walk[T]) runOffset(ctx context.Context, s sink[T], fail func(error)) {
	e := &engine[T]{w: w}
	seen := map[int64]struct{}{}
	err := func() error {
		start := 0
		for {
			resp, err := w.call(ctx, w.q.offsetParams(start, w.limit))
			if err != nil {
				return err
			}
			rows, err := pageRows(resp.Result, w.q.fam.resultKey)
			if err != nil {
				return fmt.Errorf("b24: %s: %w", w.method, err)
			}
			w.pages.Add(1)
			c := &chunk[T]{}
			var raw [][]byte
			for _, r := range rows {
				id, err := rowID(r, w.q.fam.idKey)
				if err == nil {
					if _, dup := seen[id]; dup {
						c.dups++
						continue
					}
					seen[id] = struct{}{}
				}
				c.ids = append(c.ids, id)
				raw = append(raw, r)
			}
			if err := w.decode(raw, c); err != nil {
				return err
			}
			e.dups += c.dups
			n, ok := len(c.rows), true
			if n > 0 {
				n, ok = s(c.rows)
			}
			e.count(c.ids[:min(max(n, 0), len(c.ids))])
			if !ok {
				e.stopped = true
				return nil
			}
			if f := w.cfg.progress; f != nil {
				f(ListProgress{Rows: e.rows, Requests: w.requests.Load(), Covered: -1})
			}
			if w.api.version == APIv3 {
				if !w.isFull(len(rows)) {
					return nil
				}
				start += len(rows)
				continue
			}
			if resp.Next == nil || len(rows) == 0 || *resp.Next <= start {
				return nil
			}
			start = *resp.Next
		}
	}()
	w.finishReport(ctx, e, err)
	w.rep.Cursor = nil
	if w.cfg.report != nil {
		w.cfg.report.Cursor = nil
	}
	if err != nil && !e.stopped {
		fail(err)
	}
}
