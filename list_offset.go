package b24

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/b24go/b24/internal/jsonscan"
)

// runOffset pages by offset in the caller's order: start=0, 50, ... on
// REST v2 (until the portal sends no next), pagination.offset on REST v3
// (until a page is shorter than the largest seen). Rows whose id was
// already delivered (shifted by a change of the list during the walk) are
// dropped and counted as duplicates; for that the walk keeps the set of ids
// it has delivered.
//
// The walk never loops and never reports a changed list as complete: a page
// of rows all read before (a portal that ignores the offset) or a next that
// does not advance stops it with ErrPageRepeated or ErrCursorStalled; a walk
// that read to the end after duplicates, or whose v2 total changed, ends with
// ErrListChanged (ListIncomplete), and so does a v2 walk that delivered
// fewer or more rows than the last page's total.
func (w *walk[T]) runOffset(ctx context.Context, s sink[T], fail func(error)) {
	e := &engine[T]{w: w}
	seen := map[int64]struct{}{}
	seenKeys := map[string]struct{}{} // ids that are not integers
	var firstTotal, lastTotal int
	hasTotal := false
	var prevSum uint64
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
			if resp.Total != nil {
				if !hasTotal {
					firstTotal, hasTotal = *resp.Total, true
				}
				lastTotal = *resp.Total
			}
			c := &chunk[T]{}
			var raw [][]byte
			sum := fnv.New64a()
			for _, r := range rows {
				sum.Write(r)
				sum.Write([]byte{0})
				id, err := rowID(r, w.q.fam.idKey)
				if err == nil {
					if _, dup := seen[id]; dup {
						c.dups++
						continue
					}
					seen[id] = struct{}{}
				} else if v, ok, _ := jsonscan.Field(r, w.q.fam.idKey); ok {
					if _, dup := seenKeys[string(v)]; dup {
						c.dups++
						continue
					}
					seenKeys[string(v)] = struct{}{}
				}
				c.ids = append(c.ids, id)
				raw = append(raw, r)
			}
			page := sum.Sum64()
			if len(rows) > 0 && (len(raw) == 0 || start > 0 && page == prevSum) {
				e.dups += c.dups
				return fmt.Errorf("%w: %s: the page at offset %d holds only the %d rows already read: the portal ignores the offset (start), or the list shifted by a page",
					ErrPageRepeated, w.method, start, len(rows))
			}
			prevSum = page
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
			if resp.Next == nil || len(rows) == 0 {
				return nil
			}
			if *resp.Next <= start {
				return fmt.Errorf("%w: %s answered next=%d for the page at start=%d", ErrCursorStalled, w.method, *resp.Next, start)
			}
			start = *resp.Next
		}
	}()
	short := hasTotal && e.rows != int64(lastTotal)
	if err == nil && !e.stopped && (e.dups > 0 || firstTotal != lastTotal || short) {
		why := fmt.Sprintf("%d rows repeated", e.dups)
		if firstTotal != lastTotal {
			why = fmt.Sprintf("total %d then %d, %s", firstTotal, lastTotal, why)
		}
		if short {
			why = fmt.Sprintf("%d rows read of a total of %d, %s", e.rows, lastTotal, why)
		}
		err = fmt.Errorf("%w: %s: %s: rows shifted by a deletion may be missing (walk by id, without an order on another field, for an exact read)",
			ErrListChanged, w.method, why)
	}
	w.rep.FirstTotal, w.rep.LastTotal = int64(firstTotal), int64(lastTotal)
	w.finishReport(ctx, e, err)
	w.rep.Cursor = nil
	if w.cfg.report != nil {
		w.cfg.report.Cursor = nil
	}
	if err != nil && !e.stopped {
		fail(err)
	}
}
