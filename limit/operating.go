package limit

import (
	"context"
	"sync"
	"time"

	"github.com/b24go/b24/internal/opbudget"
	waitpkg "github.com/b24go/b24/internal/wait"
)

type opKey struct{ portal, credential, method string }

// opState tracks one operating budget slot by slot (internal/opbudget): the
// time it spent in which slot of the portal's clock, the reservations of the
// calls in flight, and the last figure the portal reported.
type opState struct {
	key opKey

	// Guarded by localLimiter.mu: the callers holding s (between opStateFor
	// and unref: waiting in acquire, or with a call in flight), and when it
	// was last taken or let go. A state with refs > 0 is never pruned, so
	// that every holder shares the state a newcomer finds.
	refs    int
	lastUse time.Time

	mu         sync.Mutex
	ledger     *opbudget.Ledger
	clock      opbudget.Clock // the portal's clock against the host's
	known      bool           // a figure has been reported
	used       time.Duration  // the last reported figure
	resetAt    time.Time      // its operating_reset_at (zero: unknown)
	lastReport time.Time      // when a figure or a 429 was last learned
	changed    chan struct{}  // closed when the state changes
}

// ledgerParams are the figures of one budget's ledger: the limit less the
// margin, the window, and the portal's floor (0.1 s of 600 s, scaled with
// the window).
func ledgerParams(p Params) opbudget.Params {
	o := p.Operating
	return opbudget.Params{Limit: o.Limit - o.Margin, Window: o.Window, Floor: o.Window / 6000}
}

// opStateFor returns k's state, creating it (after a sweep when the map has
// grown enough), with a reference the caller lets go with unref.
func (l *localLimiter) opStateFor(k opKey, now time.Time) *opState {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.ops[k]
	if s == nil {
		if len(l.ops) >= l.opSweep {
			l.pruneOps(now)
			l.opSweep = max(pruneMin, 2*len(l.ops))
		}
		s = &opState{key: k, changed: make(chan struct{}), ledger: opbudget.New(ledgerParams(l.params))}
		l.ops[k] = s
	}
	s.refs++
	s.lastUse = now
	return s
}

// unref lets go of a reference taken by opStateFor.
func (l *localLimiter) unref(s *opState) {
	l.mu.Lock()
	s.refs--
	s.lastUse = time.Now()
	l.mu.Unlock()
}

// pruneOps drops the states nobody holds whose figures have left the
// portal's window (see docs/limits.md). The caller holds l.mu.
func (l *localLimiter) pruneOps(now time.Time) {
	l.opSweeps++
	w := l.params.Operating.Window
	horizon := w + w/10 + w/60 // the last slot recorded has expired
	for k, s := range l.ops {
		if s.refs > 0 || now.Sub(s.lastUse) < horizon {
			continue
		}
		s.mu.Lock()
		flying, _ := s.ledger.InFlight()
		pnow := s.clock.Now(now)
		idle := flying == 0 && !pnow.Before(s.ledger.Blocked()) && s.ledger.Recorded(pnow) == 0 &&
			!now.Before(s.resetAt) && now.Sub(s.lastReport) >= horizon
		s.mu.Unlock()
		if idle {
			delete(l.ops, k)
		}
	}
}

// broadcast wakes every waiter; the caller holds s.mu or owns s.
func (s *opState) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// acquire waits until one more call fits in the budget and reserves it:
// until the ledger admits it (recorded + in flight + its cost within the
// limit), waking when a slot expires or the state changes. units is the
// request's size in commands. It reports whether it waited.
func (s *opState) acquire(ctx context.Context, l *localLimiter, units int) (opbudget.Ticket, bool, error) {
	waited := false
	for {
		l.mu.Lock()
		p := l.params
		l.mu.Unlock()
		now := time.Now()
		s.mu.Lock()
		s.ledger.SetParams(ledgerParams(p))
		tk, ok, at := s.ledger.AdmitUnits(s.clock.Now(now), units)
		wake := s.changed
		var wait time.Duration
		if ok {
			wait = s.adaptiveLocked(now, p)
		} else if !at.IsZero() {
			wait = max(s.clock.Host(at).Sub(now), time.Microsecond)
		} else {
			wait = p.Operating.Window // until a call in flight settles
		}
		s.mu.Unlock()
		if ok {
			if wait > 0 {
				// Reserved already, so that parallel callers see this one; the
				// adaptive delay only spaces calls out.
				start := time.Now()
				err := sleepCtx(ctx, wait)
				l.adaptiveDelays.Add(1)
				l.adaptiveTime.Add(int64(time.Since(start)))
				if err != nil {
					s.release(l, tk, nil)
					return opbudget.Ticket{}, true, err
				}
			}
			return tk, waited || wait > 0, nil
		}
		waited = true
		if err := waitpkg.For(ctx, wait, wake); err != nil {
			return opbudget.Ticket{}, true, err
		}
	}
}

// adaptiveLocked returns the adaptive delay of a call that may go.
func (s *opState) adaptiveLocked(now time.Time, p Params) time.Duration {
	a := p.Adaptive
	if !a.Enabled || !s.known || p.Operating.Limit <= 0 {
		return 0
	}
	frac := float64(s.used) / float64(p.Operating.Limit)
	if frac <= a.Threshold {
		return 0
	}
	if s.resetAt.IsZero() || !now.Before(s.resetAt) {
		return 0
	}
	d := time.Duration(float64(s.resetAt.Sub(now)) * a.Coefficient * adaptiveRamp(frac, a.Threshold)).Round(time.Microsecond)
	return min(d, a.MaxDelay)
}

// adaptiveRamp grows from 0 at the threshold to 1 at the limit: a budget just
// past the threshold slows calls a little, a nearly spent one fully. (The JS
// SDK applies the full delay from the threshold on, which costs a job that
// approaches the limit without reaching it a large share of its time: a
// 1,000,000-row export using 94 % of the budget took 28 s instead of 20 s.)
func adaptiveRamp(frac, threshold float64) float64 {
	if threshold >= 1 {
		return 1
	}
	return min(1, (frac-threshold)/(1-threshold))
}

// release gives back tk and learns from the outcome (nil: nothing to learn).
func (s *opState) release(l *localLimiter, tk opbudget.Ticket, o *Outcome) {
	l.mu.Lock()
	p := l.params
	l.mu.Unlock()
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger.Settle(tk)
	if o != nil {
		for _, r := range o.Reports {
			if r.Method == s.key.method {
				s.learn(r, o, now, p.Operating.Window, tk.Units)
			}
		}
		if o.Refused == RefusedOperating && (o.RefusedMethod == "" || o.RefusedMethod == s.key.method) {
			s.refused(now, p.Operating.Window)
		}
	}
	s.broadcast()
}

// maxClockOffset bounds the portal's clock against the host's: a finish
// further off is absurd and teaches nothing about the clock.
const maxClockOffset = 24 * time.Hour

// learn takes one figure into the ledger: the portal's clock from the
// figure's finish against when the request was sent and answered, then the
// figure made sane (SaneReport, in the portal's clock), the request's cost
// and slot (per command of the request's units), and the record's floor.
func (s *opState) learn(r OperatingReport, o *Outcome, now time.Time, window time.Duration, units int) {
	sent := now.Add(-max(o.Elapsed, 0))
	if d := r.Finish.Sub(now); !r.Finish.IsZero() && d < maxClockOffset && d > -maxClockOffset {
		s.clock.Observe(sent, now, r.Finish)
	} else {
		r.Finish = time.Time{}
	}
	pnow := s.clock.Now(now)
	r, ok := SaneReport(r, pnow, window)
	if !ok {
		return
	}
	finish, start := s.clock.AnswerTimes(r.Start, r.Finish, now, o.Elapsed)
	s.ledger.Observe(opbudget.Answer{Start: start, Finish: finish, Operating: r.Operating, ResetAt: r.ResetAt, ResetSlack: opbudget.ResetSlackOf(r.ResetAt), MaxCost: max(o.Elapsed, 1), Units: units})
	s.known, s.used, s.lastReport = true, r.Operating, now
	s.resetAt = time.Time{}
	if !r.ResetAt.IsZero() {
		s.resetAt = s.clock.Host(r.ResetAt)
	}
}

// Fit implements Fitter.
func (l *localLimiter) Fit(req Request) int {
	l.mu.Lock()
	p := l.params
	states := make([]*opState, len(req.Methods)) // nil: a budget not used yet
	for i, m := range req.Methods {
		states[i] = l.ops[opKey{req.Portal, req.Credential, m}]
	}
	l.mu.Unlock()
	fit := 0
	for i := range req.Methods {
		fit = max(fit, unitsOf(req, i))
	}
	now := time.Now()
	for i, s := range states {
		if s == nil {
			continue
		}
		s.mu.Lock()
		s.ledger.SetParams(ledgerParams(p))
		fit = min(fit, s.ledger.Fit(s.clock.Now(now), unitsOf(req, i)))
		s.mu.Unlock()
	}
	return fit
}

// refused records a 429 for the method: nothing goes before the reported
// reset when it is ahead, else before the next slot boundary.
func (s *opState) refused(now time.Time, window time.Duration) {
	until := time.Time{}
	if s.resetAt.After(now) && s.resetAt.Sub(now) <= window {
		until = s.clock.Now(s.resetAt) // back in the portal's clock
	}
	s.ledger.Refused(s.clock.Now(now), until)
	s.known, s.lastReport = true, now
	s.used = max(s.used, s.ledger.Params().Limit)
}
