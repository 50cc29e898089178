package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/internal/batchwire"
)

// Cmd is one command of a batch.
//
// Name is the command's key: in a REST v2 batch the key of its result in
// every section ($result[Name]), in a REST 3.0 batch its alias ("as"). Leave
// it empty to address the command by position; a batch whose commands are
// all unnamed is sent in list form. Names must be unique, must not be all
// digits (PHP would turn them into positions), and must not contain "[",
// "]", "." or spaces.
//
// Params are the method's parameters, as for Call: a map, a struct, or JSON.
// In a v2 batch they travel inside a query string ("method?filter[>ID]=5"),
// where the portal reads every value as a string. It cannot carry an empty
// array (the key would vanish: filter[ID]=[] would select every row), nil
// or a boolean as Call's JSON does, nor more than 1,000 values (PHP drops
// the rest), so such a command is refused with a *QueryParamError naming
// the key path before anything is sent.
// Strings and numbers are sent as they are. REST 3.0 batches send JSON.
type Cmd struct {
	Name   string
	Method string
	Params any
}

// Errors of batch commands, for errors.Is.
var (
	// ErrNotExecuted is the error of a command the portal did not run.
	ErrNotExecuted = errors.New("b24: command not executed")
	// ErrConflict marks a write whose record another user changed after the
	// write was sent: whether the write took effect cannot be told, and
	// sending it again could undo that user's change. It is never resent.
	ErrConflict = errors.New("b24: the record was changed by another user after the write was sent")
	// ErrQueryParam is wrapped by a *QueryParamError.
	ErrQueryParam = errors.New("b24: parameter cannot travel in a v2 batch command")
)

// CommandState is what became of one command of a batch.
type CommandState int

const (
	// CommandNotExecuted: the portal did not run the command: the batch halted at
	// an earlier failure, a REST 3.0 batch aborted, the batch request was
	// refused or never sent, or BatchByChunk stopped before its chunk.
	CommandNotExecuted CommandState = iota
	// CommandDone: the command ran; CommandResult.Result holds its result.
	CommandDone
	// CommandFailed: the command ran and failed; CommandResult.Err is its *APIError.
	CommandFailed
	// CommandAmbiguous: the command's request was sent and its answer lost: it may
	// or may not have run. CommandResult.Err wraps ErrAmbiguous.
	CommandAmbiguous
	// CommandConflict: an Ambiguous write whose record another user changed after
	// it was sent (found by the read-back): never resent, never Done.
	// CommandResult.Err wraps ErrConflict and ErrAmbiguous.
	CommandConflict
)

func (s CommandState) String() string {
	switch s {
	case CommandNotExecuted:
		return "not executed"
	case CommandDone:
		return "done"
	case CommandFailed:
		return "failed"
	case CommandAmbiguous:
		return "ambiguous"
	case CommandConflict:
		return "conflict"
	}
	return "CommandState(" + strconv.Itoa(int(s)) + ")"
}

// CommandResult is the outcome of one command, at the command's own position.
type CommandResult struct {
	Index  int    // position among the commands given (global in BatchByChunk)
	Name   string // the command's name, "" if unnamed
	Method string
	State  CommandState
	// Result is the command's raw result when Done ("null" when the method
	// returned null). Decode it with DecodeResult.
	Result json.RawMessage
	// Total, Next and Time are the command's entries of a v2 batch's
	// result_total, result_next and result_time sections (nil when absent:
	// not a list, the last page, REST 3.0).
	Total *int
	Next  *int
	Time  *Timing
	// Err is nil when Done; the command's *APIError when Failed; an error
	// wrapping ErrNotExecuted or ErrAmbiguous otherwise.
	Err error
	// Reconciled is set when BatchByChunk's reconciler decided the state of
	// a command that was Ambiguous.
	Reconciled bool
	// spans are where Result's elements start and end (two offsets an
	// element) when Result is a list the batch split as it read the answer
	// (a list page's rows); nil otherwise. Set and cleared with Result.
	spans []uint32
}

// DecodeResult decodes a command's result into a T. It fails with the
// command's error when the command is not Done.
func DecodeResult[T any](c *CommandResult) (T, error) {
	var v T
	if c == nil {
		return v, errors.New("b24: DecodeResult: no such command")
	}
	if c.State != CommandDone {
		if c.Err != nil {
			return v, c.Err
		}
		return v, fmt.Errorf("b24: command %s (%s) is %s", c.label(), c.Method, c.State)
	}
	if err := json.Unmarshal(c.Result, &v); err != nil {
		return v, fmt.Errorf("b24: command %s (%s): decoding result into %T: %w", c.label(), c.Method, v, err)
	}
	return v, nil
}

func (c *CommandResult) label() string {
	if c.Name != "" {
		return strconv.Quote(c.Name)
	}
	return "#" + strconv.Itoa(c.Index)
}

// BatchResult holds every command's outcome, in the order given: nothing is
// dropped and no position shifts, whatever failed.
type BatchResult struct {
	Commands []CommandResult
	// Halted is set when the portal stopped at a failing command (v2 with
	// halt, or a REST 3.0 batch, which always stops), or BatchByChunk
	// started no new chunk after an error.
	Halted bool
	// Requests counts the batch requests sent (retries included).
	Requests int
	// Response is the batch's envelope (Batch only; nil when the request failed
	// and in BatchByChunk).
	Response *Response
	// SentAt is when the last attempt of Batch's request was sent (zero if
	// none was): the portal's request cut-off runs from it.
	SentAt time.Time
	byName map[string]int
}

// Get returns the command named key, or, when no command has that name, the
// command at position key ("0", "1", ...); nil when there is none.
func (r *BatchResult) Get(key string) *CommandResult {
	if r == nil {
		return nil
	}
	if i, ok := r.byName[key]; ok {
		return &r.Commands[i]
	}
	if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(r.Commands) && strconv.Itoa(i) == key {
		return &r.Commands[i]
	}
	return nil
}

// BatchSummary counts the commands of a batch by state.
type BatchSummary struct {
	Done, Failed, Ambiguous, NotExecuted int
	Conflict                             int // changed by another user after the send
	// Reasons counts the failures by error code ("" for an empty code; the
	// error text when the failure has no code).
	Reasons map[string]int
}

func (s BatchSummary) String() string {
	out := fmt.Sprintf("%d done, %d failed, %d ambiguous, %d not executed", s.Done, s.Failed, s.Ambiguous, s.NotExecuted)
	if s.Conflict > 0 {
		out += fmt.Sprintf(", %d conflict", s.Conflict)
	}
	if len(s.Reasons) > 0 {
		keys := make([]string, 0, len(s.Reasons))
		for k := range s.Reasons {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			name := k
			if name == "" {
				name = `""`
			}
			parts[i] = fmt.Sprintf("%s×%d", name, s.Reasons[k])
		}
		out += " (failed: " + strings.Join(parts, ", ") + ")"
	}
	return out
}

// Summary counts the commands by state.
func (r *BatchResult) Summary() BatchSummary {
	var s BatchSummary
	if r == nil {
		return s
	}
	for i := range r.Commands {
		c := &r.Commands[i]
		switch c.State {
		case CommandDone:
			s.Done++
		case CommandFailed:
			s.Failed++
			if s.Reasons == nil {
				s.Reasons = map[string]int{}
			}
			var ae *APIError
			if errors.As(c.Err, &ae) {
				s.Reasons[ae.Code]++
			} else if c.Err != nil {
				s.Reasons[c.Err.Error()]++
			}
		case CommandAmbiguous:
			s.Ambiguous++
		case CommandConflict:
			s.Conflict++
		default:
			s.NotExecuted++
		}
	}
	return s
}

// BatchError is returned with the BatchResult when not every command is
// Done. Err is the first cause: the batch request's own error (a refusal
// given up on, an authentication error, ErrAmbiguous, a cancelled context)
// or the first failed command's error, so errors.Is and errors.As see it.
type BatchError struct {
	Summary BatchSummary
	Err     error
}

func (e *BatchError) Error() string {
	s := "b24: batch: " + e.Summary.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *BatchError) Unwrap() error { return e.Err }

// BatchOption configures Batch and BatchByChunk. A bad value fails the call
// with an error wrapping ErrInvalidOption before anything is sent.
type BatchOption interface{ applyBatch(*batchConfig) error }

// batchOpt is a BatchOption.
type batchOpt func(*batchConfig) error

func (f batchOpt) applyBatch(c *batchConfig) error { return f(c) }

type batchConfig struct {
	halt        bool
	chunkBytes  int
	concurrency int
	reconciler  Reconciler
	cutoff      time.Duration
	callOpts    []CallOption
	maxRounds   int
}

// Defaults of the batch options.
const (
	// DefaultChunkBytes bounds the JSON body of one BatchByChunk request: 1 MiB,
	// the default request size limit of nginx.
	DefaultChunkBytes = 1 << 20
	// DefaultChunkConcurrency is how many BatchByChunk requests may be in
	// flight at once; the limiter paces them. Eight keep the request bucket
	// busy while each batch of writes takes the portal a second or more
	// (at 4, 10,000 updates on the fake portal took 1.2 × the bucket's minimum;
	// at 8, 1.01 ×).
	DefaultChunkConcurrency = 8
	// DefaultRequestCutoff is the portal's request wall time: a request still
	// running after it is cut off.
	DefaultRequestCutoff = 60 * time.Second
	// MaxBatchCommands is the number of commands one batch request runs: the
	// portal answers the 51st and later with ERROR_BATCH_LENGTH_EXCEEDED.
	MaxBatchCommands = 50
	// MaxRequestCutoff is the largest WithRequestCutoff.
	MaxRequestCutoff = time.Hour
)

// WithHalt sets whether a failing command stops the batch (default true, as
// the reference SDK). In a v2 batch the portal then runs no command after
// it; in BatchByChunk no new chunk starts after an error. REST 3.0 batches
// always stop at the first error.
func WithHalt(halt bool) BatchOption {
	return batchOpt(func(c *batchConfig) error { c.halt = halt; return nil })
}

// WithChunkBytes bounds the encoded size (the JSON body) of one BatchByChunk
// request (default DefaultChunkBytes); it must be positive. A single command
// over the bound is sent alone.
func WithChunkBytes(n int) BatchOption {
	return batchOpt(func(c *batchConfig) error {
		if n < 1 {
			return invalidOption("WithChunkBytes", n, "must be positive")
		}
		c.chunkBytes = n
		return nil
	})
}

// WithReconciler sets the function that settles BatchByChunk's ambiguous
// writes by reading the records back (see Reconciler; package reconcile).
// It must not be nil.
func WithReconciler(r Reconciler) BatchOption {
	return batchOpt(func(c *batchConfig) error {
		if r == nil {
			return invalidOption("WithReconciler", "nil", "a reconciler is required")
		}
		c.reconciler = r
		return nil
	})
}

// WithRequestCutoff sets the portal's request wall time (default the
// hook's RestrictionParams Retry.RequestCutoff, 60 s); it must be in
// (0, MaxRequestCutoff]. The reconciler runs only once this much time
// has passed since an ambiguous request was sent: before that, the portal
// may still be running it.
func WithRequestCutoff(d time.Duration) BatchOption {
	return batchOpt(func(c *batchConfig) error {
		if d <= 0 || d > MaxRequestCutoff {
			return invalidOption("WithRequestCutoff", d, fmt.Sprintf("must be in (0, %v]", MaxRequestCutoff))
		}
		c.cutoff = d
		return nil
	})
}

// WithBatchCallOptions passes call options (timeout, request id) to every
// batch request. They are checked before the first request.
func WithBatchCallOptions(opts ...CallOption) BatchOption {
	return batchOpt(func(c *batchConfig) error {
		if err := applyCallOptions(&callConfig{}, opts); err != nil {
			return fmt.Errorf("WithBatchCallOptions: %w", err)
		}
		c.callOpts = append(c.callOpts, opts...)
		return nil
	})
}

// newBatchConfig applies opts over the defaults; cutoff is the hook's
// Retry.RequestCutoff (DefaultRequestCutoff when 0).
func newBatchConfig(cutoff time.Duration, opts []BatchOption) (batchConfig, error) {
	if cutoff <= 0 {
		cutoff = DefaultRequestCutoff
	}
	c := batchConfig{halt: true, chunkBytes: DefaultChunkBytes, concurrency: DefaultChunkConcurrency,
		cutoff: cutoff, maxRounds: 20}
	for _, o := range opts {
		if o != nil {
			if err := o.applyBatch(&c); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

// Batch runs up to MaxBatchCommands commands in one request (the portal's
// batch method) and reports every command in place.
//
// Commands run in the given order. With halt on (the default; WithHalt) the
// portal stops at the first failing command: those before it are Done, it is
// Failed, those after it NotExecuted. With halt off every command runs and
// each is Done or Failed. A later command can use an earlier one's result
// through a reference (Cmd.Result, ResultRef on v2; Cmd.V3Ref, V3Ref on
// REST 3.0); Batch checks that every reference names an earlier command.
//
// On REST v2 the commands travel as "method?query" strings (PHP's query
// encoding, see Cmd), all unnamed in list form, otherwise keyed by name (an
// unnamed command by its position). On REST 3.0 they are a JSON array of
// {method, query, as}; the first error aborts the batch and becomes its whole
// answer, which does not say which command failed: with one command it is
// Failed; with several, writes are Ambiguous (those before the failing one
// ran, those after it did not) and reads Failed (safe to repeat). REST 3.0
// has no halt-off form here: WithHalt(false) does not apply to it.
//
// The request is paced and retried like any Call: a batch of reads only is
// retried after failures that may have happened after the portal ran it; a
// batch with a write is not, and its commands become Ambiguous. A command
// the portal refused inside a batch that ran (QUERY_LIMIT_EXCEEDED or
// OPERATION_TIME_LIMIT in result_error) is Failed here, and the limiter
// holds back the next request; BatchByChunk sends such commands again.
//
// More than MaxBatchCommands commands is an error before anything is sent
// (use BatchByChunk), as are a bad name, a reference to no earlier command
// and params that cannot be encoded (a *QueryParamError on v2, see Cmd);
// the result is then nil. Otherwise the
// result holds every command, and when some command is not Done the error
// is a *BatchError alongside it.
func (a *API) Batch(ctx context.Context, cmds []Cmd, opts ...BatchOption) (*BatchResult, error) {
	cfg, err := newBatchConfig(a.h.RestrictionParams().Retry.RequestCutoff, opts)
	if err != nil {
		return nil, err
	}
	if len(cmds) > MaxBatchCommands {
		return nil, fmt.Errorf("b24: batch of %d commands: at most %d run in one request (use BatchByChunk)", len(cmds), MaxBatchCommands)
	}
	res := newBatchResult(cmds)
	if len(cmds) == 0 {
		return res, nil
	}
	plan, err := a.prepare(cmds, true)
	if err != nil {
		return nil, err
	}
	all := make([]int, len(cmds))
	for i := range all {
		all[i] = i
	}
	out := a.runChunk(ctx, plan, all, cfg, res.Commands)
	res.SentAt = out.sendAt
	res.Requests = out.requests
	res.Response = out.resp
	res.Halted = out.halted
	return res, res.err(out.err)
}

// BatchMap runs a named batch given as a map, in the sorted order of the
// names (a Go map has no order). Use Batch with named Cmds when the order
// matters beyond that.
func (a *API) BatchMap(ctx context.Context, cmds map[string]Cmd, opts ...BatchOption) (*BatchResult, error) {
	names := make([]string, 0, len(cmds))
	for k := range cmds {
		names = append(names, k)
	}
	slices.Sort(names)
	list := make([]Cmd, len(names))
	for i, n := range names {
		list[i] = cmds[n]
		list[i].Name = n
	}
	return a.Batch(ctx, list, opts...)
}

func newBatchResult(cmds []Cmd) *BatchResult {
	res := &BatchResult{Commands: make([]CommandResult, len(cmds)), byName: map[string]int{}}
	for i, c := range cmds {
		res.Commands[i] = CommandResult{Index: i, Name: c.Name, Method: c.Method, Err: ErrNotExecuted}
		if c.Name != "" {
			res.byName[c.Name] = i
		}
	}
	return res
}

// err returns nil when every command is Done, and a *BatchError otherwise.
func (r *BatchResult) err(cause error) error {
	s := r.Summary()
	if cause == nil && s.Done == len(r.Commands) {
		return nil
	}
	if cause == nil {
		for i := range r.Commands {
			if c := &r.Commands[i]; c.State == CommandFailed || c.State == CommandAmbiguous || c.State == CommandConflict {
				cause = fmt.Errorf("command %s: %w", c.label(), c.Err)
				break
			}
		}
	}
	if cause == nil {
		cause = ErrNotExecuted
	}
	return &BatchError{Summary: s, Err: cause}
}

// validateNames checks the commands' names and methods.
func validateNames(cmds []Cmd) error {
	seen := map[string]bool{}
	for i, c := range cmds {
		if err := checkMethod(c.Method); err != nil {
			return fmt.Errorf("b24: batch command %d: %w", i, err)
		}
		if isBatch(c.Method) {
			return fmt.Errorf("b24: batch command %d: a batch cannot contain a batch", i)
		}
		if c.Name == "" {
			continue
		}
		if seen[c.Name] {
			return fmt.Errorf("b24: batch command %d: duplicate name %q", i, c.Name)
		}
		seen[c.Name] = true
		if strings.TrimLeft(c.Name, "0123456789") == "" {
			return fmt.Errorf("b24: batch command %d: name %q is all digits (PHP reads it as a position); leave it empty to use the position", i, c.Name)
		}
		if strings.ContainsAny(c.Name, "[]. \t\r\n\x00") {
			return fmt.Errorf("b24: batch command %d: name %q contains '[', ']', '.' or a space, which references cannot express", i, c.Name)
		}
	}
	return nil
}

// QueryParamError reports a parameter of a REST v2 batch command that PHP's
// query encoding cannot carry as Call's JSON carries it: an empty array (the
// portal would see no key: filter[ID]=[] would select every row), nil (it
// would see "") or a boolean (it would see "1" or "0"), or a value past
// the 1,000th, which PHP drops (max_input_vars). Batch, BatchByChunk and
// the CLI refuse the commands before anything is sent.
type QueryParamError struct {
	Index  int    // the command's position
	Method string // the command's method
	Path   string // the parameter's key path: "filter[ID]"
	Value  string // "an empty array", "null", "true", "false", "variable 1001, ..."
}

func (e *QueryParamError) Error() string {
	return fmt.Sprintf("b24: batch command %d (%s): %s is %s, which a v2 batch command (a query string) cannot send as Call does; send it with Call, or change the params",
		e.Index, e.Method, e.Path, e.Value)
}

func (e *QueryParamError) Unwrap() error { return ErrQueryParam }

// ResultRef returns a REST v2 batch reference to the result of the command
// whose key is cmd, followed by a path into it: ResultRef("deals", 49, "ID")
// is "$result[deals][49][ID]", the ID of the 50th row of the list command
// named "deals". In the list form of a batch the key is the command's
// position ("0", "1", ...). Path elements may be strings or integers.
//
// Put the reference as a whole parameter value and the portal substitutes
// the value it points to (a scalar or a whole array); inside a longer string
// it is substituted only when the value is a scalar. A reference that does
// not resolve (a short page, a failed command) is left as literal text, so a
// chain of references should run with halt on (the default).
//
// Batch checks before sending that every reference names an earlier
// command of the same batch. Cmd.Result builds the same reference from a
// named command, without repeating its name.
func ResultRef(cmd string, path ...any) string { return batchwire.Ref("result", cmd, path) }

// NextRef returns "$next[cmd]": the start of the next page of the list
// command cmd (absent, so left unresolved, on its last page).
func NextRef(cmd string) string { return batchwire.Ref("next", cmd, nil) }

// TotalRef returns "$total[cmd]": the row count reported by the list command cmd.
func TotalRef(cmd string) string { return batchwire.Ref("total", cmd, nil) }

// Result returns a reference to this named command's result (see ResultRef).
func (c Cmd) Result(path ...any) string { return batchwire.Ref("result", c.Name, path) }

// Next returns a reference to this named command's next page start (see NextRef).
func (c Cmd) Next() string { return batchwire.Ref("next", c.Name, nil) }

// Total returns a reference to this named command's row count (see TotalRef).
func (c Cmd) Total() string { return batchwire.Ref("total", c.Name, nil) }

// V3Reference is a REST 3.0 batch reference: {"$ref": "alias.item.id"} for
// one value of an earlier command's result, or {"$refArray": "alias.id"}
// for a field collected across an earlier list command's items. Use it as a
// value anywhere in a command's Params; the portal substitutes it. Only
// "item" (get) and "items" (list, tail) results can be referenced; a bad
// path fails the whole batch (INVALIDSELECTEXCEPTION).
type V3Reference struct {
	path  string
	array bool
}

// V3Ref returns {"$ref": "name.path..."}, a reference into this named
// command's result: c.V3Ref("item", "id") is {"$ref":"task.item.id"} for a
// command named "task", the id of the task it got.
func (c Cmd) V3Ref(path ...string) V3Reference {
	return V3Reference{path: strings.Join(append([]string{c.Name}, path...), ".")}
}

// V3RefArray returns {"$refArray": "name.field"}: the field of every item of
// this named list command, as an array.
func (c Cmd) V3RefArray(field string) V3Reference {
	return V3Reference{path: c.Name + "." + field, array: true}
}

// String returns the reference's path.
func (r V3Reference) String() string { return r.path }

// MarshalJSON writes {"$ref": path} or {"$refArray": path}.
func (r V3Reference) MarshalJSON() ([]byte, error) {
	key := "$ref"
	if r.array {
		key = "$refArray"
	}
	return json.Marshal(map[string]string{key: r.path})
}
