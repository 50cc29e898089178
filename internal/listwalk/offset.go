package listwalk

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
// ErrListChanged (Incomplete), and so does a v2 walk that delivered
// fewer or more rows than the last page's total.
func runOffset[T any](ctx context.Context, w *walk[T], s Sink[T], fail func(error)) {
	o := &offsetWalk[T]{w: w, e: &engine[T]{w: w}, seen: map[int64]struct{}{}, seenKeys: map[string]struct{}{}}
	err := o.walk(ctx, s)
	if err == nil && !o.e.stopped {
		err = o.changed()
	}
	w.rep.FirstTotal, w.rep.LastTotal = int64(o.firstTotal), int64(o.lastTotal)
	w.finishReport(ctx, o.e, err)
	w.rep.Cursor = nil
	if w.cfg.Report != nil {
		w.cfg.Report.Cursor = nil
	}
	if err != nil && !o.e.stopped {
		fail(err)
	}
}

// offsetWalk is the state of an offset walk: the ids delivered, the totals
// the portal sent, and the last page's checksum.
type offsetWalk[T any] struct {
	w                     *walk[T]
	e                     *engine[T]
	seen                  map[int64]struct{}
	seenKeys              map[string]struct{} // ids that are not integers
	firstTotal, lastTotal int
	hasTotal              bool
	prevSum               uint64
}

// walk reads page after page until the end, the caller stops, or an error.
func (o *offsetWalk[T]) walk(ctx context.Context, s Sink[T]) error {
	w := o.w
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
			if !o.hasTotal {
				o.firstTotal, o.hasTotal = *resp.Total, true
			}
			o.lastTotal = *resp.Total
		}
		c, err := o.page(rows, start)
		if err != nil {
			return err
		}
		n, ok := len(c.rows), true
		if n > 0 {
			n, ok = s(c.rows)
		}
		o.e.count(c.ids[:min(max(n, 0), len(c.ids))])
		if !ok {
			o.e.stopped = true
			return nil
		}
		if f := w.cfg.Progress; f != nil {
			f(Progress{Rows: o.e.rows, Requests: w.requests.Load(), Covered: -1})
		}
		next, more, err := o.next(resp, len(rows), start)
		if !more || err != nil {
			return err
		}
		start = next
	}
}

// page drops the rows already delivered and decodes the others. A page of
// rows all read before, or the same page again, fails with ErrPageRepeated.
func (o *offsetWalk[T]) page(rows [][]byte, start int) (*chunk[T], error) {
	w := o.w
	c := &chunk[T]{}
	var raw [][]byte
	sum := fnv.New64a()
	for _, r := range rows {
		sum.Write(r)
		sum.Write([]byte{0})
		id, err := rowID(r, w.q.fam.idKey)
		if err == nil {
			if _, dup := o.seen[id]; dup {
				c.dups++
				continue
			}
			o.seen[id] = struct{}{}
		} else if v, ok, _ := jsonscan.Field(r, w.q.fam.idKey); ok {
			if _, dup := o.seenKeys[string(v)]; dup {
				c.dups++
				continue
			}
			o.seenKeys[string(v)] = struct{}{}
		}
		c.ids = append(c.ids, id)
		raw = append(raw, r)
	}
	o.e.dups += c.dups
	page := sum.Sum64()
	if len(rows) > 0 && (len(raw) == 0 || start > 0 && page == o.prevSum) {
		return nil, fmt.Errorf("%w: %s: the page at offset %d holds only the %d rows already read: the portal ignores the offset (start), or the list shifted by a page",
			ErrPageRepeated, w.method, start, len(rows))
	}
	o.prevSum = page
	return c, w.decode(raw, c)
}

// next is the offset of the page after the one at start that held n rows,
// and whether there is one: on REST 3.0 after a full page, on v2 the
// portal's next, which must advance.
func (o *offsetWalk[T]) next(resp Page, n, start int) (int, bool, error) {
	w := o.w
	if w.c.V3() {
		return start + n, w.isFull(n), nil
	}
	if resp.Next == nil || n == 0 {
		return 0, false, nil
	}
	if *resp.Next <= start {
		return 0, false, fmt.Errorf("%w: %s answered next=%d for the page at start=%d", ErrCursorStalled, w.method, *resp.Next, start)
	}
	return *resp.Next, true, nil
}

// changed is the error of a walk that read to the end of a list that
// changed under it: rows repeated, the total changed, or the rows delivered
// are not the last total. Nil when none of that happened.
func (o *offsetWalk[T]) changed() error {
	e := o.e
	short := o.hasTotal && e.rows != int64(o.lastTotal)
	if e.dups == 0 && o.firstTotal == o.lastTotal && !short {
		return nil
	}
	why := fmt.Sprintf("%d rows repeated", e.dups)
	if o.firstTotal != o.lastTotal {
		why = fmt.Sprintf("total %d then %d, %s", o.firstTotal, o.lastTotal, why)
	}
	if short {
		why = fmt.Sprintf("%d rows read of a total of %d, %s", e.rows, o.lastTotal, why)
	}
	return fmt.Errorf("%w: %s: %s: rows shifted by a deletion may be missing (walk by id, without an order on another field, for an exact read)",
		ErrListChanged, o.w.method, why)
}
