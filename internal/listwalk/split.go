package listwalk

import (
	"context"
	"math"
	"sync"
)

// The tail of an unordered sharded walk under an operating budget: once
// every region has been cut, a worker whose shard ends would stop while
// others still walk long shards, and the walk would end a request or two
// (seconds of server time) after most workers fell idle. Instead an idle
// worker waits, and a worker about to send its shard's next request gives
// what it holds beyond its share of the pages left (all shards' and
// regions' over the workers) to the others as regions, so that the last
// requests of the walk run side by side and end together (docs/limits.md).
// Only once the budget has cut a batch (walk.budgetBound): a walk bound by
// the request bucket would pay each part's extra request. A shard is split
// only by its own worker, between two of its requests: no page in flight
// can cross the new end.

// splitMinPages is the fewest pages a part of a split shard is expected to
// hold: smaller parts would cost more requests than they save time.
const splitMinPages = 4

// tailSplit is the cutter's state for splitting shards at the walk's tail.
type tailSplit struct {
	on     bool        // unordered chained walk on several workers
	regMu  *sync.Mutex // the engine's registry lock: guards shards' from
	active int         // shards cut and not yet finished
	idle   int         // workers waiting for a part
	wake   chan struct{}
	// left holds each active shard's estimated pages left (by *shard) as
	// of its last split call, sum their total.
	left map[any]float64
	sum  float64
}

// waitLocked is called by a worker that found no region to cut, with c.mu
// held. It reports whether the worker should look again (a part was split
// off or may be), after waiting; false when the walk's shards are all
// finished, the walk was halted or ctx ended. It returns with c.mu held.
func (c *cutter[T]) waitLocked(ctx context.Context) bool {
	t := &c.tail
	if !t.on || c.halted || t.active == 0 {
		return false
	}
	if t.wake == nil {
		t.wake = make(chan struct{})
	}
	wake := t.wake
	t.idle++
	c.mu.Unlock()
	var ok bool
	select {
	case <-wake:
		ok = true
	case <-ctx.Done():
	}
	c.mu.Lock()
	t.idle--
	return ok && ctx.Err() == nil
}

// wakeLocked wakes the idle workers (c.mu held).
func (c *cutter[T]) wakeLocked() {
	if c.tail.wake != nil {
		close(c.tail.wake)
		c.tail.wake = nil
	}
}

// finish records that a worker is done with sh (complete or not).
func (c *cutter[T]) finish(sh *shard[T]) {
	c.mu.Lock()
	c.tail.sum -= c.tail.left[sh]
	delete(c.tail.left, sh)
	c.tail.active--
	if c.tail.active <= 0 {
		c.wakeLocked()
	}
	c.mu.Unlock()
}

// idsLeft is the ids of r after its start: to its end, or to the range's
// far end when it has none; false when that is not known.
func (c *cutter[T]) idsLeft(r region) (int64, bool) {
	to := r.end
	if !r.hasEnd {
		if !c.hasFar {
			return 0, false
		}
		to = c.far
	}
	return max(0, c.w.dir*(to-r.after)), true
}

// split gives the far part of what is left of sh to the other workers
// when sh holds more than its share: once every region has been cut, each
// active shard should hold the pages left in all of them over the workers,
// so that the walk's last requests end together. sh keeps its share (at
// least splitMinPages), the rest becomes a region (or one for each idle
// worker) for the next worker without a shard to cut. Only sh's own worker
// calls it, between two of sh's requests.
func (c *cutter[T]) split(sh *shard[T], workers int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &c.tail
	if !t.on || !c.w.budgetBound.Load() || c.halted || !sh.hasAfter || c.span <= 0 {
		return
	}
	ids, ok := c.idsLeft(sh.region)
	if !ok {
		return
	}
	pages := float64(ids) * c.density() / v2PageSize
	if t.left == nil {
		t.left = map[any]float64{}
	}
	t.sum += pages - t.left[sh]
	t.left[sh] = pages
	// Before the tail the regions not yet cut hold most of the pages
	// and the share is larger than any shard.
	all := t.sum
	for _, r := range c.regions {
		if n, ok := c.idsLeft(r); ok {
			all += float64(n) * c.density() / v2PageSize
		}
	}
	share := math.Max(splitMinPages, all/float64(workers))
	if pages-share < splitMinPages || ids < 2 {
		return
	}
	// The far part, cut in one region for each idle worker (at least one).
	keep := int64(math.Max(1, math.Round(float64(ids)*share/pages)))
	rest := ids - keep
	parts := int64(math.Max(1, math.Min(float64(t.idle-len(c.regions)), math.Floor((pages-share)/splitMinPages))))
	parts = min(parts, rest)
	width := rest / parts
	from := sh.after + c.w.dir*keep
	for i := range parts {
		r := region{after: from + c.w.dir*width*i, hasAfter: true, end: from + c.w.dir*width*(i+1), hasEnd: true}
		if i == parts-1 {
			r.end, r.hasEnd = sh.end, sh.hasEnd
		}
		c.regions = append(c.regions, r)
	}
	sh.end, sh.hasEnd = from, true
	t.sum -= pages - share
	t.left[sh] = share
	t.regMu.Lock()
	sh.from.end, sh.from.hasEnd = sh.end, true
	t.regMu.Unlock()
	c.wakeLocked()
}
