package listwalk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/b24go/b24/internal/jsonscan"
	"github.com/b24go/b24/internal/rowdecode"
)

// v2PageSize is the fixed page size of REST v2 lists.
const v2PageSize = 50

// defaultV3PageSize is the REST v3 pagination.limit a walk asks for.
const defaultV3PageSize = 1000

// walk is one list walk: its query, its mode and its counters.
type walk[T any] struct {
	c      Caller
	method string
	cfg    Config
	q      *listQuery
	mode   string
	limit  int  // rows asked for per page (v3); 50 on v2
	chain  bool // v2 chained batches
	offset bool

	dir      int64        // +1 ascending, -1 descending
	maxPage  atomic.Int64 // largest page seen (the v3 stop rule)
	requests atomic.Int64
	retries  atomic.Int64
	pages    atomic.Int64
	dropped  atomic.Int64
	// budgetBound: the operating budget cut a chained batch (Fit), so the
	// tail splits shards (split.go)
	budgetBound atomic.Bool
	v3b         *v3Batcher // sharded v3 walks: pages of several shards share a batch

	rep   Report
	start time.Time
}

func newWalk[T any](c Caller, method string, params json.RawMessage, cfg Config) (*walk[T], error) {
	fam := cfg.family(c.V3(), method)
	q, err := newListQuery(c.V3(), method, params, fam, &cfg)
	if err != nil {
		return nil, err
	}
	w := &walk[T]{c: c, method: method, cfg: cfg, q: q, dir: 1, limit: v2PageSize}
	if q.desc {
		w.dir = -1
	}
	if c.V3() {
		w.limit = defaultV3PageSize
		if cfg.PageSize > 0 {
			w.limit = min(cfg.PageSize, 1000)
		}
	}
	w.mode = w.pickMode(q)
	if w.mode == "v3" && cfg.Shards > 1 && !cfg.NoBatch {
		w.v3b = &v3Batcher{}
	}
	if cfg.Resume != nil {
		r := cfg.Resume
		if r.Version != 1 || r.Query != q.sum || r.Desc != q.desc {
			return nil, fmt.Errorf("%w (%s)", ErrCursorMismatch, method)
		}
		if w.offset {
			return nil, fmt.Errorf("b24: %s: an offset walk cannot be resumed", method)
		}
	}
	w.rep = Report{Method: method, Mode: w.mode, Shards: 1}
	return w, nil
}

// pickMode chooses how the walk reads: offset paging (asked for, or an
// order on another field), REST 3.0 pages, v2 chained batches, or one v2
// page a request.
func (w *walk[T]) pickMode(q *listQuery) string {
	switch {
	case w.cfg.Offset || q.otherOrder != nil:
		w.offset = true
		if q.otherOrder != nil && !w.cfg.Offset {
			w.c.Logger().LogAttrs(context.Background(), slog.LevelWarn,
				"b24 list ordered by a field other than the id: paging by offset (slower, and rows can shift while the list changes)",
				slog.String("method", w.method))
		}
		return "offset"
	case w.c.V3():
		return "v3"
	case !w.cfg.NoBatch && q.queryable(w.method, w.c.Logger()): // REST v2 walks chain batches unless WithBatch(false)
		w.chain = true
		return "chain"
	}
	return "keyset"
}

// beyond reports whether id a comes after id b in walk order.
func (w *walk[T]) beyond(a, b int64) bool { return w.dir*(a-b) > 0 }

// call sends one request of the walk, counting it.
func (w *walk[T]) call(ctx context.Context, params any) (Page, error) {
	p, err := w.c.Call(ctx, w.method, params)
	n := int64(max(p.Requests, 1))
	w.requests.Add(n)
	w.retries.Add(n - 1)
	return p, err
}

// batch sends cmds as one batch (halt on), counting the requests.
func (w *walk[T]) batch(ctx context.Context, cmds []Command) ([]Answer, error) {
	res, n, err := w.c.Batch(ctx, cmds)
	n = max(n, 1)
	w.requests.Add(int64(n))
	w.retries.Add(int64(n - 1))
	return res, err
}

// initialRegions returns the ranges a walk reads: the caller's bounds, or a
// resumed cursor's ranges.
func (w *walk[T]) initialRegions() []region {
	if c := w.cfg.Resume; c != nil {
		out := make([]region, 0, len(c.Ranges))
		for _, r := range c.Ranges {
			out = append(out, regionOf(r))
		}
		return out
	}
	rng := w.q.rng
	if rng.empty() {
		return nil
	}
	var r region
	if w.dir > 0 {
		r.after, r.hasAfter = rng.lo-1, rng.loSet
		r.end, r.hasEnd = rng.hi, rng.hiSet
	} else {
		r.after, r.hasAfter = rng.hi+1, rng.hiSet
		r.end, r.hasEnd = rng.lo, rng.loSet
	}
	return []region{r}
}

// run walks the list, delivering rows to s; fail receives the error that
// ends a failed walk.
func (w *walk[T]) run(ctx context.Context, s Sink[T], fail func(error)) {
	w.start = time.Now()
	if w.offset {
		runOffset(ctx, w, s, fail)
		return
	}
	e := &engine[T]{w: w, workers: max(1, w.cfg.Shards), ordered: !w.cfg.Unordered}
	e.cut.w = w
	e.cut.register = e.register
	e.cut.pubTurn = make(chan struct{}, 1)
	e.cut.regions = w.initialRegions()
	err := e.walk(ctx, s)
	w.finishReport(ctx, e, err)
	if err != nil && !e.stopped {
		fail(err)
	}
}

func (w *walk[T]) finishReport(ctx context.Context, e *engine[T], err error) {
	rep := &w.rep
	rep.Rows, rep.UniqueIDs, rep.Duplicates = e.rows, e.rows, e.dups+e.outOf
	rep.MinID, rep.MaxID = e.minID, e.maxID
	rep.Requests, rep.Retries = w.requests.Load(), w.retries.Load()
	rep.Pages, rep.Dropped = w.pages.Load(), w.dropped.Load()
	rep.Elapsed = time.Since(w.start)
	e.regMu.Lock()
	rep.Shards = max(1, len(e.registry))
	e.regMu.Unlock()
	if !w.offset {
		c := e.cursor()
		rep.Cursor = &c
	}
	stopped := e.stopped || err != nil && ctx.Err() != nil
	rep.Finish(err, stopped)
	if w.cfg.Report != nil {
		*w.cfg.Report = *rep
	}
}

// rowsPerRequest is the most rows one request of the walk returns.
func (w *walk[T]) rowsPerRequest() int {
	switch {
	case w.chain:
		return v2PageSize * chainLen
	case w.c.V3():
		return w.limit
	}
	return v2PageSize
}

// probePages reads the walk's first page and the far end's first page.
func (w *walk[T]) probePages(ctx context.Context, sh *shard[T], rev region) (first, reverse [][]byte, err error) {
	if w.chain {
		return probeChain(ctx, w, sh, rev)
	}
	resp, err := w.call(ctx, w.q.pageParams(sh.after, sh.hasAfter, sh.end, sh.hasEnd, w.limit, false))
	if err != nil {
		return nil, nil, err
	}
	first, err = pageRows(resp.Result, w.q.fam.resultKey)
	if err != nil {
		return nil, nil, fmt.Errorf("b24: %s: %w", w.method, err)
	}
	if len(first) == 0 || !w.isFullPeek(len(first)) {
		return first, nil, nil
	}
	resp, err = w.call(ctx, w.q.pageParams(rev.after, rev.hasAfter, rev.end, rev.hasEnd, w.limit, true))
	if err != nil {
		return nil, nil, err
	}
	reverse, err = pageRows(resp.Result, w.q.fam.resultKey)
	if err != nil {
		return nil, nil, fmt.Errorf("b24: %s: %w", w.method, err)
	}
	return first, reverse, nil
}

// isFullPeek is isFull without recording the page size.
func (w *walk[T]) isFullPeek(n int) bool {
	if !w.c.V3() {
		return n >= v2PageSize
	}
	return n > 0 && int64(n) >= w.maxPage.Load()
}

// shard is a range of ids walked by one worker at a time.
type shard[T any] struct {
	region
	from region // the range as cut, for coverage and cursors
	// fetch side (the worker)
	done    bool
	fetched int64 // rows accepted
	alone   bool  // a v3 batch carrying the shard's page failed: one page a request
	// delivery side (the consumer)
	pos       int64
	posSet    bool
	delivered bool
	out       chan *chunk[T] // the ordered mode's chunks of this shard
}

// chunk is the rows of one request of one shard.
type chunk[T any] struct {
	sh    *shard[T]
	rows  []T
	ids   []int64
	last  bool // the shard is complete after these rows
	err   error
	dups  int64
	outOf int64
}

// accept runs the checks of the keyset walk on one page of a shard: every
// id an integer, strictly beyond the one before (the cursor, then the
// previous row) and within the shard's range. It appends the accepted rows
// and advances the shard's cursor. A page that does not advance fails with
// ErrCursorStalled, a row out of id order with ErrRowsOutOfOrder (a portal
// that ignores the order: skipping such rows would lose the ones it hides).
func (w *walk[T]) accept(sh *shard[T], rows [][]byte, full bool, c *chunk[T], raw *[][]byte) error {
	idKey := w.q.fam.idKey
	before := sh.after
	hadAfter := sh.hasAfter
	accepted := 0
	var behind error
	for i, r := range rows {
		id, err := rowID(r, idKey)
		if err != nil {
			return fmt.Errorf("b24: %s: %w", w.method, err)
		}
		if sh.hasAfter && !w.beyond(id, sh.after) {
			if behind == nil {
				behind = fmt.Errorf("%w: %s returned id %d after id %d (row %d of a page of %d): the portal ignores the order or the filter on %q",
					ErrRowsOutOfOrder, w.method, id, sh.after, i+1, len(rows), w.q.fam.cursorKey)
			}
			c.dups++
			continue
		}
		if sh.hasEnd && w.beyond(id, sh.end) {
			c.outOf++
			continue
		}
		sh.after, sh.hasAfter = id, true
		sh.fetched++
		accepted++
		c.ids = append(c.ids, id)
		*raw = append(*raw, r)
	}
	if full && hadAfter && sh.after == before || full && !sh.hasAfter || behind != nil && accepted == 0 {
		return fmt.Errorf("%w: %s returned a page of %d rows whose ids do not go beyond %d (is %q the sort key?)",
			ErrCursorStalled, w.method, len(rows), before, w.q.fam.cursorKey)
	}
	if behind != nil {
		return behind
	}
	if !full || c.outOf > 0 || sh.hasEnd && sh.hasAfter && sh.after == sh.end {
		sh.done = true
	}
	return nil
}

// isFull applies the stop rules to a page of n rows: REST v2 pages are 50
// rows; a REST v3 page shorter than the largest seen is the last.
func (w *walk[T]) isFull(n int) bool {
	if n == 0 {
		return false
	}
	if !w.c.V3() {
		return n >= v2PageSize
	}
	for {
		m := w.maxPage.Load()
		if int64(n) <= m {
			return int64(n) == m
		}
		if w.maxPage.CompareAndSwap(m, int64(n)) {
			return true
		}
	}
}

// decode decodes the accepted rows into Ts (rowdecode: one pass a row, the
// results and errors of json.Unmarshal).
func (w *walk[T]) decode(raw [][]byte, c *chunk[T]) error {
	c.rows = make([]T, len(raw))
	ch, ok := w.c.(Checked)
	if i, err := rowdecode.For[T]().Rows(raw, c.rows, ok && ch.ResultsChecked()); err != nil {
		return fmt.Errorf("b24: %s: decoding row %d into %T: %w", w.method, c.ids[i], c.rows[i], err)
	}
	return nil
}

// step reads the next request's rows of a shard: one page, or a chain of
// up to n pages.
func (w *walk[T]) step(ctx context.Context, sh *shard[T], n int) (*chunk[T], error) {
	if w.chain {
		return stepChain(ctx, w, sh, n)
	}
	c := &chunk[T]{sh: sh}
	result, err := readPage(ctx, w, sh, w.q.pageParams(sh.after, sh.hasAfter, sh.end, sh.hasEnd, w.limit, false))
	if err != nil {
		return nil, err
	}
	rows, err := pageRows(result, w.q.fam.resultKey)
	if err != nil {
		return nil, fmt.Errorf("b24: %s: %w", w.method, err)
	}
	w.pages.Add(1)
	var raw [][]byte
	if err := w.accept(sh, rows, w.isFull(len(rows)), c, &raw); err != nil {
		return nil, err
	}
	if err := w.decode(raw, c); err != nil {
		return nil, err
	}
	c.last = sh.done
	return c, nil
}

// pageRows returns the rows of a list result: the result itself, or its
// member key.
func pageRows(result []byte, key string) ([][]byte, error) {
	return appendPageRows(nil, result, key)
}

// appendPageRows is pageRows appending to rows (a slice reused page after
// page; an empty page appends nothing).
func appendPageRows(rows [][]byte, result []byte, key string) ([][]byte, error) {
	r := bytes.TrimSpace(result)
	if len(r) == 0 || string(r) == "null" {
		return rows, nil
	}
	if key != "" {
		if r[0] == '[' { // PHP's empty array: no rows
			if empty, err := jsonscan.Elements(r); err == nil && len(empty) == 0 {
				return rows, nil
			}
			return nil, fmt.Errorf("the result is a list, not an object with %q", key)
		}
		v, ok, err := jsonscan.Field(r, key)
		if err != nil {
			return nil, fmt.Errorf("reading the result: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("the result has no %q", key)
		}
		r = v
		if string(r) == "null" {
			return rows, nil
		}
	}
	if r[0] != '[' && r[0] != '{' {
		return nil, fmt.Errorf("the rows are not a list")
	}
	n := len(rows)
	rows, err := jsonscan.AppendElements(rows, r)
	if err != nil {
		return rows[:n], fmt.Errorf("reading the rows: %w", err)
	}
	return rows, nil
}

// answerRows is appendPageRows for a batch command's answer: a list the
// batch split as it read the answer (Spans) gives its rows without being
// passed again.
func answerRows(rows [][]byte, a *Answer, key string) ([][]byte, error) {
	if key != "" || a.Spans == nil || len(a.Result) == 0 || a.Result[0] != '[' || len(a.Spans)%2 != 0 {
		return appendPageRows(rows, a.Result, key)
	}
	n := len(rows)
	for i := 0; i < len(a.Spans); i += 2 {
		s, e := a.Spans[i], a.Spans[i+1]
		if s >= e || uint64(e) > uint64(len(a.Result)) {
			return appendPageRows(rows[:n], a.Result, key) // not spans of this result
		}
		rows = append(rows, a.Result[s:e:e])
	}
	return rows, nil
}

// rowID reads the integer id of a row: a JSON number or a numeric string.
func rowID(row []byte, key string) (int64, error) {
	v, ok, err := jsonscan.Field(row, key)
	if err != nil {
		return 0, fmt.Errorf("%w: the row is not an object", ErrNonNumericID)
	}
	if !ok {
		return 0, fmt.Errorf("%w: the row has no %q", ErrNonNumericID, key)
	}
	s := v
	if len(s) > 0 && s[0] == '"' {
		// REST v2 sends ids as strings ("ID":"42"): read a plain one in
		// place, and decode only one with escapes.
		if len(s) >= 2 && s[len(s)-1] == '"' && bytes.IndexByte(s, '\\') < 0 {
			s = s[1 : len(s)-1]
		} else {
			var str string
			if json.Unmarshal(s, &str) != nil {
				return 0, fmt.Errorf("%w: %s=%s", ErrNonNumericID, key, v)
			}
			s = []byte(str)
		}
	}
	if n, err := strconv.ParseInt(string(s), 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(string(s), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), nil
	}
	if len(v) > 40 {
		v = append(v[:40:40], "..."...)
	}
	return 0, fmt.Errorf("%w: %s=%s", ErrNonNumericID, key, v)
}
