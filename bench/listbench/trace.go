package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/b24go/b24/limit"
)

// tracer is a Limiter that writes one line per request (-trace): when the
// client asked, when the limiter admitted it and when it was answered (in
// seconds from the start), its billed methods and units, the reported
// figure and whether it was refused. It forwards Fit, so that the list
// engine sizes its batches as without it.
type tracer struct {
	limit.Limiter
	mu sync.Mutex
	w  io.Writer
	t0 time.Time
}

type tracePermit struct {
	limit.Permit
	t        *tracer
	req      limit.Request
	ask, got time.Duration
}

func (t *tracer) Fit(req limit.Request) int {
	if f, ok := t.Limiter.(limit.Fitter); ok {
		return f.Fit(req)
	}
	return 1
}

func (t *tracer) Acquire(ctx context.Context, req limit.Request) (limit.Permit, error) {
	ask := time.Since(t.t0)
	p, err := t.Limiter.Acquire(ctx, req)
	if err != nil {
		return nil, err
	}
	return &tracePermit{Permit: p, t: t, req: req, ask: ask, got: time.Since(t.t0)}, nil
}

func (p *tracePermit) Release(o limit.Outcome) {
	var op time.Duration
	for _, r := range o.Reports {
		op = max(op, r.Operating)
	}
	p.t.mu.Lock()
	fmt.Fprintf(p.t.w, "%8.3f %8.3f %8.3f %v %v op %.3f refused %d\n", p.ask.Seconds(), p.got.Seconds(),
		time.Since(p.t.t0).Seconds(), p.req.Methods, p.req.Units, op.Seconds(), o.Refused)
	p.t.mu.Unlock()
	p.Permit.Release(o)
}
