// Package limtrace is a Limiter that traces each request, for the benches
// (listbench -trace, TestSlotsVirtual's B24_BENCH_SLOTS_TRACE).
package limtrace

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/b24go/b24/limit"
)

// Tracer wraps a Limiter and writes one line per request to W: when the
// client asked, when the limiter admitted it and when it was answered (in
// seconds from T0), its billed methods and units, the reported figure and
// whether it was refused; with Figures, each report's figure, finish and
// reset too. It forwards Fit, so that the list engine sizes its batches as
// without it, and counts the refused requests and the largest figure.
type Tracer struct {
	limit.Limiter
	W       io.Writer
	T0      time.Time
	Figures bool

	mu      sync.Mutex
	refused int
	most    time.Duration
}

// Fit forwards to the Limiter's Fit (1 when it has none).
func (t *Tracer) Fit(req limit.Request) int {
	if f, ok := t.Limiter.(limit.Fitter); ok {
		return f.Fit(req)
	}
	return 1
}

// Acquire admits a request through the Limiter.
func (t *Tracer) Acquire(ctx context.Context, req limit.Request) (limit.Permit, error) {
	ask := time.Since(t.T0)
	p, err := t.Limiter.Acquire(ctx, req)
	if err != nil {
		return nil, err
	}
	return &permit{Permit: p, t: t, req: req, ask: ask, got: time.Since(t.T0)}, nil
}

// Seen returns the requests refused at top level so far and the largest
// figure answered.
func (t *Tracer) Seen() (refused int, most time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused, t.most
}

type permit struct {
	limit.Permit
	t        *Tracer
	req      limit.Request
	ask, got time.Duration
}

func (p *permit) Release(o limit.Outcome) {
	var op time.Duration
	for _, r := range o.Reports {
		op = max(op, r.Operating)
	}
	t := p.t
	t.mu.Lock()
	if o.Refused != limit.NotRefused {
		t.refused++
	}
	t.most = max(t.most, op)
	fmt.Fprintf(t.W, "%8.3f %8.3f %8.3f %v %v op %.3f refused %d", p.ask.Seconds(), p.got.Seconds(),
		time.Since(t.T0).Seconds(), p.req.Methods, p.req.Units, op.Seconds(), o.Refused)
	if t.Figures {
		for _, r := range o.Reports {
			fmt.Fprintf(t.W, " [%s %.3f finish %.6f reset %.3f]", r.Method, r.Operating.Seconds(),
				r.Finish.Sub(t.T0).Seconds(), r.ResetAt.Sub(t.T0).Seconds())
		}
	}
	fmt.Fprintln(t.W)
	t.mu.Unlock()
	p.Permit.Release(o)
}
