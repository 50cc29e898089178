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
)

// prepareV3 encodes each command as {"method","query","as"} and checks its
// references ($ref/$refArray) when refs is set; otherwise refuses them.
func (p *batchPlan) prepareV3(refs bool) error {
	queries := make([][]byte, len(p.cmds))
	aliases := make([]string, len(p.cmds))
	methods := make([]string, len(p.cmds))
	for i, c := range p.cmds {
		q, err := encodeParams(c.Method, c.Params)
		if err != nil {
			return fmt.Errorf("b24: batch command %d: %w", i, err)
		}
		if q[0] != '{' {
			return fmt.Errorf("b24: batch command %d (%s): a REST 3.0 query must be a JSON object", i, c.Method)
		}
		if !refs && v3RefPattern.Match(q) {
			return fmt.Errorf("b24: BatchByChunk command %d (%s) holds a batch reference; chunked commands must be independent (use Batch)", i, c.Method)
		}
		queries[i], aliases[i], methods[i] = q, c.Name, c.Method
		var b bytes.Buffer
		m, _ := json.Marshal(c.Method)
		b.WriteString(`{"method":`)
		b.Write(m)
		b.WriteString(`,"query":`)
		b.Write(q)
		if c.Name != "" {
			as, _ := json.Marshal(c.Name)
			b.WriteString(`,"as":`)
			b.Write(as)
		}
		b.WriteByte('}')
		p.wire[i] = b.Bytes()
	}
	if refs {
		return checkV3Refs(queries, aliases, methods)
	}
	return nil
}

// v3Body is the JSON array of a REST 3.0 batch.
func (p *batchPlan) v3Body(idx []int) []byte {
	n := 2
	for _, i := range idx {
		n += p.size(i)
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for j, i := range idx {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, p.wire[i]...)
	}
	return append(b, ']')
}

// runV3 sends one REST 3.0 batch.
func (a *API) runV3(ctx context.Context, p *batchPlan, idx []int, cfg batchConfig, out []CommandResult) chunkOutcome {
	body := p.v3Body(idx)
	var sendAt time.Time
	resp, err := a.Call(ctx, "batch", json.RawMessage(body), append(slices.Clip(cfg.callOpts), withOnSend(func(t time.Time) { sendAt = t }))...)
	o := chunkOutcome{resp: resp, err: err, sentAt: time.Now(), sendAt: sendAt, requests: 1}
	if resp != nil {
		o.requests = resp.Attempts
	}
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
	results, derr := v3Results(resp.Result, p, idx)
	if derr != nil {
		o.err = p.unreadable(resp, derr, idx, out)
		return o
	}
	for j, i := range idx {
		c := &out[i]
		c.Total, c.Next, c.Time, c.Reconciled = nil, nil, nil, false
		if results[j] == nil {
			c.State, c.Result = Ambiguous, nil
			c.Err = fmt.Errorf("%w: the batch answer has no entry for command %s", ErrAmbiguous, c.label())
			continue
		}
		c.State, c.Result, c.Err = Done, results[j], nil
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
		c.Result, c.Total, c.Next, c.Time = nil, nil, nil, nil
		switch {
		case len(idx) == 1:
			c.State, c.Err = Failed, ae
		case IsReadMethod(p.cmds[i].Method):
			c.State = Failed
			c.Err = fmt.Errorf("the REST 3.0 batch aborted at one of its commands: %w", ae)
		default:
			c.State = Ambiguous
			c.Err = fmt.Errorf("%w: the REST 3.0 batch aborted at an unidentified command (those before it ran): %w", ErrAmbiguous, ae)
		}
	}
}

// v3Results maps a REST 3.0 batch result onto the chunk's commands: a JSON
// array by position; an object by alias, an unaliased command taking the
// next integer key (PHP's append).
func v3Results(raw json.RawMessage, p *batchPlan, idx []int) ([]json.RawMessage, error) {
	m, err := phpKeyed(raw)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(idx))
	byPos := len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '['
	next := 0
	for j, i := range idx {
		key := p.cmds[i].Name
		if byPos || key == "" {
			key = strconv.Itoa(next)
			if byPos {
				key = strconv.Itoa(j)
			}
			next++
		}
		if v, ok := m[key]; ok {
			out[j] = v
		}
	}
	return out, nil
}
