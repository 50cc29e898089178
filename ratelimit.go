package b24

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b24go/b24/internal/wait"
	"golang.org/x/time/rate"
)

// NewLimiter returns the in-memory Limiter a Hook uses by default, built from
// p (zero fields take the StandardPlan defaults). Give the same Limiter to
// several hooks of one portal (WithLimiter) so that they share its budgets.
//
// The request bucket is a token bucket on golang.org/x/time/rate that admits
// what the portal's leaky bucket admits, keeping one request of headroom for
// network jitter (a request sent on time may arrive early). After a 503
// QUERY_LIMIT_EXCEEDED no burst is left: the next request waits 1/Drain.
//
// The operating budget of each (portal, credential, method) follows the
// figures the portal reports: a call waits while the last reported figure
// plus an estimate for every call in flight would reach Limit − Margin, until
// the budget's reset; past the reset, one call at a time probes until a fresh
// figure arrives. With Adaptive.Enabled (off by default), above
// Adaptive.Threshold calls are also slowed down by
// Adaptive.Coefficient × the time to the reset, scaled by how far the budget
// is past the threshold (0 at the threshold, all of it at the limit), at most
// Adaptive.MaxDelay.
// After a 429 the method waits for its reset (or Window/60 when unknown).
func NewLimiter(p RestrictionParams) (Limiter, error) {
	m := p.Merge(StandardPlan())
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return newLocalLimiter(m), nil
}

// LimiterStats are the figures of a limiter.
type LimiterStats struct {
	Waits        int64                    // Acquire calls that had to wait
	WaitTime     time.Duration            // total time spent waiting
	RateRefusals int64                    // 503 QUERY_LIMIT_EXCEEDED reported
	OpRefusals   int64                    // 429 OPERATION_TIME_LIMIT reported
	Operating    map[string]time.Duration // last reported operating time per billed method
}

type localLimiter struct {
	mu      sync.Mutex
	params  RestrictionParams
	buckets map[string]*bucket
	ops     map[opKey]*opState

	waits, rateRefusals, opRefusals atomic.Int64
	waitTime                        atomic.Int64
}

type bucket struct {
	lim       *rate.Limiter
	notBefore time.Time // after a refusal, no request before this
}

func newLocalLimiter(p RestrictionParams) *localLimiter {
	return &localLimiter{params: p, buckets: map[string]*bucket{}, ops: map[opKey]*opState{}}
}

// SetParams changes the limits for later requests.
func (l *localLimiter) SetParams(p RestrictionParams) error {
	m := p.Merge(StandardPlan())
	if err := m.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.params = m
	now := time.Now()
	for _, b := range l.buckets {
		b.lim.SetLimitAt(now, rate.Limit(m.RateLimit.Drain))
		b.lim.SetBurstAt(now, clientBurst(m.RateLimit.Burst))
	}
	for _, s := range l.ops {
		s.broadcast()
	}
	return nil
}

// clientBurst keeps one request of headroom below the portal's bucket size.
func clientBurst(x int) int { return max(1, x-1) }

func (l *localLimiter) bucketFor(portal string) *bucket {
	b := l.buckets[portal]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.params.RateLimit.Drain), clientBurst(l.params.RateLimit.Burst))}
		l.buckets[portal] = b
	}
	return b
}

// Acquire implements Limiter.
func (l *localLimiter) Acquire(ctx context.Context, req LimitRequest) (Permit, error) {
	start := time.Now()
	waited := false
	// Operating budgets first: a call that must wait for its budget should
	// not hold a unit of the request bucket meanwhile.
	states := make([]*opState, 0, len(req.Methods))
	for _, m := range req.Methods {
		s := l.opStateFor(opKey{req.Portal, req.Credential, m})
		w, err := s.acquire(ctx, l)
		waited = waited || w
		if err != nil {
			for _, done := range states {
				done.release(l, nil, false)
			}
			return nil, err
		}
		states = append(states, s)
	}
	w, err := l.takeToken(ctx, req.Portal)
	waited = waited || w
	if err != nil {
		for _, s := range states {
			s.release(l, nil, false)
		}
		return nil, err
	}
	var held time.Duration
	if waited {
		held = time.Since(start)
		l.waits.Add(1)
		l.waitTime.Add(int64(held))
	}
	return &localPermit{l: l, portal: req.Portal, states: states, waited: held}, nil
}

func (l *localLimiter) takeToken(ctx context.Context, portal string) (bool, error) {
	l.mu.Lock()
	b := l.bucketFor(portal)
	notBefore := b.notBefore
	l.mu.Unlock()
	waited := false
	if d := time.Until(notBefore); d > 0 {
		waited = true
		if err := sleepCtx(ctx, d); err != nil {
			return waited, err
		}
	}
	r := b.lim.Reserve()
	if !r.OK() {
		return waited, fmt.Errorf("b24: limiter: burst too small")
	}
	d := r.Delay()
	if d == 0 {
		return waited, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		r.Cancel()
		<-ctx.Done() // the wait cannot finish in time; end with the context's own error
		return true, ctx.Err()
	}
	if err := sleepCtx(ctx, d); err != nil {
		r.Cancel()
		return true, err
	}
	return true, nil
}

// refusedRate empties the bucket: the next request waits a full 1/Drain.
func (l *localLimiter) refusedRate(portal string) {
	l.rateRefusals.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketFor(portal)
	now := time.Now()
	if t := b.lim.TokensAt(now); t >= 1 {
		b.lim.ReserveN(now, int(math.Floor(t)))
	}
	b.notBefore = now.Add(time.Duration(float64(time.Second) / l.params.RateLimit.Drain))
}

// Stats returns the limiter's figures.
func (l *localLimiter) Stats() LimiterStats {
	st := LimiterStats{
		Waits: l.waits.Load(), WaitTime: time.Duration(l.waitTime.Load()),
		RateRefusals: l.rateRefusals.Load(), OpRefusals: l.opRefusals.Load(),
		Operating: map[string]time.Duration{},
	}
	l.mu.Lock()
	states := make([]*opState, 0, len(l.ops))
	for _, s := range l.ops {
		states = append(states, s)
	}
	l.mu.Unlock()
	for _, s := range states {
		s.mu.Lock()
		if s.known && s.used > st.Operating[s.key.method] {
			st.Operating[s.key.method] = s.used
		}
		s.mu.Unlock()
	}
	return st
}

type localPermit struct {
	l      *localLimiter
	portal string
	states []*opState
	waited time.Duration
	once   sync.Once
}

// Waited implements WaitReporter.
func (p *localPermit) Waited() time.Duration { return p.waited }

func (p *localPermit) Release(o Outcome) {
	p.once.Do(func() {
		if o.Refused == RefusedRate {
			p.l.refusedRate(p.portal)
		}
		if o.Refused == RefusedOperating {
			p.l.opRefusals.Add(1)
		}
		for _, s := range p.states {
			s.release(p.l, &o, true)
		}
	})
}

// sleepCtx waits for d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error { return wait.For(ctx, d, nil) }
