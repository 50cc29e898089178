package listwalk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
)

// The engine of a keyset walk: an optional probe of the range, a cutter
// that cuts the range into shards sized by the density of ids, workers that
// walk shards, and the consumer (the caller's goroutine) that delivers rows
// in order and keeps the report and the cursor.

type engine[T any] struct {
	w       *walk[T]
	workers int
	ordered bool

	cut cutter[T]

	// consumer side
	regMu    sync.Mutex
	registry []*shard[T]
	span     float64 // ids between the range's first row and its far end (probe), 0 when unknown
	rows     int64
	minID    int64
	maxID    int64
	dups     int64
	outOf    int64
	stopped  bool
}

// walk runs the engine. It returns nil when the walk completed or the
// caller stopped it (e.stopped).
func (e *engine[T]) walk(ctx context.Context, s Sink[T]) error {
	w := e.w
	if len(e.cut.regions) == 0 {
		return nil
	}
	if w.chain && !(w.cfg.NoProbe && e.workers == 1) || e.workers > 1 {
		first, err := e.probe(ctx)
		if err != nil {
			return err
		}
		if first != nil && !e.deliver(first, s) {
			return nil
		}
		if len(e.cut.regions) == 0 {
			return nil
		}
	} else {
		e.cut.target = math.Inf(1) // one shard a region
	}
	if e.workers == 1 {
		return e.inline(ctx, s)
	}
	return e.parallel(ctx, s)
}

// inline walks the shards one after the other on the caller's goroutine.
func (e *engine[T]) inline(ctx context.Context, s Sink[T]) error {
	for {
		sh := e.cut.next(ctx, nil, 0)
		if sh == nil {
			return ctx.Err()
		}
		for !sh.done {
			c, err := e.w.step(ctx, sh, e.cut.chainSize(sh))
			if err != nil {
				return err
			}
			if !e.deliver(c, s) {
				return nil
			}
		}
		e.cut.observe(sh)
	}
}

// parallel walks shards on e.workers goroutines. It returns only once every
// goroutine has ended.
func (e *engine[T]) parallel(parent context.Context, s Sink[T]) error {
	ctx, cancel := context.WithCancel(parent)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	var pub chan *shard[T]
	var shared chan *chunk[T]
	if e.ordered {
		pub = make(chan *shard[T], 2*e.workers)
	} else {
		shared = make(chan *chunk[T], e.workers)
	}
	perShard := max(4, 10000/max(1, e.w.rowsPerRequest()))
	e.cut.tail = tailSplit{on: !e.ordered && e.w.chain, regMu: &e.regMu}
	for range e.workers {
		wg.Go(func() { e.worker(ctx, pub, shared, perShard) })
	}
	if e.ordered {
		return e.consumeOrdered(ctx, pub, s)
	}
	return e.consumeShared(ctx, shared, s)
}

// worker walks the shards the cutter hands it until none is left or the
// walk ends: an ordered walk sends each shard's chunks to the shard's own
// channel, an unordered one to shared (and a nil when the worker is done).
func (e *engine[T]) worker(ctx context.Context, pub chan *shard[T], shared chan *chunk[T], perShard int) {
	defer func() {
		if shared != nil { // tell the consumer this worker is done
			select {
			case shared <- nil:
			case <-ctx.Done():
			}
		}
	}()
	for {
		sh := e.cut.next(ctx, pub, perShard)
		if sh == nil {
			return
		}
		out := shared
		if e.ordered {
			out = sh.out
		}
		ok := e.walkShard(ctx, sh, out)
		e.cut.finish(sh)
		if e.ordered {
			close(sh.out)
		}
		if !ok {
			return
		}
	}
}

// consumeOrdered delivers the shards in walk order, as the cutter published
// them, each shard's chunks in order.
func (e *engine[T]) consumeOrdered(ctx context.Context, pub chan *shard[T], s Sink[T]) error {
	for {
		var sh *shard[T]
		select {
		case sh = <-pub:
		case <-ctx.Done():
			return ctx.Err()
		}
		if sh == nil {
			return nil // the cutter closed pub: every shard was delivered
		}
		for c := range sh.out {
			if c.err != nil {
				return c.err
			}
			if !e.deliver(c, s) {
				return nil
			}
		}
		if !sh.delivered {
			// The worker gave up on the shard without an error: the
			// walk was cancelled.
			if err := ctx.Err(); err != nil {
				return err
			}
			return errors.New("b24: internal: shard ended early")
		}
	}
}

// consumeShared delivers chunks as the workers send them (WithUnordered),
// until every worker is done.
func (e *engine[T]) consumeShared(ctx context.Context, shared chan *chunk[T], s Sink[T]) error {
	for active := e.workers; active > 0; {
		var c *chunk[T]
		select {
		case c = <-shared:
		case <-ctx.Done():
			return ctx.Err()
		}
		if c == nil {
			active--
			continue
		}
		if c.err != nil {
			return c.err
		}
		if !e.deliver(c, s) {
			return nil
		}
	}
	return ctx.Err()
}

// walkShard walks one shard, sending its chunks to out. It reports false
// when the walk must end (an error was sent, or ctx ended).
func (e *engine[T]) walkShard(ctx context.Context, sh *shard[T], out chan<- *chunk[T]) bool {
	for !sh.done {
		e.cut.split(sh, e.workers)
		c, err := e.w.step(ctx, sh, e.cut.chainSize(sh))
		if err != nil {
			e.cut.halt()
			select {
			case out <- &chunk[T]{sh: sh, err: err}:
			case <-ctx.Done():
			}
			return false
		}
		select {
		case out <- c:
		case <-ctx.Done():
			return false
		}
	}
	e.cut.observe(sh)
	return true
}

func (e *engine[T]) register(sh *shard[T]) {
	e.regMu.Lock()
	e.registry = append(e.registry, sh)
	e.regMu.Unlock()
}

// deliver hands a chunk's rows to the sink and updates the report, the
// cursor and the progress. It reports false when the caller stopped.
func (e *engine[T]) deliver(c *chunk[T], s Sink[T]) bool {
	e.dups += c.dups
	e.outOf += c.outOf
	n, ok := len(c.rows), true
	if n > 0 {
		n, ok = s(c.rows)
		n = min(max(n, 0), len(c.rows))
	}
	e.count(c.ids[:n])
	sh := c.sh
	if n > 0 {
		sh.pos, sh.posSet = c.ids[n-1], true
	}
	if ok && c.last {
		sh.delivered = true
	}
	if !ok {
		e.stopped = true
		return false
	}
	if f := e.w.cfg.Progress; f != nil {
		cur := e.cursor()
		f(Progress{Rows: e.rows, Requests: e.w.requests.Load(), Covered: e.covered(), Cursor: &cur})
	}
	return true
}

// count adds the ids of delivered rows to the report's figures.
func (e *engine[T]) count(ids []int64) {
	for _, id := range ids {
		if e.rows == 0 || id < e.minID {
			e.minID = id
		}
		if e.rows == 0 || id > e.maxID {
			e.maxID = id
		}
		e.rows++
	}
}

// cursor returns the ranges not yet delivered, in walk order.
func (e *engine[T]) cursor() Cursor {
	w := e.w
	c := Cursor{Version: 1, Query: w.q.sum, Desc: w.q.desc}
	// One snapshot of both: the cutter registers a shard under its lock as
	// it cuts it, so every range is either still to cut or registered.
	// A shard's from shrinks when the tail splits it (under both locks).
	e.cut.mu.Lock()
	e.regMu.Lock()
	shards := append([]*shard[T](nil), e.registry...)
	froms := make([]region, len(shards))
	for i, sh := range shards {
		froms[i] = sh.from
	}
	e.regMu.Unlock()
	remaining := append([]region(nil), e.cut.regions...)
	e.cut.mu.Unlock()
	var rs []region
	for i, sh := range shards {
		if sh.delivered {
			continue
		}
		r := froms[i]
		if sh.posSet {
			r.after, r.hasAfter = sh.pos, true
		}
		rs = append(rs, r)
	}
	rs = append(rs, remaining...)
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if !a.hasAfter || !b.hasAfter {
			return !a.hasAfter && b.hasAfter
		}
		return w.beyond(b.after, a.after)
	})
	for _, r := range rs {
		c.Ranges = append(c.Ranges, r.cursorRange())
	}
	return c
}

// covered returns the share of the range delivered, or -1 when unknown.
func (e *engine[T]) covered() float64 {
	if e.span <= 0 {
		return -1
	}
	e.regMu.Lock()
	defer e.regMu.Unlock()
	far := e.cut.far
	var done float64
	for _, sh := range e.registry {
		to := sh.from.end
		if !sh.from.hasEnd {
			to = far
		}
		width := math.Max(0, float64(e.w.dir*(to-sh.from.after)))
		switch {
		case sh.delivered:
			done += width
		case sh.posSet:
			done += math.Min(width, math.Max(0, float64(e.w.dir*(sh.pos-sh.from.after))))
		}
	}
	return math.Min(1, done/e.span)
}

// probe reads the first page of the walk and the first page from the far
// end of the range: the range's extent and the density of its ids size the
// shards (and the chains). It returns the first page as a complete shard.
func (e *engine[T]) probe(ctx context.Context) (*chunk[T], error) {
	w := e.w
	e.cut.target = math.Inf(1) // until the density is known
	first := e.cut.regions[0]
	last := e.cut.regions[len(e.cut.regions)-1]
	sh := &shard[T]{region: first, from: first}
	// The reverse page walks from the far end back towards the start.
	var rev region
	if last.hasEnd {
		rev.after, rev.hasAfter = last.end+w.dir, true
	}
	if first.hasAfter {
		rev.end, rev.hasEnd = first.after+w.dir, true
	}
	firstRows, revRows, err := w.probePages(ctx, sh, rev)
	if err != nil {
		return nil, err
	}
	w.pages.Add(1)
	c := &chunk[T]{sh: sh}
	var raw [][]byte
	if err := w.accept(sh, firstRows, w.isFull(len(firstRows)), c, &raw); err != nil {
		return nil, err
	}
	if err := w.decode(raw, c); err != nil {
		return nil, err
	}
	c.last = true
	// Shard 0 is what the first page covered.
	sh.from.end, sh.from.hasEnd = sh.after, sh.hasAfter
	if sh.done {
		e.cut.regions = e.cut.regions[1:]
		if !sh.hasAfter {
			sh.from.hasEnd = false
		}
	} else {
		e.cut.regions[0].after, e.cut.regions[0].hasAfter = sh.after, true
	}
	e.register(sh)
	sh.done = true
	if len(e.cut.regions) == 0 || len(c.ids) == 0 {
		return c, nil
	}
	// The extent and density.
	n1 := float64(len(c.ids))
	span1 := math.Abs(float64(c.ids[len(c.ids)-1]-c.ids[0])) + 1
	far := c.ids[len(c.ids)-1]
	n2, span2 := 0.0, 0.0
	if revRows != nil {
		w.pages.Add(1)
		var ids []int64
		for _, r := range revRows {
			id, err := rowID(r, w.q.fam.idKey)
			if err != nil {
				return nil, fmt.Errorf("b24: %s: %w", w.method, err)
			}
			if k := len(ids); k > 0 && !w.beyond(ids[k-1], id) {
				// Not in descending order: no measure of the far end (the
				// walk's own pages are checked by accept).
				ids = nil
				break
			}
			ids = append(ids, id)
		}
		if len(ids) > 0 {
			if w.beyond(ids[0], far) {
				far = ids[0]
			}
			n2 = float64(len(ids))
			span2 = math.Abs(float64(ids[len(ids)-1]-ids[0])) + 1
		}
	}
	density := (n1 + n2) / (span1 + span2)
	e.cut.far, e.cut.hasFar = far, true
	e.cut.rows, e.cut.span = n1+n2, span1+span2
	e.span = math.Abs(float64(far-c.ids[0])) + 1
	est := density * e.span
	e.cut.target = e.shardTarget(est)
	return c, nil
}

// shardTarget returns the rows a shard should hold for an estimated total.
func (e *engine[T]) shardTarget(est float64) float64 {
	w := e.w
	// Ordered output buffers a window of shards: keep them small. Unordered
	// output buffers nothing: fewer, larger shards waste fewer requests at
	// shard ends while still balancing the workers.
	per, most := est/float64(4*e.workers), 8.0
	if !e.ordered {
		per, most = est/float64(2*e.workers), 20
	}
	switch {
	case e.workers == 1:
		return math.Inf(1)
	case w.chain:
		// Whole chained batches: the cutter fits each shard into them.
		k := math.Round(per / (v2PageSize * chainLen))
		k = math.Min(most, math.Max(1, k))
		e.cut.whole = true
		return k * v2PageSize * chainLen
	case w.c.V3():
		return math.Min(20*float64(w.limit), math.Max(2*float64(w.limit), per))
	}
	return math.Min(20000, math.Max(500, per))
}

// cutter hands out shards, cut from the remaining regions in walk order.
type cutter[T any] struct {
	w *walk[T]
	// register records a shard with the engine as it is cut (under mu).
	register func(*shard[T])
	// pubTurn (a token of capacity 1) keeps shards published in cut order;
	// mu guards the rest and is never held while waiting for the consumer,
	// whose cursor needs it. A channel, not a mutex: a worker waiting for
	// its turn is durably blocked (testing/synctest) and can be cancelled.
	pubTurn chan struct{}
	mu      sync.Mutex
	// regions not yet cut, in walk order
	regions []region
	far     int64 // the range's far end, from the probe
	hasFar  bool
	// the density of ids observed: rows per id
	rows, span float64
	observed   int       // shards walked and observed
	tail       tailSplit // splitting shards at the walk's tail (split.go)
	target     float64   // rows a shard should hold
	whole      bool      // target is whole chained requests: fit shards into them
	halted     bool
	closed     bool
}

// next cuts the next shard and registers it; nil when none is left, the
// walk was halted or ctx ended. With pub (the ordered mode), each shard gets
// its own channel of chunks (capacity perShard) and is published in cut
// order (in turn, outside mu: the consumer computes cursors while a worker
// waits here for room in pub); the first nil closes pub.
func (c *cutter[T]) next(ctx context.Context, pub chan *shard[T], perShard int) *shard[T] {
	if pub != nil {
		select {
		case c.pubTurn <- struct{}{}:
			defer func() { <-c.pubTurn }()
		case <-ctx.Done():
			return nil
		}
	}
	c.mu.Lock()
	if ctx.Err() != nil {
		c.mu.Unlock()
		return nil
	}
	sh := c.cutLocked(pub)
	for sh == nil && pub == nil && c.waitLocked(ctx) {
		sh = c.cutLocked(pub)
	}
	if sh != nil {
		c.tail.active++
		if pub != nil {
			sh.out = make(chan *chunk[T], perShard)
		}
		if c.register != nil {
			c.register(sh)
		}
	}
	c.mu.Unlock()
	if sh == nil || pub == nil {
		return sh
	}
	select {
	case pub <- sh:
		return sh
	case <-ctx.Done():
		return nil
	}
}

func (c *cutter[T]) cutLocked(pub chan *shard[T]) *shard[T] {
	if c.halted || len(c.regions) == 0 {
		if pub != nil && !c.closed && !c.halted {
			c.closed = true
			close(pub)
		}
		return nil
	}
	r := c.regions[0]
	whole := math.IsInf(c.target, 1) || !r.hasAfter
	if !whole {
		density, target := c.density(), c.target
		if c.whole {
			target = c.fit(target)
		}
		width := int64(math.Max(1, math.Ceil(target/density)))
		to, bounded := r.end, r.hasEnd
		if !bounded && c.hasFar {
			to, bounded = c.far, true
		}
		remaining := float64(c.w.dir * (to - r.after))
		if !bounded || remaining <= 1.5*float64(width) {
			whole = true
		} else {
			sh := &shard[T]{region: region{after: r.after, hasAfter: true, end: r.after + c.w.dir*width, hasEnd: true}}
			sh.from = sh.region
			c.regions[0].after = sh.end
			return sh
		}
	}
	c.regions = c.regions[1:]
	sh := &shard[T]{region: r, from: r}
	return sh
}

func (c *cutter[T]) density() float64 {
	if c.span <= 0 || c.rows <= 0 {
		return 1
	}
	return c.rows / c.span
}

// fit returns the rows to cut a shard of whole chained requests for, so
// that its last request is not followed by one more for a few rows. That
// request must hold, besides the rows, the short page that confirms the
// shard's end, and room for the error of the expected row count (spread).
// Until a shard has been walked the density is a sample of the probe's two
// pages, too small to size a shard of many requests on: such a shard holds
// one request, and the shards cut after it use what it measured.
func (c *cutter[T]) fit(rows float64) float64 {
	if c.observed == 0 {
		rows = v2PageSize * chainLen
	}
	return math.Max(v2PageSize, rows-v2PageSize-c.spread(rows))
}

// spread is two standard deviations of the number of rows of a range
// expected to hold rows rows: the density is estimated from a sample
// (c.rows rows over c.span ids), and the range's own gaps vary (each id
// holds a row or not, as a binomial count). It is 0 on a dense id space.
func (c *cutter[T]) spread(rows float64) float64 {
	d := c.density()
	if d >= 1 || c.span <= 0 {
		return 0
	}
	estimate := rows * math.Sqrt((1-d)/(d*c.span))
	own := math.Sqrt(rows * (1 - d))
	return 2 * math.Hypot(estimate, own)
}

// observe feeds a completed shard's density to the cutter.
func (c *cutter[T]) observe(sh *shard[T]) {
	if !sh.from.hasAfter || !sh.hasAfter {
		return
	}
	to := sh.after
	if sh.from.hasEnd {
		to = sh.from.end
	}
	span := float64(c.w.dir * (to - sh.from.after))
	if span <= 0 {
		return
	}
	c.mu.Lock()
	c.rows += float64(sh.fetched)
	c.span += span
	c.observed++
	c.mu.Unlock()
}

// halt stops cutting: a worker failed.
func (c *cutter[T]) halt() {
	c.mu.Lock()
	c.halted = true
	c.wakeLocked()
	c.mu.Unlock()
}

// pagesUncutLocked is the pages of the regions not cut into shards yet,
// at density rows an id (c.mu held).
func (c *cutter[T]) pagesUncutLocked(density float64) int {
	rows := 0.0
	for _, r := range c.regions {
		to, bounded := r.end, r.hasEnd
		if !bounded && c.hasFar {
			to, bounded = c.far, true
		}
		if !bounded || !r.hasAfter {
			return math.MaxInt32 // an open end: more than any budget
		}
		rows += math.Max(0, float64(c.w.dir*(to-r.after))) * density
	}
	return int(math.Min(math.Ceil(rows/v2PageSize), math.MaxInt32))
}

// budgetWillBind reports whether the operating budget clearly binds the
// walk: the pages not cut yet are more than one and a half times what
// fits in the budget now (the Caller's Fitter; false when it cannot
// tell). The first wave of shards goes out before a batch is cut by the
// budget (walk.budgetBound); each is cut to one request with room for
// the probe's sample error, and with that room in its chain two or three
// pages of each ran past its end, ~1.2 s of a walk's budget.
func (c *cutter[T]) budgetWillBind(pages int) bool {
	if pages < 2*chainLen {
		return false
	}
	f, ok := c.w.c.(Fitter)
	if !ok {
		return false
	}
	return float64(pages) > 1.5*float64(f.Fit(c.w.method, pages))
}

// chainSize returns how many list commands the next chained batch of sh
// should carry: the rows expected before the shard's end, plus one page to
// confirm the end.
func (c *cutter[T]) chainSize(sh *shard[T]) int {
	if !c.w.chain {
		return 1
	}
	c.mu.Lock()
	density, far, hasFar, known := c.density(), c.far, c.hasFar, c.span > 0
	to, bounded := sh.end, sh.hasEnd
	if !bounded && hasFar {
		to, bounded = far, true
	}
	ids := float64(c.w.dir * (to - sh.after))
	rows := ids * density
	spread := c.spread(rows)
	firstWave := c.observed == 0 && c.whole
	left := c.pagesUncutLocked(density)
	c.mu.Unlock()
	if !bounded || !sh.hasAfter || !known {
		return chainLen
	}
	if ids <= 0 {
		return 2 // past the probed end: rows added since
	}
	// The rows expected, the short page that confirms the end (one row
	// more) and, unless the operating budget binds, the error of the
	// expectation. A page beyond the end still runs, on a reference left
	// unresolved, and costs a full page of server time for nothing: under
	// a binding budget, the window's work. A page short costs one more
	// request: under the request bucket, its time.
	if c.w.budgetBound.Load() || firstWave && c.budgetWillBind(left) {
		spread = 0
	}
	pages := math.Ceil((rows + 1 + spread) / v2PageSize)
	return int(math.Min(chainLen, math.Max(1, pages)))
}
