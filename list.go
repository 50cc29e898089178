package b24

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"iter"
	"time"

	"github.com/b24go/b24/internal/listwalk"
)

// Lists: reading every row of a list method.
//
// CallList returns all rows; FetchList streams them one by one and
// FetchListPages one request's worth at a time. All three walk the list by
// id (the portal's "huge data" technique): rows ordered by the id field,
// each request filtering on the last id seen (">ID" ascending, "<ID"
// descending) with start=-1, so the portal never counts rows and every
// request costs the same whatever the depth. On REST v2 the walk chains 50
// list commands in one batch (up to 2,500 rows a request) when the Batch API
// is available, and WithConcurrency splits the id range into shards walked
// concurrently under the hook's limiter.
//
// Every walk ends with a ListReport (WithReport): rows, unique ids, the
// smallest and largest id, requests, retries, and how it ended.

// The errors a list walk ends with.
var (
	// ErrCursorStalled is returned when a list walk's cursor does not advance:
	// the portal answered a page whose last id is not beyond the one before (a
	// method that ignores the id filter, or an id field that is not the sort
	// key). The walk stops instead of fetching the same page forever.
	ErrCursorStalled = listwalk.ErrCursorStalled

	// ErrNonNumericID is returned when a row's id field is missing or is not an
	// integer: the keyset walk needs numeric ids. Set the id field with
	// WithIDKey, or walk by offset with WithOffsetPaging.
	ErrNonNumericID = listwalk.ErrNonNumericID

	// ErrRowsOutOfOrder is returned when a keyset walk (or a tail) gets a row
	// whose id is not beyond the one before it: the portal ignored the order by
	// id, and going on would skip rows. The walk stops; nothing is dropped.
	ErrRowsOutOfOrder = listwalk.ErrRowsOutOfOrder

	// ErrPageRepeated is returned when an offset walk gets a page holding only
	// rows it already read (a portal that ignores start or the v3 offset): the
	// walk stops instead of paging the same rows forever.
	ErrPageRepeated = listwalk.ErrPageRepeated

	// ErrListChanged ends an offset walk that read to the end while the list
	// changed under it (rows repeated by a shift, or total changed): rows
	// shifted by a deletion may be missing. The report's End is ListIncomplete.
	ErrListChanged = listwalk.ErrListChanged

	// ErrCursorMismatch is returned when WithResume is given a cursor saved by a
	// walk of another method, other parameters or the other direction.
	ErrCursorMismatch = listwalk.ErrCursorMismatch
)

// CallList returns every row of a list method, decoded into T (a struct, or
// map[string]any). It is FetchList collected into a slice: prefer FetchList
// for large lists, whose rows need not all be in memory at once.
//
// On failure CallList returns the rows read before it with the error; an
// offset walk over a list that changed returns every row read with
// ErrListChanged.
func CallList[T any](ctx context.Context, api *API, method string, params any, opts ...ListOption) ([]T, error) {
	var rows []T
	for page, err := range FetchListPages[T](ctx, api, method, params, opts...) {
		if err != nil {
			return rows, err
		}
		rows = append(rows, page...)
	}
	return rows, nil
}

// FetchList streams every row of a list method, decoded into T (a struct,
// or map[string]any), in id order:
//
//	for deal, err := range b24.FetchList[Deal](ctx, h.V2(), "crm.deal.list", params) {
//		if err != nil {
//			return err
//		}
//		...
//	}
//
// The walk is the keyset walk described at the top of this file. params are
// the method's own (a map or a struct): the caller's filter is kept, and a
// bound of its own on the id field is combined with the walk's cursor, not
// overwritten; the id field is added to select when missing; start is
// ignored. An order on the id field alone sets the direction; an order on
// any other field makes the walk fall back to offset paging (logged as a
// warning), since only the id can serve as a cursor.
//
// The id field and where the rows are are known for crm.*.list (rows in
// result, "ID"), crm.item.list (result.items, "id"), tasks.task.list
// (result.tasks; "id" in rows, "ID" in the filter), user.get, crm.type.list,
// crm.category.list, catalog.*.list and every REST v3 list (result.items,
// "id"); set them for other methods with WithIDKey, WithCursorIDKey and
// WithResultKey.
//
// On REST v2 a page of fewer than 50 rows ends the walk; on REST v3, which
// may cap the page size it was asked for, a page shorter than the largest
// seen does. A row without an integer id fails the walk with
// ErrNonNumericID; a page that does not move the cursor fails it with
// ErrCursorStalled, so a walk never loops; a row whose id is not beyond the
// one before it (a portal that ignores the order) fails it with
// ErrRowsOutOfOrder before the page is delivered, so no row is skipped.
//
// Breaking out of the loop (or cancelling ctx) stops every request of the
// walk before FetchList returns: no goroutine is left behind. Memory stays
// flat whatever the number of rows: only the rows of the requests in flight
// and a bounded window of shards are held. An error is yielded once, as the
// last value.
//
// Each row is decoded in one pass, with json.Unmarshal's results and
// errors. A json.RawMessage row is not copied: it shares the buffer of the
// answer it came in (never reused or written by the SDK; its capacity is
// its length, so appending to it copies it), and holding one row keeps that
// answer's bytes alive. The string fields of a struct row share blocks of
// 4 KiB with the rows decoded before and after it: holding one string
// keeps its block alive (strings.Clone it to keep it alone).
func FetchList[T any](ctx context.Context, api *API, method string, params any, opts ...ListOption) iter.Seq2[T, error] {
	cfg, err := newListConfig(opts)
	return func(yield func(T, error) bool) {
		if err != nil {
			var zero T
			yield(zero, badListConfig(method, cfg, err))
			return
		}
		runList(ctx, api, method, params, cfg, func(rows []T) (int, bool) {
			for i, row := range rows {
				if !yield(row, nil) {
					return i + 1, false
				}
			}
			return len(rows), true
		}, func(err error) {
			var zero T
			yield(zero, err)
		})
	}
}

// FetchListPages is FetchList one request at a time: each value holds the
// rows of one request (a page of 50 on REST v2 without batches, up to 2,500
// with chained batches, up to the page size on REST v3). The slice is the
// caller's to keep.
func FetchListPages[T any](ctx context.Context, api *API, method string, params any, opts ...ListOption) iter.Seq2[[]T, error] {
	cfg, err := newListConfig(opts)
	return func(yield func([]T, error) bool) {
		if err != nil {
			yield(nil, badListConfig(method, cfg, err))
			return
		}
		runList(ctx, api, method, params, cfg, func(rows []T) (int, bool) {
			return len(rows), yield(rows, nil)
		}, func(err error) { yield(nil, err) })
	}
}

func runList[T any](ctx context.Context, api *API, method string, params any, cfg listConfig, s listwalk.Sink[T], fail func(error)) {
	body, err := checkList(api, method, params)
	if err != nil {
		fail(badListConfig(method, cfg, err))
		return
	}
	cfg.bind()
	listwalk.Run(ctx, listCaller{api, cfg.callOpts}, method, body, cfg.walk, s, func(err error) {
		cfg.finish()
		fail(err)
	})
	cfg.finish()
}

// checkList refuses a walk without an API or with a method that could
// alter the URL, and encodes params as JSON for the engine.
func checkList(api *API, method string, params any) (json.RawMessage, error) {
	if api == nil {
		return nil, fmt.Errorf("b24: %s: nil API", method)
	}
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	return encodeParams(method, params)
}

// ListEnd tells how a list walk ended.
type ListEnd int

const (
	// ListRunning: the walk has not ended yet.
	ListRunning ListEnd = iota
	// ListComplete: every row was read.
	ListComplete
	// ListStopped: the caller stopped the walk (a break out of the loop, or
	// a cancelled context); Cursor resumes it.
	ListStopped
	// ListFailed: a request or a row failed; Err says why and Cursor resumes
	// the walk after the last row delivered.
	ListFailed
	// ListIncomplete: an offset walk read to the end, but the list changed
	// during it (Err wraps ErrListChanged): rows may be missing.
	ListIncomplete
)

func (e ListEnd) String() string {
	switch e {
	case ListRunning:
		return "running"
	case ListComplete:
		return "complete"
	case ListStopped:
		return "stopped"
	case ListFailed:
		return "failed"
	case ListIncomplete:
		return "incomplete"
	}
	return "unknown"
}

// ListReport is the completeness report of a list walk.
type ListReport struct {
	Method string
	// Mode is how the walk read the list: "keyset" (one page a request),
	// "chain" (chained batches), "offset", "v3" or "tail".
	Mode string
	// Rows is the number of rows delivered; UniqueIDs the number of distinct
	// ids among them; Duplicates the rows read again and not delivered (an
	// offset walk's rows shifted by a change of the list; a keyset walk's
	// rows beyond their shard's end).
	Rows, UniqueIDs, Duplicates int64
	// MinID and MaxID are the smallest and largest id delivered (0 when none).
	MinID, MaxID int64
	// Requests is the number of HTTP requests sent (retries and refusals
	// included); Retries the requests that repeated an earlier one; Pages the
	// list pages read; Dropped the chained commands discarded after the
	// first short page of a batch.
	Requests, Retries, Pages, Dropped int64
	// Shards is the number of shards walked (1 for a sequential walk).
	Shards int
	// FirstTotal and LastTotal are the v2 total of an offset walk's first
	// and last page (0 when not sent): different when the list changed.
	FirstTotal, LastTotal int64
	// End tells how the walk ended, Err why it failed.
	End ListEnd
	Err error
	// Elapsed is the walk's duration.
	Elapsed time.Duration
	// Cursor resumes the walk after the last row delivered (WithResume); nil
	// when the walk completed or cannot be resumed (offset paging).
	Cursor *ListCursor
}

// ListProgress is reported after every request's rows are delivered.
type ListProgress struct {
	Rows     int64 // rows delivered so far
	Requests int64 // HTTP requests sent so far
	// Covered is the share of the id range already walked, 0 to 1; -1 while
	// unknown (a sequential walk, which has not probed the range's end).
	Covered float64
	// Cursor resumes the walk after the rows delivered so far. It is nil for
	// offset paging.
	Cursor *ListCursor
}

// ListCursor is the resumable position of a list walk: the id ranges it has
// not yet delivered. It is plain data: persist it with json.Marshal (or
// String), load it with json.Unmarshal (or ParseListCursor), and pass it to
// WithResume to continue a walk after a crash or a deliberate stop. It holds
// no secret: only a fingerprint of the method and parameters.
type ListCursor struct {
	Version int    `json:"v"`
	Query   string `json:"q"` // fingerprint of the API version, method and parameters
	Desc    bool   `json:"desc,omitempty"`
	// Ranges are the id ranges left to read, in walk order.
	Ranges []CursorRange `json:"r"`
}

// CursorRange is a range of ids still to read.
type CursorRange struct {
	// After is the exclusive start of the range (ascending: ids above it;
	// descending: ids below it); nil means the range starts at the
	// beginning.
	After *int64 `json:"a,omitempty"`
	// End is the inclusive far end; nil means the range is open (rows added
	// during the walk with a larger id, ascending, are read too).
	End *int64 `json:"e,omitempty"`
}

// String returns the cursor as a compact token (base64 of its JSON).
func (c ListCursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseListCursor reads a token written by ListCursor.String.
func ParseListCursor(s string) (ListCursor, error) {
	var c ListCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, fmt.Errorf("b24: list cursor: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("b24: list cursor: %w", err)
	}
	if c.Version != 1 {
		return c, fmt.Errorf("b24: list cursor: unknown version %d", c.Version)
	}
	return c, nil
}

// Done reports whether the cursor has nothing left to read.
func (c ListCursor) Done() bool { return len(c.Ranges) == 0 }

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
		body, err := checkList(api, method, params)
		if err != nil {
			yield(zero, badListConfig(method, cfg, err))
			return
		}
		cfg.bind()
		stopped, err := listwalk.Tail(ctx, listCaller{api, cfg.callOpts}, method, body, cfg.walk, func(v T) bool { return yield(v, nil) })
		cfg.finish()
		if err != nil && !stopped || err != nil && ctx.Err() != nil {
			yield(zero, err)
		}
	}
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
