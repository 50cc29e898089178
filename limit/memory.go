package limit

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b24go/b24/internal/opbudget"
	"github.com/b24go/b24/internal/wait"
	"golang.org/x/time/rate"
)

// New returns the in-memory Limiter, built from p (zero fields take the
// StandardPlan defaults). Its request bucket is a token bucket on
// golang.org/x/time/rate that adapts to the portal's other clients; its
// operating budgets follow the figures the portal reports, with a reservation
// for every call in flight. It forgets idle portals and methods, so one
// Limiter can serve many portals. The model is described in docs/limits.md.
func New(p Params) (Limiter, error) {
	m := p.Merge(StandardPlan())
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return newLocalLimiter(m), nil
}

// Stats are the figures of a limiter.
type Stats struct {
	Waits        int64                    // Acquire calls that had to wait
	WaitTime     time.Duration            // total time spent waiting
	RateRefusals int64                    // 503 QUERY_LIMIT_EXCEEDED reported
	OpRefusals   int64                    // 429 OPERATION_TIME_LIMIT reported
	Operating    map[string]time.Duration // last reported operating time per billed method
	// AdaptiveDelays counts the calls the adaptive delay slowed down (see
	// AdaptiveDelay), and AdaptiveDelayTime is the time they spent in it:
	// the JS SDK's adaptiveDelays and totalAdaptiveDelay (the average is
	// their quotient). They are part of Waits and WaitTime.
	AdaptiveDelays    int64
	AdaptiveDelayTime time.Duration
	// Buckets are the request buckets per portal, with the limits in force
	// (lower than RateLimit's after 503s, see docs/limits.md). redislimit, whose
	// shared bucket does not adapt, reports those of its in-memory fallback.
	Buckets map[string]BucketStats
}

// BucketStats are the figures of one portal's request bucket.
type BucketStats struct {
	// Burst and Drain are the limits in force, in the terms of RateLimit (the
	// limiter keeps one request of headroom below Burst).
	Burst int
	Drain float64
	// Reductions and Recoveries count the times the limits were multiplied
	// by 0.8 after repeated 503s, and by 1.1 after 20 accepted requests.
	Reductions, Recoveries int64
}

type localLimiter struct {
	mu      sync.Mutex
	params  Params
	buckets map[string]*bucket
	ops     map[opKey]*opState

	// The sizes at which the maps are next swept (see pruneBuckets, pruneOps).
	bucketSweep, opSweep   int
	bucketSweeps, opSweeps int // sweeps done (for tests)

	waits, rateRefusals, opRefusals atomic.Int64
	waitTime                        atomic.Int64
	adaptiveDelays, adaptiveTime    atomic.Int64
}

// The reference SDK's adaptation of the request bucket (see docs/limits.md).
const (
	adaptRefusals     = 5   // refusals within the window that lower the limits
	adaptAccepted     = 20  // accepted requests since the last refusal that raise them
	adaptDown         = 0.8 // factor of a reduction
	adaptUp           = 1.1 // factor of a recovery
	adaptMinBurst     = 5   // floor of the burst
	adaptMinPerWindow = 30  // floor of the drain rate, in requests per refusal window
)

// bucket is one portal's request bucket. Its fields are guarded by
// localLimiter.mu (lim has its own lock).
type bucket struct {
	lim       *rate.Limiter
	notBefore time.Time // after a refusal, no request before this
	refs      int       // callers in takeToken and permits not released

	// The adaptation: the limits in force (Burst as a real number, so that
	// reductions and recoveries compound as in the reference SDK), their
	// generation (one more at every change; a permit remembers the one it was
	// admitted under), the refusals within the window and the requests
	// accepted since the last refusal, of the current generation.
	burst, drain           float64
	gen                    uint64
	refusals               []time.Time
	accepted               int
	reductions, recoveries int64

	// The bound on the portal's own level (arrival.go): level at levelAt
	// from the answered requests, the requests in flight, and a channel
	// closed when one of them is settled.
	level   float64
	levelAt time.Time
	flying  int
	landed  chan struct{}
}

// setLimits puts burst and drain in force and forgets the history.
func (b *bucket) setLimits(now time.Time, burst, drain float64) {
	b.burst, b.drain = burst, drain
	b.lim.SetLimitAt(now, rate.Limit(drain))
	b.lim.SetBurstAt(now, clientBurst(int(burst)))
	b.gen++
	b.refusals = b.refusals[:0]
	b.accepted = 0
}

// refusalsWithin drops the refusals older than window and counts the others.
func (b *bucket) refusalsWithin(now time.Time, window time.Duration) int {
	i := 0
	for i < len(b.refusals) && now.Sub(b.refusals[i]) >= window {
		i++
	}
	b.refusals = append(b.refusals[:0], b.refusals[i:]...)
	return len(b.refusals)
}

func newLocalLimiter(p Params) *localLimiter {
	return &localLimiter{params: p, buckets: map[string]*bucket{}, ops: map[opKey]*opState{}}
}

// SetParams changes the limits for later requests.
func (l *localLimiter) SetParams(p Params) error {
	m := p.Merge(StandardPlan())
	if err := m.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	changed := m.RateLimit != l.params.RateLimit
	l.params = m
	now := time.Now()
	for _, b := range l.buckets {
		if changed {
			b.setLimits(now, float64(m.RateLimit.Burst), m.RateLimit.Drain)
		}
	}
	for _, s := range l.ops {
		s.mu.Lock()
		s.broadcast()
		s.mu.Unlock()
	}
	return nil
}

// clientBurst keeps one request of headroom below the portal's bucket size.
func clientBurst(x int) int { return max(1, x-1) }

// pruneMin is the smallest map size at which the limiter sweeps.
const pruneMin = 64

// bucketFor returns portal's bucket, creating it (after a sweep when the map
// has grown enough). The caller holds l.mu.
func (l *localLimiter) bucketFor(portal string, now time.Time) *bucket {
	b := l.buckets[portal]
	if b == nil {
		if len(l.buckets) >= l.bucketSweep {
			l.pruneBuckets(now)
			l.bucketSweep = max(pruneMin, 2*len(l.buckets))
		}
		rl := l.params.RateLimit
		b = &bucket{lim: rate.NewLimiter(rate.Limit(rl.Drain), clientBurst(rl.Burst)), burst: float64(rl.Burst), drain: rl.Drain}
		l.buckets[portal] = b
	}
	return b
}

// pruneBuckets drops the buckets that a new bucket would replace exactly
// (see docs/limits.md). The caller holds l.mu.
func (l *localLimiter) pruneBuckets(now time.Time) {
	l.bucketSweeps++
	rl := l.params.RateLimit
	for portal, b := range l.buckets {
		if b.refs == 0 && !now.Before(b.notBefore) &&
			b.burst == float64(rl.Burst) && b.drain == rl.Drain &&
			b.lim.TokensAt(now) >= float64(b.lim.Burst()) && b.portalLevel(now) == 0 &&
			b.refusalsWithin(now, rl.RefusalWindow) == 0 {
			delete(l.buckets, portal)
		}
	}
}

// Acquire implements Limiter.
func (l *localLimiter) Acquire(ctx context.Context, req Request) (Permit, error) {
	start := time.Now()
	waited := false
	// Operating budgets first: a call that must wait for its budget should
	// not hold a unit of the request bucket meanwhile.
	states := make([]*opState, 0, len(req.Methods))
	tickets := make([]opbudget.Ticket, 0, len(req.Methods))
	giveBack := func() {
		for i, s := range states {
			s.release(l, tickets[i], nil)
			l.unref(s)
		}
	}
	for i, m := range req.Methods {
		s := l.opStateFor(opKey{req.Portal, req.Credential, m}, start)
		tk, w, err := s.acquire(ctx, l, unitsOf(req, i))
		waited = waited || w
		if err != nil {
			l.unref(s)
			giveBack()
			return nil, err
		}
		states, tickets = append(states, s), append(tickets, tk)
	}
	b, w, gen, err := l.takeToken(ctx, req.Portal)
	waited = waited || w
	if err != nil {
		giveBack()
		return nil, err
	}
	var held time.Duration
	if waited {
		held = time.Since(start)
		l.waits.Add(1)
		l.waitTime.Add(int64(held))
	}
	return &localPermit{l: l, b: b, gen: gen, req: req, states: states, tickets: tickets, waited: held}, nil
}

// takeToken waits for a unit of portal's bucket. It returns the bucket, whose
// reference the permit then holds (see settle), whether it waited, and the
// generation of the limits the unit was taken under.
func (l *localLimiter) takeToken(ctx context.Context, portal string) (*bucket, bool, uint64, error) {
	l.mu.Lock()
	b := l.bucketFor(portal, time.Now())
	b.refs++
	notBefore := b.notBefore
	l.mu.Unlock()
	fail := func(waited bool, err error) (*bucket, bool, uint64, error) {
		l.mu.Lock()
		b.refs--
		l.mu.Unlock()
		return nil, waited, 0, err
	}
	waited := false
	if d := time.Until(notBefore); d > 0 {
		waited = true
		if err := sleepCtx(ctx, d); err != nil {
			return fail(waited, err)
		}
	}
	l.mu.Lock()
	r := b.lim.Reserve()
	gen := b.gen
	l.mu.Unlock()
	if !r.OK() {
		return fail(waited, fmt.Errorf("limit: burst too small"))
	}
	if d := r.Delay(); d > 0 {
		waited = true
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			r.Cancel()
			<-ctx.Done() // the wait cannot finish in time; end with the context's own error
			return fail(true, ctx.Err())
		}
		if err := sleepCtx(ctx, d); err != nil {
			r.Cancel()
			return fail(true, err)
		}
	}
	w, err := l.waitArrivals(ctx, b)
	if err != nil {
		return fail(true, err)
	}
	return b, waited || w, gen, nil
}

// settle learns from the outcome of a request b admitted under generation
// gen, and drops the permit's reference to b.
func (l *localLimiter) settle(b *bucket, gen uint64, o Outcome) {
	if o.Refused == RefusedRate {
		l.rateRefusals.Add(1)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b.refs--
	b.landedLocked(time.Now(), o)
	switch {
	case o.Refused == RefusedRate:
		l.refusedRateLocked(b, gen)
	case o.Refused == NotRefused && o.Sent:
		l.acceptedLocked(b, gen)
	}
}

// refusedRateLocked records a 503 of a request admitted under generation gen,
// lowers the limits after adaptRefusals of them within the window, and
// empties the bucket: the next request waits a full 1/Drain. The caller
// holds l.mu.
func (l *localLimiter) refusedRateLocked(b *bucket, gen uint64) {
	now := time.Now()
	if rl := l.params.RateLimit; !rl.Fixed {
		b.accepted = 0
		if gen == b.gen && b.refusalsWithin(now, rl.RefusalWindow) >= adaptRefusals-1 {
			burst := max(b.burst*adaptDown, min(adaptMinBurst, float64(rl.Burst)))
			drain := max(b.drain*adaptDown, min(adaptMinPerWindow/rl.RefusalWindow.Seconds(), rl.Drain))
			if burst < b.burst || drain < b.drain {
				b.reductions++
			}
			b.setLimits(now, burst, drain)
		} else if gen == b.gen {
			b.refusals = append(b.refusals, now)
		}
	}
	if t := b.lim.TokensAt(now); t >= 1 {
		b.lim.ReserveN(now, int(math.Floor(t)))
	}
	b.notBefore = now.Add(time.Duration(float64(time.Second) / b.drain))
}

// acceptedLocked records a request of generation gen that the portal did
// not refuse, and raises the limits after adaptAccepted of them in a row.
// The caller holds l.mu.
func (l *localLimiter) acceptedLocked(b *bucket, gen uint64) {
	rl := l.params.RateLimit
	if rl.Fixed || gen != b.gen {
		return
	}
	if b.accepted < adaptAccepted {
		b.accepted++
	}
	if b.accepted < adaptAccepted || (b.burst >= float64(rl.Burst) && b.drain >= rl.Drain) {
		return
	}
	now := time.Now()
	if 2*b.refusalsWithin(now, rl.RefusalWindow) >= adaptRefusals {
		return
	}
	b.recoveries++
	b.setLimits(now, min(b.burst*adaptUp, float64(rl.Burst)), min(b.drain*adaptUp, rl.Drain))
}

// Stats returns the limiter's figures.
func (l *localLimiter) Stats() Stats {
	st := Stats{
		Waits: l.waits.Load(), WaitTime: time.Duration(l.waitTime.Load()),
		RateRefusals: l.rateRefusals.Load(), OpRefusals: l.opRefusals.Load(),
		AdaptiveDelays: l.adaptiveDelays.Load(), AdaptiveDelayTime: time.Duration(l.adaptiveTime.Load()),
		Operating: map[string]time.Duration{},
	}
	l.mu.Lock()
	st.Buckets = make(map[string]BucketStats, len(l.buckets))
	for portal, b := range l.buckets {
		st.Buckets[portal] = BucketStats{Burst: int(b.burst), Drain: b.drain, Reductions: b.reductions, Recoveries: b.recoveries}
	}
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
	l       *localLimiter
	b       *bucket // the portal's bucket, referenced until Release
	gen     uint64  // generation of the bucket's limits at admission
	req     Request
	states  []*opState
	tickets []opbudget.Ticket // the states' reservations
	waited  time.Duration
	once    sync.Once
}

// Waited implements WaitReporter.
func (p *localPermit) Waited() time.Duration { return p.waited }

func (p *localPermit) Release(o Outcome) {
	p.once.Do(func() {
		p.l.settle(p.b, p.gen, o)
		if o.Refused == RefusedOperating {
			p.l.opRefusals.Add(1)
		}
		for i, s := range p.states {
			s.release(p.l, p.tickets[i], &o)
			p.l.unref(s)
		}
		p.learnUnheld(o)
	})
}

// learnUnheld feeds the budgets of reports for methods the permit did not
// draw on (a batch charged to "batch" whose answer showed billing per
// command): their figures teach those budgets, which the next batches are
// charged to, the cost of a command (the request's commands are its
// units), so that they do not start as unknown.
func (p *localPermit) learnUnheld(o Outcome) {
	units := 0
	for i := range p.req.Methods {
		units += unitsOf(p.req, i)
	}
	for _, r := range o.Reports {
		if slices.ContainsFunc(p.states, func(s *opState) bool { return s.key.method == r.Method }) {
			continue
		}
		now := time.Now()
		s := p.l.opStateFor(opKey{p.req.Portal, p.req.Credential, r.Method}, now)
		p.l.mu.Lock()
		w := p.l.params.Operating.Window
		p.l.mu.Unlock()
		s.mu.Lock()
		s.learn(r, &o, now, w, units)
		s.broadcast()
		s.mu.Unlock()
		p.l.unref(s)
	}
}

// sleepCtx waits for d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error { return wait.For(ctx, d, nil) }
