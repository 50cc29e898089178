package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"time"

	"github.com/b24go/b24/internal/jsonscan"
)

// REST 3.0 lists. FetchList and CallList walk a v3 *.list method by id
// (pagination.limit up to 1000, the id-cursor filter ["id", ">", last]);
// the functions here use the portal's own keyset, the *.tail methods, and
// the experimental *.aggregate.

// CallTail returns every row of a REST 3.0 *.tail method (for example
// tasks.task.tail, main.eventlog.tail), decoded into T. See FetchTail.
func CallTail[T any](ctx context.Context, api *API, method string, params any, opts ...ListOption) ([]T, error) {
	var rows []T
	for row, err := range FetchTail[T](ctx, api, method, params, opts...) {
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// FetchTail streams every row of a REST 3.0 *.tail method: the portal's
// native keyset, cursor {field, order, value, limit}. The cursor field is
// "id" unless WithCursorIDKey names another (it need not be numeric: the
// next value is the last row's, as sent); WithDescending walks down, and
// then needs WithTailStart (the portal pages by field < value); WithPageSize
// sets the limit (default 1000). The cursor field is added to select when
// missing, and must not appear in the filter (the portal refuses it). A page
// shorter than the largest seen ends the walk; a page whose last value does
// not move the cursor fails it with ErrCursorStalled, a numeric cursor field
// out of order with ErrRowsOutOfOrder (before the page's rows are yielded).
//
// WithReport reports the walk (Mode "tail"); shards, resumption and offset
// paging do not apply.
func FetchTail[T any](ctx context.Context, api *API, method string, params any, opts ...ListOption) iter.Seq2[T, error] {
	cfg, cfgErr := newListConfig(opts)
	return func(yield func(T, error) bool) {
		var zero T
		if cfgErr != nil {
			yield(zero, badListConfig(method, cfg, cfgErr))
			return
		}
		start := time.Now()
		rep := ListReport{Method: method, Mode: "tail", Shards: 1}
		t, err := newTail(api, method, params, &cfg)
		stopped := false
		if err == nil {
			t.rep = &rep
			stopped, err = runTail(ctx, t, func(v T) bool { return yield(v, nil) })
		}
		rep.Elapsed = time.Since(start)
		rep.UniqueIDs = rep.Rows - rep.Duplicates
		rep.finish(err, stopped)
		if cfg.report != nil {
			*cfg.report = rep
		}
		if err != nil && !stopped || err != nil && ctx.Err() != nil {
			yield(zero, err)
		}
	}
}

// runTail walks t page by page, yielding each row; it returns whether the
// caller stopped the walk (a break, or a cancelled context) and why it failed.
func runTail[T any](ctx context.Context, t *tail, yield func(T) bool) (stopped bool, err error) {
	for {
		rows, next, err := t.fetch(ctx)
		if err != nil || len(rows) == 0 {
			return err != nil && ctx.Err() != nil, err
		}
		for _, r := range rows {
			var v T
			if err := json.Unmarshal(r, &v); err != nil {
				return false, fmt.Errorf("b24: %s: decoding a row into %T: %w", t.method, v, err)
			}
			t.count(r)
			if !yield(v) {
				return true, nil
			}
		}
		if f := t.cfg.progress; f != nil {
			f(ListProgress{Rows: t.rep.Rows, Requests: t.rep.Requests, Covered: -1})
		}
		if len(rows) < t.largest {
			return false, nil
		}
		t.value = append(t.value[:0], next...)
	}
}

// fetch reads the next page: its rows (none at the end) and the last row's
// cursor value, checked to move the cursor and, numeric, to be in order.
func (t *tail) fetch(ctx context.Context) (rows [][]byte, next []byte, err error) {
	resp, err := t.api.Call(ctx, t.method, t.params(), t.cfg.callOpts...)
	n := int64(1)
	if resp != nil && resp.Attempts > 0 {
		n = int64(resp.Attempts)
	}
	t.rep.Requests += n
	t.rep.Retries += n - 1
	if err != nil {
		return nil, nil, err
	}
	if rows, err = pageRows(resp.Result, t.resultKey); err != nil {
		return nil, nil, fmt.Errorf("b24: %s: %w", t.method, err)
	}
	t.rep.Pages++
	if len(rows) == 0 {
		return nil, nil, nil
	}
	t.largest = max(t.largest, len(rows))
	next, ok, err := jsonscan.Field(rows[len(rows)-1], t.field)
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("b24: %s: the last row has no cursor field %q", t.method, t.field)
	}
	if bytes.Equal(next, t.value) {
		return nil, nil, fmt.Errorf("%w: %s returned a page whose last %s is the cursor %s", ErrCursorStalled, t.method, t.field, next)
	}
	prev, hasPrev := t.lastID, t.hasID
	for i, r := range rows {
		if id, err := rowID(r, t.field); err == nil {
			if hasPrev && (t.desc && id >= prev || !t.desc && id <= prev) {
				return nil, nil, fmt.Errorf("%w: %s returned %s %d after %d (row %d of a page of %d): the portal ignores the cursor's order",
					ErrRowsOutOfOrder, t.method, t.field, id, prev, i+1, len(rows))
			}
			prev, hasPrev = id, true
		}
	}
	return rows, next, nil
}

// count adds a delivered row to the report.
func (t *tail) count(row []byte) {
	if id, err := rowID(row, t.field); err == nil {
		if !t.hasID || id < t.rep.MinID {
			t.rep.MinID = id
		}
		if !t.hasID || id > t.rep.MaxID {
			t.rep.MaxID = id
		}
		t.lastID, t.hasID = id, true
	}
	t.rep.Rows++
}

// tail is the state of a *.tail walk.
type tail struct {
	api       *API
	method    string
	cfg       *listConfig
	rep       *ListReport
	largest   int   // the longest page seen
	lastID    int64 // the last numeric cursor value delivered
	hasID     bool
	base      map[string]any
	field     string
	resultKey string
	desc      bool
	limit     int
	value     json.RawMessage
}

func newTail(api *API, method string, params any, cfg *listConfig) (*tail, error) {
	if api == nil || api.version != APIv3 {
		return nil, fmt.Errorf("b24: %s: *.tail methods are REST 3.0: call FetchTail with h.V3()", method)
	}
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	m, err := paramsMap(method, params)
	if err != nil {
		return nil, err
	}
	t := &tail{api: api, method: method, cfg: cfg, base: m, field: "id", resultKey: "items", desc: cfg.desc, limit: defaultV3PageSize}
	if cfg.cursorSet {
		t.field = cfg.cursorKey
	} else if cfg.idKeySet {
		t.field = cfg.idKey
	}
	if cfg.resSet {
		t.resultKey = cfg.resultKey
	}
	if cfg.pageSize > 0 {
		t.limit = min(cfg.pageSize, 1000)
	}
	takeKey(m, "cursor")
	takeKey(m, "pagination")
	takeKey(m, "order")
	if cfg.tailStartSet {
		b, err := json.Marshal(cfg.tailStart)
		if err != nil {
			return nil, fmt.Errorf("b24: %s: tail start: %w", method, err)
		}
		t.value = b
	} else if t.desc {
		return nil, fmt.Errorf("b24: %s: a descending tail needs WithTailStart: the portal pages by %s < value", method, t.field)
	} else {
		t.value = json.RawMessage("0")
	}
	if _, fv, ok := takeKey(m, "filter"); ok {
		if list, isList := fv.([]any); isList {
			for _, c := range list {
				if cond, ok := c.([]any); ok && len(cond) > 0 {
					if f, _ := cond[0].(string); strings.EqualFold(f, t.field) {
						api.h.Logger().LogAttrs(context.Background(), slog.LevelWarn,
							"b24 tail: the cursor field is in the filter; the portal refuses that",
							slog.String("method", method), slog.String("field", t.field))
					}
				}
			}
		}
		m["filter"] = fv
	}
	addToSelect(m, family{idKey: t.field, cursorKey: t.field})
	return t, nil
}

func (t *tail) params() map[string]any {
	p := make(map[string]any, len(t.base)+1)
	for k, v := range t.base {
		p[k] = v
	}
	order := "ASC"
	if t.desc {
		order = "DESC"
	}
	p["cursor"] = map[string]any{"field": t.field, "order": order, "value": t.value, "limit": t.limit}
	return p
}

// aggregateFuncs are the functions a REST 3.0 *.aggregate method computes.
var aggregateFuncs = map[string]bool{"sum": true, "avg": true, "min": true, "max": true, "count": true, "countDistinct": true}

// Aggregate calls a REST 3.0 *.aggregate method (for example
// tasks.task.aggregate): funcs maps a function (sum, avg, min, max, count,
// countDistinct) to the fields it applies to, filter is a REST 3.0 filter
// (a list of conditions) or nil. It returns function → field → value, read
// from result.result or, failing that, from result.
//
// Experimental: the answer's shape has not been checked against a real
// portal and may change.
func Aggregate(ctx context.Context, api *API, method string, funcs map[string][]string, filter any, opts ...CallOption) (map[string]map[string]json.Number, error) {
	if api == nil || api.version != APIv3 {
		return nil, fmt.Errorf("b24: %s: *.aggregate methods are REST 3.0: call Aggregate with h.V3()", method)
	}
	sel := map[string]any{}
	for fn, fields := range funcs {
		if !aggregateFuncs[fn] {
			return nil, fmt.Errorf("b24: %s: unknown aggregate function %q (sum, avg, min, max, count, countDistinct)", method, fn)
		}
		if len(fields) == 0 {
			return nil, fmt.Errorf("b24: %s: aggregate function %q has no field", method, fn)
		}
		sel[fn] = fields
	}
	params := map[string]any{"select": sel}
	if filter != nil {
		params["filter"] = filter
	}
	resp, err := api.Call(ctx, method, params, opts...)
	if err != nil {
		return nil, err
	}
	var outer struct {
		Result json.RawMessage `json:"result"`
	}
	raw := []byte(resp.Result)
	if json.Unmarshal(resp.Result, &outer) == nil && len(outer.Result) > 0 && outer.Result[0] == '{' {
		raw = outer.Result
	}
	out := map[string]map[string]json.Number{}
	var generic map[string]map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&generic); err != nil {
		return nil, fmt.Errorf("b24: %s: reading the aggregates: %w", method, err)
	}
	for fn, fields := range generic {
		out[fn] = map[string]json.Number{}
		for f, v := range fields {
			switch x := v.(type) {
			case json.Number:
				out[fn][f] = x
			case string:
				out[fn][f] = json.Number(x)
			case nil:
			default:
				return nil, fmt.Errorf("b24: %s: aggregate %s.%s is %T, not a number", method, fn, f, v)
			}
		}
	}
	return out, nil
}
