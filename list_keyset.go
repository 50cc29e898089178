package b24

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
)

// v2PageSize is the fixed page size of REST v2 lists.
const v2PageSize = 50

// defaultV3PageSize is the REST v3 pagination.limit a walk asks for.
const defaultV3PageSize = 1000

// walk is one list walk: its query, its mode and its counters.
type walk[T any] struct {
	api    *API
	method string
	cfg    listConfig
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
	v3b      *v3Batcher // sharded v3 walks: pages of several shards share a batch

	rep   ListReport
	start time.Time
}

func newWalk[T any](api *API, method string, params any, cfg listConfig) (*walk[T], error) {
	if api == nil {
		return nil, fmt.Errorf("b24: %s: nil API", method)
	}
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	fam := cfg.family(api.version, method)
	q, err := newListQuery(api.version, method, params, fam, &cfg)
	if err != nil {
		return nil, err
	}
	w := &walk[T]{api: api, method: method, cfg: cfg, q: q, dir: 1, limit: v2PageSize}
	if q.desc {
		w.dir = -1
	}
	if api.version == APIv3 {
		w.limit = defaultV3PageSize
		if cfg.pageSize > 0 {
			w.limit = min(cfg.pageSize, 1000)
		}
	}
	switch {
	case cfg.offset || q.otherOrder != nil:
		w.offset, w.mode = true, "offset"
		if q.otherOrder != nil && !cfg.offset {
			api.h.Logger().LogAttrs(context.Background(), slog.LevelWarn,
				"b24 list ordered by a field other than the id: paging by offset (slower, and rows can shift while the list changes)",
				slog.String("method", method))
		}
	case api.version == APIv3:
		w.mode = "v3"
		if cfg.shards > 1 && !cfg.noBatch {
			w.v3b = &v3Batcher{}
		}
	case !cfg.noBatch && q.queryable(method, api.h): // REST v2 walks chain batches unless WithBatch(false)
		w.chain, w.mode = true, "chain"
	default:
		w.mode = "keyset"
	}
	if cfg.resume != nil {
		c := cfg.resume
		if c.Version != 1 || c.Query != q.sum || c.Desc != q.desc {
			return nil, fmt.Errorf("%w (%s)", ErrCursorMismatch, method)
		}
		if w.offset {
			return nil, fmt.Errorf("b24: %s: an offset walk cannot be resumed", method)
		}
	}
	w.rep = ListReport{Method: method, Mode: w.mode, Shards: 1}
	return w, nil
}

// beyond reports whether id a comes after id b in walk order.
func (w *walk[T]) beyond(a, b int64) bool { return w.dir*(a-b) > 0 }

// call sends one request of the walk, counting it.
func (w *walk[T]) call(ctx context.Context, params any) (*Response, error) {
	resp, err := w.api.Call(ctx, w.method, params, w.cfg.callOpts...)
	n := int64(1)
	if resp != nil && resp.Attempts > 0 {
		n = int64(resp.Attempts)
	}
	w.requests.Add(n)
	w.retries.Add(n - 1)
	return resp, err
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
	if w.api.version != APIv3 {
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

// decode decodes the accepted rows into Ts.
func (w *walk[T]) decode(raw [][]byte, c *chunk[T]) error {
	c.rows = make([]T, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &c.rows[i]); err != nil {
			return fmt.Errorf("b24: %s: decoding row %d into %T: %w", w.method, c.ids[i], c.rows[i], err)
		}
	}
	return nil
}

// step reads the next request's rows of a shard: one page, or a chain of
// up to n pages.
func (w *walk[T]) step(ctx context.Context, sh *shard[T], n int) (*chunk[T], error) {
	if w.chain {
		return w.stepChain(ctx, sh, n)
	}
	c := &chunk[T]{sh: sh}
	result, err := w.page(ctx, sh, w.q.pageParams(sh.after, sh.hasAfter, sh.end, sh.hasEnd, w.limit, false))
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
	r := bytes.TrimSpace(result)
	if len(r) == 0 || string(r) == "null" {
		return nil, nil
	}
	if key != "" {
		if r[0] == '[' { // PHP's empty array: no rows
			rows, err := jsonscan.Elements(r)
			if err == nil && len(rows) == 0 {
				return nil, nil
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
			return nil, nil
		}
	}
	if r[0] != '[' && r[0] != '{' {
		return nil, fmt.Errorf("the rows are not a list")
	}
	rows, err := jsonscan.Elements(r)
	if err != nil {
		return nil, fmt.Errorf("reading the rows: %w", err)
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
