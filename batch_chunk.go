package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// BatchByChunk runs any number of independent commands as batches of at
// most MaxBatchCommands commands and at most WithChunkBytes bytes each, up to
// WithConcurrency of them in flight at once, all paced by the hook's limiter.
// Every command is reported at its own position (its global index, or its
// name if it has one: names must be unique across all the commands), whatever
// chunk it ran in. The commands must not reference each other: a command
// holding a batch reference is refused before anything is sent, as is, on
// v2, a parameter a query string cannot carry (a *QueryParamError, see Cmd).
//
// Halt (on by default, WithHalt) stops BatchByChunk at the first failed
// command: no new chunk starts; chunks already in flight finish, and every
// command not sent stays NotExecuted. With halt off every command is tried.
// A failure of a batch request itself (for example an authentication error,
// or a refusal the limiter waited out for too long) always stops it.
//
// What is repeated, and what is not:
//
//   - A command refused inside a batch that otherwise ran (a
//     QUERY_LIMIT_EXCEEDED or OPERATION_TIME_LIMIT in result_error: refused
//     before it ran) is sent again in a later chunk, once the limiter,
//     which learns of the refusal, lets the request through; so are the
//     commands the portal then skipped because of halt. A command refused
//     in 20 rounds stays Failed.
//   - A chunk of reads whose request failed is retried by Call.
//   - A chunk with writes whose request was sent and whose answer was lost
//     (ErrAmbiguous) is never sent again: its reads are queued again and its
//     writes become Ambiguous. With WithReconciler, each ambiguous write is
//     settled Done or NotExecuted by reading the record back, but only once
//     the portal's request cut-off (WithRequestCutoff, 60 s) has passed since
//     the request, because until then the portal may still be running it.
//     The reconciler runs once after the last chunk; a command it cannot
//     settle stays Ambiguous, one another user changed since is a Conflict
//     (reconcile.CRMUpdates reads crm.*.update writes back in batches).
//
// The result holds every command; Summary counts done, failed (with the
// reasons), ambiguous and not executed. When some command is not Done the
// error is a *BatchError; when ctx ends, its Err wraps ctx.Err() and the
// commands not sent are NotExecuted.
func (a *API) BatchByChunk(ctx context.Context, cmds []Cmd, opts ...BatchOption) (*BatchResult, error) {
	cfg, err := newBatchConfig(a.h.RestrictionParams().Retry.RequestCutoff, opts)
	if err != nil {
		return nil, err
	}
	res := newBatchResult(cmds)
	if len(cmds) == 0 {
		return res, nil
	}
	plan, err := a.prepare(cmds, false)
	if err != nil {
		return nil, err
	}
	r := &chunkRun{a: a, plan: plan, cfg: cfg, res: res, rounds: map[int]int{}}
	r.pending = make([]int, len(cmds))
	for i := range r.pending {
		r.pending[i] = i
	}
	r.run(ctx)
	r.reconcile(ctx)
	if r.cause == nil && ctx.Err() != nil {
		r.cause = ctx.Err()
	}
	return res, res.err(r.cause)
}

// chunkRun is the state of one BatchByChunk.
type chunkRun struct {
	a       *API
	plan    *batchPlan
	cfg     batchConfig
	res     *BatchResult
	pending []int       // commands not yet sent, in order (requeued ones first)
	rounds  map[int]int // how many times a command was refused or requeued
	stop    bool
	cause   error // why the run stopped early
	stopAt  string
	amb     []ambiguousChunk
}

type ambiguousChunk struct {
	idx    []int     // the chunk's ambiguous writes
	sentAt time.Time // when the request was sent
}

type chunkDone struct {
	idx []int
	out chunkOutcome
}

func (r *chunkRun) run(ctx context.Context) {
	done := make(chan chunkDone)
	inflight := 0
	for {
		for !r.stop && inflight < r.cfg.concurrency && len(r.pending) > 0 {
			if err := ctx.Err(); err != nil {
				r.stop, r.cause = true, err
				break
			}
			chunk := r.take()
			inflight++
			go func() {
				out := r.a.runChunk(ctx, r.plan, chunk, r.cfg, r.res.Commands)
				done <- chunkDone{chunk, out}
			}()
		}
		if inflight == 0 {
			break
		}
		d := <-done
		inflight--
		r.apply(ctx, d)
	}
	for _, i := range r.pending {
		c := &r.res.Commands[i]
		switch {
		case r.cause != nil && ctx.Err() != nil && errors.Is(r.cause, ctx.Err()):
			c.Err = fmt.Errorf("%w: %w", ErrNotExecuted, ctx.Err())
		case r.stopAt != "":
			c.Err = fmt.Errorf("%w: BatchByChunk stopped after a failure at command %s", ErrNotExecuted, r.stopAt)
		case r.cause != nil:
			c.Err = fmt.Errorf("%w: BatchByChunk stopped: %w", ErrNotExecuted, r.cause)
		}
	}
}

// take removes the next chunk from the pending queue: at most
// MaxBatchCommands commands and, after the first, at most chunkBytes bytes.
func (r *chunkRun) take() []int {
	size := 32
	n := 0
	for n < len(r.pending) && n < MaxBatchCommands {
		s := r.plan.Size(r.pending[n])
		if n > 0 && size+s > r.cfg.chunkBytes {
			break
		}
		size += s
		n++
	}
	chunk := slices.Clone(r.pending[:n])
	r.pending = r.pending[n:]
	return chunk
}

// requeue puts commands back at the front of the queue, in order.
func (r *chunkRun) requeue(idx []int) {
	if len(idx) == 0 {
		return
	}
	slices.Sort(idx)
	r.pending = append(idx, r.pending...)
}

// apply takes one chunk's outcome: requeues what may be sent again and
// decides whether to stop.
func (r *chunkRun) apply(ctx context.Context, d chunkDone) {
	r.res.Requests += d.out.requests
	cmds := r.res.Commands
	if d.out.halted && r.cfg.halt {
		r.res.Halted = true
	}
	if err := d.out.err; err != nil {
		var again, writes []int
		for _, i := range d.idx {
			if cmds[i].State == CommandAmbiguous && IsReadMethod(r.plan.cmds[i].Method) && r.rounds[i] < r.cfg.maxRounds && ctx.Err() == nil {
				r.rounds[i]++
				cmds[i].State, cmds[i].Err = CommandNotExecuted, ErrNotExecuted
				again = append(again, i)
			} else if cmds[i].State == CommandAmbiguous && IsReadMethod(r.plan.cmds[i].Method) {
				cmds[i].State, cmds[i].Err = CommandNotExecuted, fmt.Errorf("%w: %w", ErrNotExecuted, err)
			} else if cmds[i].State == CommandAmbiguous {
				writes = append(writes, i)
			}
		}
		r.requeue(again)
		if len(writes) > 0 {
			sent := d.out.sendAt // the cut-off runs from the send, not the answer
			if sent.IsZero() {
				sent = d.out.sentAt
			}
			r.amb = append(r.amb, ambiguousChunk{idx: writes, sentAt: sent})
		}
		switch {
		case ctx.Err() != nil:
			r.stopWith(ctx.Err(), -1)
		case d.out.halted || len(writes) > 0:
			// A REST 3.0 batch aborted at one of its commands, or writes
			// whose outcome is unknown: failures of commands, not of the run.
			if r.cfg.halt {
				r.stopWith(nil, append(writes, d.idx[0])[0])
			}
		default:
			r.stopWith(err, -1)
		}
		return
	}
	// The batch ran: requeue the commands refused inside it, and, if the
	// portal halted at such a refusal, those it skipped.
	realFail := -1
	var again []int
	for _, i := range d.idx {
		c := &cmds[i]
		if c.State != CommandFailed {
			continue
		}
		if isSubRefusal(c.Err) && r.rounds[i] < r.cfg.maxRounds {
			r.rounds[i]++
			again = append(again, i)
			continue
		}
		if realFail < 0 {
			realFail = i
		}
	}
	if realFail < 0 && len(again) > 0 {
		for _, i := range d.idx {
			if cmds[i].State == CommandNotExecuted {
				again = append(again, i)
			}
		}
		r.res.Halted = false
	}
	for _, i := range again {
		cmds[i].State, cmds[i].Err, cmds[i].Result, cmds[i].spans = CommandNotExecuted, ErrNotExecuted, nil, nil
	}
	r.requeue(again)
	if realFail >= 0 && r.cfg.halt {
		r.stopWith(nil, realFail)
	}
}

func (r *chunkRun) stopWith(err error, failedAt int) {
	if r.stop {
		return
	}
	r.stop = true
	if err != nil {
		r.cause = err
	}
	if failedAt >= 0 {
		r.stopAt = r.res.Commands[failedAt].label()
		r.res.Halted = true
	}
}

// reconcile settles the ambiguous writes with the reconciler, in one call
// once the portal's cut-off has passed since the last of them was sent.
func (r *chunkRun) reconcile(ctx context.Context) {
	if r.cfg.reconciler == nil {
		return
	}
	var idx []int
	var sent []time.Time
	var until time.Time
	for _, ac := range r.amb {
		for _, i := range ac.idx {
			idx = append(idx, i)
			sent = append(sent, ac.sentAt)
		}
		if t := ac.sentAt.Add(r.cfg.cutoff); t.After(until) {
			until = t
		}
	}
	if len(idx) == 0 || sleepCtx(ctx, time.Until(until)) != nil {
		return
	}
	cmds := make([]Cmd, len(idx))
	for k, i := range idx {
		cmds[k] = r.plan.cmds[i]
	}
	got := r.cfg.reconciler(ctx, r.a, cmds, sent)
	for k, i := range idx {
		c := &r.res.Commands[i]
		if k >= len(got) {
			c.Err = fmt.Errorf("%w (the reconciler settled %d of %d writes)", c.Err, len(got), len(idx))
			continue
		}
		applySettled(c, got[k])
	}
}

// applySettled records what the reconciler found for one ambiguous write.
// A state it may not set leaves the write Ambiguous.
func applySettled(c *CommandResult, s Settled) {
	switch {
	case s.State == CommandDone && s.Err == nil:
		c.State, c.Err, c.Reconciled, c.Result, c.spans = CommandDone, nil, true, s.Result, nil
	case s.State == CommandNotExecuted && errors.Is(s.Err, ErrNotExecuted):
		c.State, c.Reconciled = CommandNotExecuted, true
		c.Err = fmt.Errorf("the reconciler found that the write did not take effect: %w", s.Err)
	case s.State == CommandConflict && errors.Is(s.Err, ErrConflict):
		c.State, c.Reconciled = CommandConflict, true
		c.Err = fmt.Errorf("%w (read back: %w)", c.Err, s.Err)
	case s.Err != nil:
		c.Err = fmt.Errorf("%w (reconciler: %v)", c.Err, s.Err)
	default:
		c.Err = fmt.Errorf("%w (reconciler: no verdict: %v)", c.Err, s.State)
	}
}

// Reconciler decides whether ambiguous writes took effect, by reading back
// what they wrote (package reconcile has some): for cmds[i], sent at
// sentAt[i], the Settled at i. BatchByChunk calls it once, after the last
// chunk and once the portal's request cut-off has passed since the last
// send; calls through api are paced as usual.
type Reconciler func(ctx context.Context, api *API, cmds []Cmd, sentAt []time.Time) []Settled

// Settled is what a Reconciler found for one write: Done (nil Err),
// NotExecuted (the write did not take effect: safe to send again; Err must
// wrap ErrNotExecuted, so that a zero Settled, an entry a Reconciler forgot,
// never reads as "send again"), Conflict (another user changed the record
// since; Err wraps ErrConflict), or Ambiguous with Err saying why it cannot
// tell. Any other Settled leaves the write Ambiguous.
type Settled struct {
	State CommandState
	Err   error
	// Result, when Done and known, becomes the command's result (a create
	// found by its key: the record's id).
	Result json.RawMessage
}
