package b24

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/b24go/b24/internal/listwalk"
	"github.com/b24go/b24/limit"
)

// bind gives the engine its view of the options: the cursor to resume
// from, a report to fill and the progress function, in its own types.
func (c *listConfig) bind() {
	if c.resume != nil {
		r := listwalk.Cursor{Version: c.resume.Version, Query: c.resume.Query, Desc: c.resume.Desc,
			Ranges: make([]listwalk.Range, len(c.resume.Ranges))}
		for i, x := range c.resume.Ranges {
			r.Ranges[i] = listwalk.Range(x)
		}
		c.walk.Resume = &r
	}
	if c.report != nil {
		c.walk.Report = &listwalk.Report{}
	}
	if f := c.progress; f != nil {
		c.walk.Progress = func(p listwalk.Progress) {
			f(ListProgress{Rows: p.Rows, Requests: p.Requests, Covered: p.Covered, Cursor: cursorOf(p.Cursor)})
		}
	}
}

// finish copies the engine's report into the caller's.
func (c *listConfig) finish() {
	r := c.walk.Report
	if c.report == nil || r == nil {
		return
	}
	*c.report = ListReport{Method: r.Method, Mode: r.Mode, Rows: r.Rows, UniqueIDs: r.UniqueIDs, Duplicates: r.Duplicates,
		MinID: r.MinID, MaxID: r.MaxID, Requests: r.Requests, Retries: r.Retries, Pages: r.Pages, Dropped: r.Dropped,
		Shards: r.Shards, FirstTotal: r.FirstTotal, LastTotal: r.LastTotal, End: ListEnd(r.End), Err: r.Err,
		Elapsed: r.Elapsed, Cursor: cursorOf(r.Cursor)}
}

// cursorOf is the engine's cursor in its public type (nil for nil).
func cursorOf(c *listwalk.Cursor) *ListCursor {
	if c == nil {
		return nil
	}
	out := &ListCursor{Version: c.Version, Query: c.Query, Desc: c.Desc, Ranges: make([]CursorRange, len(c.Ranges))}
	for i, r := range c.Ranges {
		out.Ranges[i] = CursorRange(r)
	}
	return out
}

// listCaller carries a walk's calls and batches through api, with the
// walk's call options: the engine's listwalk.Caller.
type listCaller struct {
	api  *API
	opts []CallOption
}

func (c listCaller) V3() bool { return c.api.version == APIv3 }

// ResultsChecked: every result comes from decodeEnvelope, which checked the
// whole body with jsonscan.Valid (listwalk.Checked).
func (c listCaller) ResultsChecked() bool { return true }
func (c listCaller) Logger() *slog.Logger { return c.api.h.Logger() }

func (c listCaller) Call(ctx context.Context, method string, params any) (listwalk.Page, error) {
	resp, err := c.api.Call(ctx, method, params, c.opts...)
	if resp == nil {
		return listwalk.Page{Requests: 1}, err
	}
	return listwalk.Page{Result: resp.Result, Total: resp.Total, Next: resp.Next, Requests: resp.Attempts}, err
}

func (c listCaller) Batch(ctx context.Context, cmds []listwalk.Command) ([]listwalk.Answer, int, error) {
	in := make([]Cmd, len(cmds))
	for i, x := range cmds {
		in[i] = Cmd(x)
	}
	res, err := c.api.Batch(ctx, in, WithBatchCallOptions(c.opts...))
	if res == nil {
		return nil, 1, err
	}
	p := c.api.h.RestrictionParams()
	now := time.Now()
	out := make([]listwalk.Answer, len(res.Commands))
	for i, cr := range res.Commands {
		a := listwalk.Answer{Name: cr.Name, Method: cr.Method, Done: cr.State == CommandDone, NotRun: cr.State == CommandNotExecuted,
			Result: cr.Result, Spans: cr.spans, Refused: isSubRefusal(cr.Err), Err: cr.Err}
		a.ResetAt = saneResetAt(cr.Time, cr.Method, now, p.Operating.Window)
		out[i] = a
	}
	return out, res.Requests, nil
}

// Fit implements listwalk.Fitter through a limit.Fitter: how many of n
// commands of method fit the batch's operating budget now (billed as a
// batch or per command, as the Hook bills its next batch); n when the
// limiter cannot tell.
func (c listCaller) Fit(method string, n int) int {
	h := c.api.h
	f, ok := h.limiter.(limit.Fitter)
	if !ok {
		return n
	}
	m := "batch"
	if h.billing.resolve(h.params.Load().Operating.BatchBilling) == limit.BatchBilledPerCommand {
		m = strings.ToLower(method)
	}
	return f.Fit(limit.Request{Portal: h.host, Credential: h.credential, Methods: []string{m}, Units: []int{n}})
}

func (c listCaller) Pacing() listwalk.Pacing {
	r := c.api.h.RestrictionParams().Retry
	return listwalk.Pacing{Base: r.BaseDelay, Max: r.MaxDelay, MaxWait: r.MaxRefusalWait}
}

// saneResetAt is the operating_reset_at of a command's time block,
// sanitised by SaneReport (zero when absent or not sane).
func saneResetAt(t *Timing, method string, now time.Time, window time.Duration) time.Time {
	if at, ok := t.ResetAt(); ok {
		if r, ok := limit.SaneReport(limit.OperatingReport{Method: method, ResetAt: at}, now, window); ok {
			return r.ResetAt
		}
	}
	return time.Time{}
}
