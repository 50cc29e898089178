package b24

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
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

// ErrCursorStalled is returned when a list walk's cursor does not advance:
// the portal answered a page whose last id is not beyond the one before (a
// method that ignores the id filter, or an id field that is not the sort
// key). The walk stops instead of fetching the same page forever.
var ErrCursorStalled = errors.New("b24: list cursor did not advance")

// ErrNonNumericID is returned when a row's id field is missing or is not an
// integer: the keyset walk needs numeric ids. Set the id field with
// WithIDKey, or walk by offset with WithOffsetPaging.
var ErrNonNumericID = errors.New("b24: list row id is not an integer")

// ErrRowsOutOfOrder is returned when a keyset walk (or a tail) gets a row
// whose id is not beyond the one before it: the portal ignored the order by
// id, and going on would skip rows. The walk stops; nothing is dropped.
var ErrRowsOutOfOrder = errors.New("b24: list rows are not in id order")

// ErrPageRepeated is returned when an offset walk gets a page holding only
// rows it already read (a portal that ignores start or the v3 offset): the
// walk stops instead of paging the same rows forever.
var ErrPageRepeated = errors.New("b24: list page repeats rows already read")

// ErrListChanged ends an offset walk that read to the end while the list
// changed under it (rows repeated by a shift, or total changed): rows
// shifted by a deletion may be missing. The report's End is ListIncomplete.
var ErrListChanged = errors.New("b24: list changed during the offset walk")

// ErrCursorMismatch is returned when WithResume is given a cursor saved by a
// walk of another method, other parameters or the other direction.
var ErrCursorMismatch = errors.New("b24: list cursor belongs to another walk")

// ListOption configures a list walk (CallList, FetchList, FetchListPages,
// CallTail, FetchTail). A bad value fails the walk with an error wrapping
// ErrInvalidOption before anything is sent.
type ListOption interface{ applyList(*listConfig) error }

// listOpt is a ListOption.
type listOpt func(*listConfig) error

func (f listOpt) applyList(c *listConfig) error { return f(c) }

type listConfig struct {
	idKey, cursorKey, resultKey string
	idKeySet, cursorSet, resSet bool
	desc                        bool
	pageSize                    int
	shards                      int
	unordered                   bool
	noBatch                     bool
	offset                      bool
	resume                      *ListCursor
	progress                    func(ListProgress)
	report                      *ListReport
	callOpts                    []CallOption
	tailStart                   any
	tailStartSet                bool
}

// MaxPageSize is the largest WithPageSize: the portal's REST v3 maximum.
const MaxPageSize = 1000

// WithIDKey names the id field in the rows the method returns ("ID" for
// crm.deal.list, "id" for crm.item.list and tasks.task.list). The known
// families need no option (see FetchList). It must not be empty.
func WithIDKey(key string) ListOption {
	return listOpt(func(c *listConfig) error {
		if key == "" {
			return invalidOption("WithIDKey", `""`, "must not be empty")
		}
		c.idKey, c.idKeySet = key, true
		return nil
	})
}

// WithCursorIDKey names the id field in the request's filter, order and
// select, when it differs from the one in the rows (tasks.task.list filters
// on "ID" and returns "id"). It defaults to the id key; it must not be empty.
func WithCursorIDKey(key string) ListOption {
	return listOpt(func(c *listConfig) error {
		if key == "" {
			return invalidOption("WithCursorIDKey", `""`, "must not be empty")
		}
		c.cursorKey, c.cursorSet = key, true
		return nil
	})
}

// WithResultKey names the key of the result that holds the rows ("items"
// for crm.item.list, "tasks" for tasks.task.list); "" means the result is
// the array of rows itself.
func WithResultKey(key string) ListOption {
	return listOpt(func(c *listConfig) error { c.resultKey, c.resSet = key, true; return nil })
}

// WithDescending(true) walks from the largest id down: the order and the
// cursor filter ("<ID") are reversed, and a filter bound of the caller's on
// the id is kept as the walk's range. An order of the caller's on the id
// field alone ("DESC") has the same effect.
func WithDescending(on bool) ListOption {
	return listOpt(func(c *listConfig) error { c.desc = on; return nil })
}

// WithPageSize sets the REST v3 pagination.limit (default and at most
// MaxPageSize, the portal's maximum) or the tail cursor's limit; it must be
// in [1, MaxPageSize]. REST v2 pages are always 50 rows, so the option is
// ignored there.
func WithPageSize(n int) ListOption {
	return listOpt(func(c *listConfig) error {
		if n < 1 || n > MaxPageSize {
			return invalidOption("WithPageSize", n, fmt.Sprintf("must be in [1, %d]", MaxPageSize))
		}
		c.pageSize = n
		return nil
	})
}

// WithUnordered(true) delivers the rows of concurrent shards as they arrive,
// not in id order. Within one shard rows are still in id order.
func WithUnordered(on bool) ListOption {
	return listOpt(func(c *listConfig) error { c.unordered = on; return nil })
}

// WithBatch(false) makes every request carry one list page, instead of
// chaining 50 list commands in a batch on REST v2, or sending the pages of
// several shards in one batch on REST v3 (the default, WithBatch(true)). Use
// it for methods a batch cannot call. A REST v2 walk whose params a batch
// command cannot carry (an empty array, nil, a boolean, over 1,000 values:
// see Cmd) reads one page a request without it, and logs a warning naming
// the key.
func WithBatch(on bool) ListOption {
	return listOpt(func(c *listConfig) error { c.noBatch = !on; return nil })
}

// WithOffsetPaging(true) walks by offset (start=0, 50, ...) instead of by id, in
// the order the caller gives. Each page makes the portal count and skip the
// rows before it, so it is slower and its cost grows with depth; rows
// inserted or deleted during the walk can shift pages. A caller's order on a
// field other than the id selects it automatically (with a logged warning).
// A page of rows already read (a portal ignoring start) stops the walk with
// ErrPageRepeated; a walk that saw rows repeated, the v2 total change, or
// read other than total rows ends ListIncomplete with ErrListChanged. REST 3.0 sends no total, so rows a
// deletion shifts past a v3 offset walk go unnoticed.
func WithOffsetPaging(on bool) ListOption {
	return listOpt(func(c *listConfig) error { c.offset = on; return nil })
}

// WithResume continues a walk from a cursor saved from an earlier one
// (ListReport.Cursor or ListProgress.Cursor): only the rows the earlier walk
// had not yet delivered are read. The method, its parameters and the
// direction must be the same (else ErrCursorMismatch); a zero cursor is an
// invalid option.
func WithResume(c ListCursor) ListOption {
	return listOpt(func(cfg *listConfig) error {
		if c.Query == "" {
			return invalidOption("WithResume", "zero cursor", "not a cursor saved from a walk")
		}
		cp := c
		cfg.resume = &cp
		return nil
	})
}

// WithProgress calls f after every request's rows have been delivered, on
// the goroutine that consumes the rows. f must not block for long, nor be nil.
func WithProgress(f func(ListProgress)) ListOption {
	return listOpt(func(c *listConfig) error {
		if f == nil {
			return invalidOption("WithProgress", "nil", "a function is required")
		}
		c.progress = f
		return nil
	})
}

// WithReport fills *r (not nil) with the walk's report when the walk ends:
// completed, stopped by the caller (a break out of the loop, or a cancelled
// context) or failed.
func WithReport(r *ListReport) ListOption {
	return listOpt(func(c *listConfig) error {
		if r == nil {
			return invalidOption("WithReport", "nil", "a *ListReport is required")
		}
		c.report = r
		return nil
	})
}

// WithListCallOptions passes call options (WithCallTimeout, WithRequestID, ...)
// to every request of the walk. They are checked before the first request.
func WithListCallOptions(opts ...CallOption) ListOption {
	return listOpt(func(c *listConfig) error {
		if err := applyCallOptions(&callConfig{}, opts); err != nil {
			return fmt.Errorf("WithListCallOptions: %w", err)
		}
		c.callOpts = append(c.callOpts, opts...)
		return nil
	})
}

// WithTailStart sets the value the REST v3 *.tail cursor starts after (default 0;
// required for a descending tail). It must not be nil.
func WithTailStart(v any) ListOption {
	return listOpt(func(c *listConfig) error {
		if v == nil {
			return invalidOption("WithTailStart", "nil", "a start value is required")
		}
		c.tailStart, c.tailStartSet = v, true
		return nil
	})
}

// family describes where a list method's rows and ids are.
type family struct {
	resultKey string // "" when the result is the array of rows
	idKey     string // the id in a row
	cursorKey string // the id in filter, order and select
	userStyle bool   // user.get: top-level sort/order strings, FILTER
}

// familyOf returns the known layout of method on version v.
func familyOf(v APIVersion, method string) family {
	m := strings.ToLower(method)
	if v == APIv3 {
		return family{resultKey: "items", idKey: "id", cursorKey: "id"}
	}
	switch {
	case m == "crm.item.list":
		return family{resultKey: "items", idKey: "id", cursorKey: "id"}
	case m == "tasks.task.list":
		return family{resultKey: "tasks", idKey: "id", cursorKey: "ID"}
	case m == "crm.type.list":
		return family{resultKey: "types", idKey: "id", cursorKey: "id"}
	case m == "crm.category.list":
		return family{resultKey: "categories", idKey: "id", cursorKey: "id"}
	case m == "user.get":
		return family{idKey: "ID", cursorKey: "ID", userStyle: true}
	case strings.HasPrefix(m, "catalog.") && strings.HasSuffix(m, ".list"):
		// catalog.product.list → products, catalog.section.list → sections
		parts := strings.Split(m, ".")
		if len(parts) == 3 {
			return family{resultKey: parts[1] + "s", idKey: "id", cursorKey: "id"}
		}
	}
	return family{idKey: "ID", cursorKey: "ID"}
}

func (c *listConfig) family(v APIVersion, method string) family {
	f := familyOf(v, method)
	if c.idKeySet {
		f.idKey = c.idKey
		if !c.cursorSet {
			f.cursorKey = c.idKey
		}
	}
	if c.cursorSet {
		f.cursorKey = c.cursorKey
	}
	if c.resSet {
		f.resultKey = c.resultKey
	}
	return f
}

func newListConfig(opts []ListOption) (listConfig, error) {
	cfg := listConfig{shards: 1}
	for _, o := range opts {
		if o != nil {
			if err := o.applyList(&cfg); err != nil {
				return cfg, err
			}
		}
	}
	return cfg, nil
}

// badListConfig ends a walk whose options are invalid: it fills the report
// (when that option was applied) and returns err.
func badListConfig(method string, cfg listConfig, err error) error {
	if cfg.report != nil {
		*cfg.report = ListReport{Method: method, End: ListFailed, Err: err}
	}
	return err
}

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

func runList[T any](ctx context.Context, api *API, method string, params any, cfg listConfig, s sink[T], fail func(error)) {
	w, err := newWalk[T](api, method, params, cfg)
	if err != nil {
		if cfg.report != nil {
			*cfg.report = ListReport{Method: method, End: ListFailed, Err: err}
		}
		fail(err)
		return
	}
	w.run(ctx, s, fail)
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
