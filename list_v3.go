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
		done := func(err error, stopped bool) {
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
		t, err := newTail(api, method, params, &cfg)
		if err != nil {
			done(err, false)
			return
		}
		var largest int
		var lastID int64
		hasID := false
		for {
			p := t.params()
			resp, err := api.Call(ctx, method, p, cfg.callOpts...)
			n := int64(1)
			if resp != nil && resp.Attempts > 0 {
				n = int64(resp.Attempts)
			}
			rep.Requests += n
			rep.Retries += n - 1
			if err != nil {
				done(err, ctx.Err() != nil)
				return
			}
			rows, err := pageRows(resp.Result, t.resultKey)
			if err != nil {
				done(fmt.Errorf("b24: %s: %w", method, err), false)
				return
			}
			rep.Pages++
			if len(rows) == 0 {
				done(nil, false)
				return
			}
			largest = max(largest, len(rows))
			next, ok, err := jsonscan.Field(rows[len(rows)-1], t.field)
			if err != nil || !ok {
				done(fmt.Errorf("b24: %s: the last row has no cursor field %q", method, t.field), false)
				return
			}
			if bytes.Equal(next, t.value) {
				done(fmt.Errorf("%w: %s returned a page whose last %s is the cursor %s", ErrCursorStalled, method, t.field, next), false)
				return
			}
			prev, hasPrev := lastID, hasID
			for i, r := range rows {
				if id, err := rowID(r, t.field); err == nil {
					if hasPrev && (t.desc && id >= prev || !t.desc && id <= prev) {
						done(fmt.Errorf("%w: %s returned %s %d after %d (row %d of a page of %d): the portal ignores the cursor's order",
							ErrRowsOutOfOrder, method, t.field, id, prev, i+1, len(rows)), false)
						return
					}
					prev, hasPrev = id, true
				}
			}
			for _, r := range rows {
				var v T
				if err := json.Unmarshal(r, &v); err != nil {
					done(fmt.Errorf("b24: %s: decoding a row into %T: %w", method, v, err), false)
					return
				}
				if id, err := rowID(r, t.field); err == nil {
					if !hasID || id < rep.MinID {
						rep.MinID = id
					}
					if !hasID || id > rep.MaxID {
						rep.MaxID = id
					}
					lastID, hasID = id, true
				}
				rep.Rows++
				if !yield(v, nil) {
					done(nil, true)
					return
				}
			}
			if f := cfg.progress; f != nil {
				f(ListProgress{Rows: rep.Rows, Requests: rep.Requests, Covered: -1})
			}
			if len(rows) < largest {
				done(nil, false)
				return
			}
			t.value = append(t.value[:0], next...)
		}
	}
}

// tail is the state of a *.tail walk.
type tail struct {
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
	t := &tail{base: m, field: "id", resultKey: "items", desc: cfg.desc, limit: defaultV3PageSize}
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
