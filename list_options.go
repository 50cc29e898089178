package b24

import (
	"fmt"

	"github.com/b24go/b24/internal/listhook"
	"github.com/b24go/b24/internal/listwalk"
)

// ListOption configures a list walk (CallList, FetchList, FetchListPages,
// CallTail, FetchTail). A bad value fails the walk with an error wrapping
// ErrInvalidOption before anything is sent.
type ListOption interface{ applyList(*listConfig) error }

// listOpt is a ListOption.
type listOpt func(*listConfig) error

func (f listOpt) applyList(c *listConfig) error { return f(c) }

// listConfig is a walk's options: the engine's own, and what the root
// converts (the cursor, the report and progress in their public types, the
// call options).
type listConfig struct {
	walk     listwalk.Config
	resume   *ListCursor
	progress func(ListProgress)
	report   *ListReport
	callOpts []CallOption
}

// WithIDKey names the id field in the rows the method returns ("ID" for
// crm.deal.list, "id" for crm.item.list and tasks.task.list). The known
// families need no option (see FetchList). It must not be empty.
func WithIDKey(key string) ListOption {
	return listOpt(func(c *listConfig) error {
		if key == "" {
			return invalidOption("WithIDKey", `""`, "must not be empty")
		}
		c.walk.IDKey, c.walk.IDKeySet = key, true
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
		c.walk.CursorKey, c.walk.CursorSet = key, true
		return nil
	})
}

// WithResultKey names the key of the result that holds the rows ("items"
// for crm.item.list, "tasks" for tasks.task.list); "" means the result is
// the array of rows itself.
func WithResultKey(key string) ListOption {
	return listOpt(func(c *listConfig) error { c.walk.ResultKey, c.walk.ResultSet = key, true; return nil })
}

// WithDescending(true) walks from the largest id down: the order and the
// cursor filter ("<ID") are reversed, and a filter bound of the caller's on
// the id is kept as the walk's range. An order of the caller's on the id
// field alone ("DESC") has the same effect.
func WithDescending(on bool) ListOption {
	return listOpt(func(c *listConfig) error { c.walk.Desc = on; return nil })
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
		c.walk.PageSize = n
		return nil
	})
}

// WithUnordered(true) delivers the rows of concurrent shards as they arrive,
// not in id order. Within one shard rows are still in id order.
func WithUnordered(on bool) ListOption {
	return listOpt(func(c *listConfig) error { c.walk.Unordered = on; return nil })
}

// WithBatch(false) makes every request carry one list page, instead of
// chaining 50 list commands in a batch on REST v2, or sending the pages of
// several shards in one batch on REST v3 (the default, WithBatch(true)). Use
// it for methods a batch cannot call. A REST v2 walk whose params a batch
// command cannot carry (an empty array, nil, a boolean, over 1,000 values:
// see Cmd) reads one page a request without it, and logs a warning naming
// the key.
func WithBatch(on bool) ListOption {
	return listOpt(func(c *listConfig) error { c.walk.NoBatch = !on; return nil })
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
	return listOpt(func(c *listConfig) error { c.walk.Offset = on; return nil })
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
		c.walk.TailStart, c.walk.TailStartSet = v, true
		return nil
	})
}

func newListConfig(opts []ListOption) (listConfig, error) {
	cfg := listConfig{walk: listwalk.Config{Shards: 1}}
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

func init() {
	listhook.NoRangeProbe = ListOption(listOpt(func(c *listConfig) error {
		c.walk.NoProbe = true
		return nil
	}))
}
