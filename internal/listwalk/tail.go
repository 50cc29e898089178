package listwalk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/b24go/b24/internal/jsonscan"
)

// Tail walks a REST 3.0 *.tail method with the portal's own keyset (cursor
// {field, order, value, limit}), yielding each row decoded into T. It fills
// cfg.Report (Mode "tail") and returns whether the caller stopped the walk
// and why it failed.
func Tail[T any](ctx context.Context, c Caller, method string, params json.RawMessage, cfg Config, yield func(T) bool) (stopped bool, err error) {
	start := time.Now()
	rep := Report{Method: method, Mode: "tail", Shards: 1}
	t, err := newTail(c, method, params, &cfg)
	if err == nil {
		t.rep = &rep
		stopped, err = runTail(ctx, t, yield)
	}
	rep.Elapsed = time.Since(start)
	rep.UniqueIDs = rep.Rows - rep.Duplicates
	rep.Finish(err, stopped)
	if cfg.Report != nil {
		*cfg.Report = rep
	}
	return stopped, err
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
		if f := t.cfg.Progress; f != nil {
			f(Progress{Rows: t.rep.Rows, Requests: t.rep.Requests, Covered: -1})
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
	resp, err := t.c.Call(ctx, t.method, t.params())
	n := int64(max(resp.Requests, 1))
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
	c         Caller
	method    string
	cfg       *Config
	rep       *Report
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

func newTail(c Caller, method string, params json.RawMessage, cfg *Config) (*tail, error) {
	if !c.V3() {
		return nil, fmt.Errorf("b24: %s: *.tail methods are REST 3.0: call FetchTail with h.V3()", method)
	}
	m, err := paramsMap(method, params)
	if err != nil {
		return nil, err
	}
	t := &tail{c: c, method: method, cfg: cfg, base: m, field: "id", resultKey: "items", desc: cfg.Desc, limit: defaultV3PageSize}
	if cfg.CursorSet {
		t.field = cfg.CursorKey
	} else if cfg.IDKeySet {
		t.field = cfg.IDKey
	}
	if cfg.ResultSet {
		t.resultKey = cfg.ResultKey
	}
	if cfg.PageSize > 0 {
		t.limit = min(cfg.PageSize, 1000)
	}
	takeKey(m, "cursor")
	takeKey(m, "pagination")
	takeKey(m, "order")
	if cfg.TailStartSet {
		b, err := json.Marshal(cfg.TailStart)
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
			for _, e := range list {
				if cond, ok := e.([]any); ok && len(cond) > 0 {
					if f, _ := cond[0].(string); strings.EqualFold(f, t.field) {
						c.Logger().LogAttrs(context.Background(), slog.LevelWarn,
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
