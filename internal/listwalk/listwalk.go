// Package listwalk is the list engine behind b24.FetchList and its kin:
// the keyset walk by id, REST v2 chained batches, shards cut by the density
// of ids, offset paging, REST 3.0 pages and *.tail, and the report and
// cursor of every walk. It sends nothing itself: a Caller, which package
// b24 implements on an *API, carries each call and batch through the
// hook's limiter, retries and logging. docs/design.md shows the flow.
package listwalk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// Caller sends a walk's requests.
type Caller interface {
	// V3 reports whether the calls go to REST 3.0.
	V3() bool
	// Logger is where the walk warns (a fallback to a slower mode).
	Logger() *slog.Logger
	// Call sends one call of method.
	Call(ctx context.Context, method string, params any) (Page, error)
	// Batch sends the commands as one batch request with halt on; requests
	// is the HTTP requests it took (at least 1). With an error no command
	// has an answer.
	Batch(ctx context.Context, cmds []Command) (answers []Answer, requests int, err error)
	// Pacing is how long refused batch commands are waited out.
	Pacing() Pacing
}

// Checked is what a Caller also implements when every result it returns is
// part of a text jsonscan.Valid accepted (b24's Caller: each answer is
// checked once when it arrives): rows are then decoded without checking
// them again.
type Checked interface {
	ResultsChecked() bool
}

// Page is the answer to one call: the result, the v2 total and next, and
// the HTTP requests it took.
type Page struct {
	Result      json.RawMessage
	Total, Next *int
	Requests    int
}

// Command is one command of a batch.
type Command struct {
	Name, Method string
	Params       any
}

// Answer is what became of one command of a batch.
type Answer struct {
	Name, Method string
	Done         bool // it ran: Result holds its result
	NotRun       bool // the portal did not run it (a halted batch)
	Result       json.RawMessage
	// Spans, when set, are where Result's elements start and end (two
	// offsets an element): a list page split as the answer was read.
	Spans []uint32
	// Refused: a limit refused it before it ran (QUERY_LIMIT_EXCEEDED,
	// OPERATION_TIME_LIMIT inside a batch that ran); send it again.
	Refused bool
	// ResetAt is the operating reset its time block reported, already
	// sanitised (zero when none).
	ResetAt time.Time
	Err     error
}

// Pacing bounds the resends of refused batch commands: backoff from Base
// doubling to Max, for at most MaxWait since the first refusal.
type Pacing struct {
	Base, Max, MaxWait time.Duration
}

// Config is a walk's configuration, as the b24 list options set it.
type Config struct {
	IDKey, CursorKey, ResultKey    string
	IDKeySet, CursorSet, ResultSet bool
	Desc                           bool
	PageSize                       int
	Shards                         int
	Unordered                      bool
	NoBatch                        bool
	Offset                         bool
	Resume                         *Cursor
	Progress                       func(Progress)
	Report                         *Report
	TailStart                      any
	TailStartSet                   bool
	// NoProbe makes a sequential chained walk (one shard) skip the range
	// probe: its first request is a whole chain. It saves the probe's
	// request; a short walk's chain drops the commands past its end, and
	// progress has no fraction done.
	NoProbe bool
}

// The walk's errors; package b24 exports them under the same names.
var (
	ErrCursorStalled  = errors.New("b24: list cursor did not advance")
	ErrNonNumericID   = errors.New("b24: list row id is not an integer")
	ErrRowsOutOfOrder = errors.New("b24: list rows are not in id order")
	ErrPageRepeated   = errors.New("b24: list page repeats rows already read")
	ErrListChanged    = errors.New("b24: list changed during the offset walk")
	ErrCursorMismatch = errors.New("b24: list cursor belongs to another walk")
)

// End tells how a walk ended (b24.ListEnd).
type End int

// The ends of a walk, as b24.ListRunning ... b24.ListIncomplete.
const (
	Running End = iota
	Complete
	Stopped
	Failed
	Incomplete
)

// Report is a walk's report (b24.ListReport, field for field).
type Report struct {
	Method, Mode                      string
	Rows, UniqueIDs, Duplicates       int64
	MinID, MaxID                      int64
	Requests, Retries, Pages, Dropped int64
	Shards                            int
	FirstTotal, LastTotal             int64
	End                               End
	Err                               error
	Elapsed                           time.Duration
	Cursor                            *Cursor
}

// Progress is reported after every request's rows are delivered
// (b24.ListProgress).
type Progress struct {
	Rows, Requests int64
	Covered        float64
	Cursor         *Cursor
}

// Cursor is the resumable position of a walk (b24.ListCursor).
type Cursor struct {
	Version int
	Query   string
	Desc    bool
	Ranges  []Range
}

// Range is a range of ids still to read (b24.CursorRange).
type Range struct {
	After, End *int64
}

// Sink receives rows on the caller's goroutine; it returns how many it
// consumed and whether the walk goes on.
type Sink[T any] func(rows []T) (int, bool)

// Run walks method's list with params (a JSON object), decoding rows into T: s receives
// them; fail receives the error the walk ended with, if any, once. The
// report (cfg.Report) is filled in either case.
func Run[T any](ctx context.Context, c Caller, method string, params json.RawMessage, cfg Config, s Sink[T], fail func(error)) {
	w, err := newWalk[T](c, method, params, cfg)
	if err != nil {
		if cfg.Report != nil {
			*cfg.Report = Report{Method: method, End: Failed, Err: err}
		}
		fail(err)
		return
	}
	w.run(ctx, s, fail)
}

func i64p(v int64) *int64 { return &v }

// region is a range of ids in walk order: ids beyond after (exclusive) and
// up to end (inclusive), either side optional.
type region struct {
	after, end       int64
	hasAfter, hasEnd bool
}

func (r region) cursorRange() Range {
	var c Range
	if r.hasAfter {
		c.After = i64p(r.after)
	}
	if r.hasEnd {
		c.End = i64p(r.end)
	}
	return c
}

func regionOf(c Range) region {
	var r region
	if c.After != nil {
		r.after, r.hasAfter = *c.After, true
	}
	if c.End != nil {
		r.end, r.hasEnd = *c.End, true
	}
	return r
}

// Finish completes the report of a walk that ended with err (nil: complete)
// or was stopped by the caller (err then says how, a cancelled context).
func (rep *Report) Finish(err error, stopped bool) {
	switch {
	case err == nil && !stopped:
		rep.End = Complete
		rep.Cursor = nil
	case stopped:
		rep.End = Stopped
	case errors.Is(err, ErrListChanged):
		rep.End = Incomplete
	default:
		rep.End = Failed
	}
	rep.Err = err
}

// family describes where a list method's rows and ids are.
type family struct {
	resultKey string // "" when the result is the array of rows
	idKey     string // the id in a row
	cursorKey string // the id in filter, order and select
	userStyle bool   // user.get: top-level sort/order strings, FILTER
}

// familyOf returns the known layout of method on version v.
func familyOf(v3 bool, method string) family {
	m := strings.ToLower(method)
	if v3 {
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

func (c *Config) family(v3 bool, method string) family {
	f := familyOf(v3, method)
	if c.IDKeySet {
		f.idKey = c.IDKey
		if !c.CursorSet {
			f.cursorKey = c.IDKey
		}
	}
	if c.CursorSet {
		f.cursorKey = c.CursorKey
	}
	if c.ResultSet {
		f.resultKey = c.ResultKey
	}
	return f
}
