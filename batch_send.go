package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/b24go/b24/internal/batchwire"
	"github.com/b24go/b24/internal/jsonscan"
	"github.com/b24go/b24/internal/php"

	"github.com/b24go/b24/limit"
)

// chunkOutcome is what one batch request gave.
type chunkOutcome struct {
	resp     *Response
	err      error // the request's error (nil when the batch answered)
	halted   bool
	requests int
	sentAt   time.Time // when the request's answer (or failure) came back
	sendAt   time.Time // when its last attempt was sent (zero if none was)
}

// batchPlan holds the commands of a batch with each one's wire form,
// encoded once: on v2 the JSON string "method?query", on v3 the JSON object
// {"method","query","as"}.
type batchPlan struct {
	batchwire.Plan
	cmds []Cmd
}

// prepare encodes every command. With refs, references must name earlier
// commands; without, any reference is refused (BatchByChunk's commands must
// be independent).
func (a *API) prepare(cmds []Cmd, refs bool) (*batchPlan, error) {
	if err := validateNames(cmds); err != nil {
		return nil, err
	}
	p := &batchPlan{Plan: batchwire.Plan{V3: a.version == APIv3, Methods: make([]string, len(cmds)),
		Names: make([]string, len(cmds)), Wire: make([][]byte, len(cmds))}, cmds: cmds}
	for i, c := range cmds {
		p.Methods[i], p.Names[i] = c.Method, c.Name
	}
	if p.V3 {
		return p, p.prepareV3(refs)
	}
	lines := make([]string, len(cmds))
	keys := make([]string, len(cmds))
	for i, c := range cmds {
		l, err := v2Line(i, c)
		if err != nil {
			return nil, err
		}
		lines[i], keys[i] = l, c.Name
		if keys[i] == "" {
			keys[i] = strconv.Itoa(i)
		}
		if !refs && batchwire.HasV2Ref(l) {
			return nil, fmt.Errorf("b24: BatchByChunk command %d (%s) holds a batch reference; chunked commands must be independent (use Batch)", i, c.Method)
		}
		p.Wire[i], _ = json.Marshal(l)
	}
	if refs {
		return p, batchwire.CheckV2Refs(lines, keys, p.Methods)
	}
	return p, nil
}

// runChunk sends the commands plan.cmds[idx...] as one batch request and
// writes their outcomes into out (indexed like plan.cmds).
func (a *API) runChunk(ctx context.Context, p *batchPlan, idx []int, cfg batchConfig, out []CommandResult) chunkOutcome {
	if p.V3 {
		return a.runV3(ctx, p, idx, cfg, out)
	}
	return a.runV2(ctx, p, idx, cfg, out)
}

// sendChunk sends one batch body, noting when it was sent and answered.
func (a *API) sendChunk(ctx context.Context, body []byte, cfg batchConfig) chunkOutcome {
	var sendAt time.Time
	resp, err := a.Call(ctx, "batch", json.RawMessage(body), append(slices.Clip(cfg.callOpts), withOnSend(func(t time.Time) { sendAt = t }))...)
	o := chunkOutcome{resp: resp, err: err, sentAt: time.Now(), sendAt: sendAt, requests: 1}
	if resp != nil {
		o.requests = resp.Attempts
	}
	return o
}

// runV2 sends one v2 batch.
func (a *API) runV2(ctx context.Context, p *batchPlan, idx []int, cfg batchConfig, out []CommandResult) chunkOutcome {
	body, keys := p.V2Body(idx, cfg.halt)
	o := a.sendChunk(ctx, body, cfg)
	resp, err := o.resp, o.err
	if err != nil {
		markRequestFailed(out, idx, err, p.allReads(idx))
		return o
	}
	sec, derr := decodeV2Sections(resp)
	if derr != nil {
		o.err = p.unreadable(resp, derr, idx, out)
		return o
	}
	failedAt := -1
	for j, i := range idx {
		c := &out[i]
		k := keys[j]
		c.Result, c.spans, c.Total, c.Next, c.Time, c.Reconciled = nil, nil, nil, nil, nil, false
		if raw, ok := sec.Errors[k]; ok {
			c.State = CommandFailed
			c.Err = subError(raw, p.cmds[i].Method, resp.RequestID)
			if failedAt < 0 {
				failedAt = j
			}
			continue
		}
		if raw, ok := sec.Result[k]; ok {
			c.State = CommandDone
			c.Err = nil
			c.Result, c.spans = raw, sec.Spans[k]
			c.Total = optInt(sec.Total[k])
			c.Next = optInt(sec.Next[k])
			c.Time = sec.times[k]
			continue
		}
		c.State = CommandNotExecuted
		c.Err = ErrNotExecuted
	}
	if cfg.halt && failedAt >= 0 {
		for j := failedAt + 1; j < len(idx); j++ {
			if c := &out[idx[j]]; c.State == CommandNotExecuted {
				o.halted = true
				c.Err = fmt.Errorf("%w: the batch halted at command %s", ErrNotExecuted, out[idx[failedAt]].label())
			}
		}
	}
	return o
}

// unreadable reports a batch answer that could not be read (derr): every
// command of the chunk is marked as if the request had failed, Ambiguous
// when the chunk has a write. It returns the chunk's error.
func (p *batchPlan) unreadable(resp *Response, derr error, idx []int, out []CommandResult) error {
	var err error = &ResponseError{Method: "batch", RequestID: resp.RequestID, Status: resp.Status, Err: derr}
	reads := p.allReads(idx)
	if !reads {
		err = fmt.Errorf("%w: %w", ErrAmbiguous, err)
	}
	markRequestFailed(out, idx, err, reads)
	return err
}

// markRequestFailed sets the state of every command of a batch whose request
// failed: Ambiguous when the portal may have run it (a write sent without an
// answer), NotExecuted otherwise.
func markRequestFailed(out []CommandResult, idx []int, err error, reads bool) {
	amb := errors.Is(err, ErrAmbiguous)
	for _, i := range idx {
		c := &out[i]
		c.Result, c.spans, c.Total, c.Next, c.Time = nil, nil, nil, nil, nil
		if amb && !reads {
			c.State = CommandAmbiguous
			c.Err = err
		} else {
			c.State = CommandNotExecuted
			c.Err = fmt.Errorf("%w: the batch request failed: %w", ErrNotExecuted, err)
		}
	}
}

func (p *batchPlan) allReads(idx []int) bool {
	for _, i := range idx {
		if !IsReadMethod(p.cmds[i].Method) {
			return false
		}
	}
	return true
}

// subError turns a result_error entry into an *APIError.
func subError(raw json.RawMessage, method, reqID string) error {
	var env envelope
	if json.Unmarshal(raw, &env) == nil {
		if e := apiErrorOf(&env, 200, method, APIv2, reqID); e != nil {
			return e
		}
	}
	return &APIError{Description: string(raw), Status: 200, Method: method, RequestID: reqID, API: APIv2}
}

// v2Sections are the five sections of a v2 batch's result.
type v2Sections struct {
	batchwire.Sections
	times map[string]*Timing
}

// v2Split is a v2 batch result split into its five sections as sent, with
// result_time decoded; err is set when the result is neither an object nor null.
type v2Split struct {
	env   batchwire.Envelope
	times map[string]*Timing
	err   error
}

// batchSplit splits the response's result as a v2 batch's, once: the
// operating report and the batch layer both read it, and a batch of 50 list
// pages runs to hundreds of kilobytes.
func (r *Response) batchSplit() *v2Split {
	if r.split == nil {
		s := &v2Split{}
		if !r.checked && !jsonscan.Valid(r.Result) {
			s.err = json.Unmarshal(r.Result, &s.env) // the decoder's words
			if s.err == nil {
				s.err = errors.New("invalid JSON") // unreachable: Valid agrees with json.Valid
			}
		} else if s.env, s.err = batchwire.SplitEnvelope(r.Result); s.err == nil {
			s.times = keyedTimes(s.env.Time)
		}
		r.split = s
	}
	return r.split
}

// decodeV2Sections decodes a v2 batch result. Each section is a PHP array:
// [] when empty, a JSON list when its keys are 0..n-1, an object otherwise.
func decodeV2Sections(resp *Response) (*v2Sections, error) {
	if empty, err := batchwire.IsEmptyList(resp.Result); empty || err != nil {
		return &v2Sections{}, err
	}
	split := resp.batchSplit()
	if split.err != nil {
		return nil, fmt.Errorf("batch result: %w", split.err)
	}
	keyed, err := split.env.Keyed()
	if err != nil {
		return nil, err
	}
	return &v2Sections{*keyed, split.times}, nil
}

// batchSubRefusal reports whether a 200 batch answer holds a command refused
// by a limit (QUERY_LIMIT_EXCEEDED or OPERATION_TIME_LIMIT in result_error),
// so that the limiter holds back before the next request. For an operating
// refusal it names the billed method: the command's own under per-command
// billing, otherwise the batch's.
func batchSubRefusal(v APIVersion, resp *Response, body []byte, billed []string) (limit.Refusal, string) {
	if v != APIv2 || resp == nil {
		return limit.NotRefused, ""
	}
	// Only result_error can hold a refusal: a batch of list pages is
	// hundreds of kilobytes of rows, its result_error a few bytes.
	if len(resp.Result) == 0 || resp.Result[0] != '{' {
		return limit.NotRefused, ""
	}
	errs := resp.batchSplit().env.Error
	if !bytes.Contains(errs, []byte("QUERY_LIMIT_EXCEEDED")) && !bytes.Contains(errs, []byte("OPERATION_TIME_LIMIT")) {
		return limit.NotRefused, ""
	}
	sec, err := decodeV2Sections(resp)
	if err != nil {
		return limit.NotRefused, ""
	}
	refusal := limit.NotRefused
	var methods map[string]string
	for k, raw := range sec.Errors {
		e, ok := subError(raw, "", "").(*APIError)
		if !ok {
			continue
		}
		switch {
		case errors.Is(e, ErrOperationTimeLimit):
			if len(billed) == 1 {
				return limit.RefusedOperating, billed[0]
			}
			if methods == nil {
				methods = batchwire.CommandMethods(body)
			}
			return limit.RefusedOperating, methods[k]
		case errors.Is(e, ErrQueryLimitExceeded):
			refusal = limit.RefusedRate
		}
	}
	return refusal, ""
}

// isSubRefusal reports whether a command's error is a refusal before running.
func isSubRefusal(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == 200 && (errors.Is(e, ErrQueryLimitExceeded) || errors.Is(e, ErrOperationTimeLimit))
}

// prepareV3 encodes each command as {"method","query","as"} and checks its
// references ($ref/$refArray) when refs is set; otherwise refuses them.
func (p *batchPlan) prepareV3(refs bool) error {
	queries := make([][]byte, len(p.cmds))
	for i, c := range p.cmds {
		q, err := encodeParams(c.Method, c.Params)
		if err != nil {
			return fmt.Errorf("b24: batch command %d: %w", i, err)
		}
		if q[0] != '{' {
			return fmt.Errorf("b24: batch command %d (%s): a REST 3.0 query must be a JSON object", i, c.Method)
		}
		if !refs && batchwire.HasV3Ref(q) {
			return fmt.Errorf("b24: BatchByChunk command %d (%s) holds a batch reference; chunked commands must be independent (use Batch)", i, c.Method)
		}
		queries[i] = q
		p.Wire[i] = batchwire.V3Command(c.Method, q, c.Name)
	}
	if refs {
		return batchwire.CheckV3Refs(queries, p.Names, p.Methods)
	}
	return nil
}

// runV3 sends one REST 3.0 batch.
func (a *API) runV3(ctx context.Context, p *batchPlan, idx []int, cfg batchConfig, out []CommandResult) chunkOutcome {
	body := p.V3Body(idx)
	o := a.sendChunk(ctx, body, cfg)
	resp, err := o.resp, o.err
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && !errors.Is(err, ErrAmbiguous) && !v3RefusedBeforeRunning(ae) {
			o.halted = true
			markV3Aborted(p, out, idx, ae)
			return o
		}
		markRequestFailed(out, idx, err, p.allReads(idx))
		return o
	}
	names := make([]string, len(idx))
	for j, i := range idx {
		names[j] = p.Names[i]
	}
	results, derr := batchwire.V3Results(resp.Result, names)
	if derr != nil {
		o.err = p.unreadable(resp, derr, idx, out)
		return o
	}
	for j, i := range idx {
		c := &out[i]
		c.Total, c.Next, c.Time, c.Reconciled = nil, nil, nil, false
		if results[j] == nil {
			c.State, c.Result, c.spans = CommandAmbiguous, nil, nil
			c.Err = fmt.Errorf("%w: the batch answer has no entry for command %s", ErrAmbiguous, c.label())
			continue
		}
		c.State, c.Result, c.spans, c.Err = CommandDone, results[j], nil, nil
	}
	return o
}

// v3RefusedBeforeRunning reports whether a REST 3.0 batch's error means that
// no command ran: a refusal by a limit, or the webhook's credentials.
func v3RefusedBeforeRunning(e *APIError) bool {
	for _, c := range []Code{ErrQueryLimitExceeded, ErrOperationTimeLimit, ErrOverloadLimit, ErrInvalidCredentials, ErrNoAuthFound} {
		if errors.Is(e, c) {
			return true
		}
	}
	return false
}

// markV3Aborted reports an aborted REST 3.0 batch. Its error answer does not
// say which command failed: the commands before it ran, those after it did
// not. One command is simply Failed; with several, writes are Ambiguous
// (they may have run) and reads Failed (repeat them).
func markV3Aborted(p *batchPlan, out []CommandResult, idx []int, ae *APIError) {
	for _, i := range idx {
		c := &out[i]
		c.Result, c.spans, c.Total, c.Next, c.Time = nil, nil, nil, nil, nil
		switch {
		case len(idx) == 1:
			c.State, c.Err = CommandFailed, ae
		case IsReadMethod(p.cmds[i].Method):
			c.State = CommandFailed
			c.Err = fmt.Errorf("the REST 3.0 batch aborted at one of its commands: %w", ae)
		default:
			c.State = CommandAmbiguous
			c.Err = fmt.Errorf("%w: the REST 3.0 batch aborted at an unidentified command (those before it ran): %w", ErrAmbiguous, ae)
		}
	}
}

// keyedTimes decodes a v2 batch's result_time section (a PHP array, see
// phpKeyed). Entries that are not time blocks are skipped.
func keyedTimes(raw json.RawMessage) map[string]*Timing {
	m, _ := batchwire.PHPKeyed(raw)
	out := make(map[string]*Timing, len(m))
	for k, v := range m {
		if t := timingOf(v); t != nil {
			out[k] = t
		}
	}
	return out
}

// batchTimes returns the per-command time blocks of a v2 batch response.
func batchTimes(r *Response) map[string]*Timing {
	if len(r.Result) == 0 || r.Result[0] != '{' {
		return nil
	}
	return r.batchSplit().times
}

// batchReportsPerCommand attributes each sub-result's operating figure to
// its command's method (BatchBilledPerCommand). A method run by several
// commands takes the figure of its latest finish (the largest of those that
// finish together, or of all without a finish): a running figure taken at
// an earlier command's finish lacks the later commands' time, even when it
// is larger (a slot expired in between), and read as the whole batch's it
// made the limiter learn a cost below what the batch had spent (issue 16).
// A finish after the batch's own is read as none. Each report's start is
// the batch's: the portal stores a request's time in the slot of its start.
// REST 3.0 batches report no per-command time, so they yield nothing.
func batchReportsPerCommand(r *Response, v APIVersion, body []byte) []limit.OperatingReport {
	if v != APIv2 {
		return nil
	}
	methods := batchwire.CommandMethods(body)
	best := map[string]limit.OperatingReport{}
	var order []string
	for key, t := range batchTimes(r) {
		m, ok := methods[key]
		if !ok {
			continue
		}
		op, ok := t.OperatingDuration()
		if !ok {
			continue
		}
		reset, _ := t.ResetAt()
		fin := t.finishAt()
		if end := r.Time.finishAt(); !end.IsZero() && fin.After(end) {
			fin = time.Time{} // after the batch's own finish: absurd, read as none
		}
		cur, seen := best[m]
		if !seen {
			order = append(order, m)
		}
		if !seen || fin.After(cur.Finish) || fin.Equal(cur.Finish) && op > cur.Operating {
			best[m] = limit.OperatingReport{Method: m, Operating: op, ResetAt: reset, Finish: fin, Start: r.Time.startAt()}
		}
	}
	slices.Sort(order)
	out := make([]limit.OperatingReport, 0, len(order))
	for _, m := range order {
		out = append(out, best[m])
	}
	return out
}

// v2Line is the wire form of v2 command i: "method?query".
func v2Line(i int, c Cmd) (string, error) {
	line, err := batchwire.V2Line(c.Method, c.Params)
	var ve *php.ValueError
	switch {
	case errors.As(err, &ve):
		return "", &QueryParamError{Index: i, Method: c.Method, Path: ve.Path, Value: ve.Value}
	case err != nil:
		return "", fmt.Errorf("b24: batch command %d (%s): encoding params: %w", i, c.Method, err)
	}
	return line, nil
}
