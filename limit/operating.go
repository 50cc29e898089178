package limit

import (
	"context"
	"sync"
	"time"

	waitpkg "github.com/b24go/b24/internal/wait"
)

type opKey struct{ portal, credential, method string }

// opState tracks one operating budget: what the portal last reported, and
// the calls in flight that have not reported yet.
type opState struct {
	key opKey

	// Guarded by localLimiter.mu: the callers holding s (between opStateFor
	// and unref: waiting in acquire, or with a call in flight), and when it
	// was last taken or let go. A state with refs > 0 is never pruned, so
	// that every holder shares the state a newcomer finds.
	refs    int
	lastUse time.Time

	mu           sync.Mutex
	known        bool          // a figure has been reported
	used         time.Duration // the last reported figure
	resetAt      time.Time     // when part of it is released (zero: unknown)
	inflight     int           // calls acquired, not yet released
	estimate     time.Duration // expected operating cost of one call
	blockedUntil time.Time     // after a 429
	lastReport   time.Time     // when a figure or a 429 was last learned
	changed      chan struct{} // closed when the state changes
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
		s = &opState{key: k, changed: make(chan struct{})}
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
	horizon := w + w/60
	for k, s := range l.ops {
		if s.refs > 0 || now.Sub(s.lastUse) < horizon {
			continue
		}
		s.mu.Lock()
		idle := s.inflight == 0 && !now.Before(s.blockedUntil) && !now.Before(s.resetAt) &&
			now.Sub(s.lastReport) >= horizon
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

// acquire waits until one more call fits in the budget and reserves it. It
// reports whether it waited.
func (s *opState) acquire(ctx context.Context, l *localLimiter) (bool, error) {
	waited := false
	adaptiveDone := false
	for {
		l.mu.Lock()
		p := l.params
		l.mu.Unlock()
		now := time.Now()
		s.mu.Lock()
		wait, wake := s.waitLocked(now, p)
		if wait == 0 && !adaptiveDone {
			adaptiveDone = true
			wait = s.adaptiveLocked(now, p)
			if wait > 0 {
				// Reserve now so that parallel callers see this one; the
				// adaptive delay only spaces calls out.
				s.inflight++
				s.mu.Unlock()
				start := time.Now()
				err := sleepCtx(ctx, wait)
				l.adaptiveDelays.Add(1)
				l.adaptiveTime.Add(int64(time.Since(start)))
				if err != nil {
					s.release(l, nil)
					return true, err
				}
				return true, nil
			}
		}
		if wait == 0 {
			s.inflight++
			s.mu.Unlock()
			return waited, nil
		}
		s.mu.Unlock()
		waited = true
		if err := waitpkg.For(ctx, wait, wake); err != nil {
			return true, err
		}
	}
}

// waitLocked returns how long a new call must wait (0: it may go now), and a
// channel closed when the state changes earlier.
func (s *opState) waitLocked(now time.Time, p Params) (time.Duration, <-chan struct{}) {
	if now.Before(s.blockedUntil) {
		return s.blockedUntil.Sub(now), s.changed
	}
	if !s.known {
		return 0, nil
	}
	budget := p.Operating.Limit - p.Operating.Margin
	if s.used+time.Duration(s.inflight)*s.estimate < budget {
		return 0, nil
	}
	if !s.resetAt.IsZero() && now.Before(s.resetAt) {
		return s.resetAt.Sub(now), s.changed
	}
	// Past the reset (or with no reset known) the real figure is lower than
	// the last one, by an unknown amount: let one call probe it.
	if s.inflight == 0 {
		return 0, nil
	}
	return time.Minute, s.changed // woken by the probe's release
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

// release frees a reservation and learns from the outcome (nil: nothing to learn).
func (s *opState) release(l *localLimiter, o *Outcome) {
	l.mu.Lock()
	p := l.params
	l.mu.Unlock()
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight > 0 {
		s.inflight--
	}
	if o != nil {
		reported := false
		for _, r := range o.Reports {
			r, ok := SaneReport(r, now, p.Operating.Window)
			if !ok || r.Method != s.key.method {
				continue
			}
			reported = true
			s.lastReport = now
			s.learn(r, o.Elapsed)
		}
		if !reported && o.Sent && o.Refused == NotRefused && o.Elapsed > 0 && s.estimate == 0 {
			s.estimate = o.Elapsed
		}
		s.estimate = min(s.estimate, maxEstimate(p.Operating.Window))
		if o.Refused == RefusedOperating && (o.RefusedMethod == "" || o.RefusedMethod == s.key.method) {
			until := now.Add(p.Operating.Window / 60)
			if s.resetAt.After(now) {
				until = s.resetAt
			}
			s.blockedUntil = until
			s.lastReport = now
			s.known = true
			s.used = max(s.used, p.Operating.Limit)
		}
	}
	s.broadcast()
}

// learn takes a reported figure, made sane by SaneReport. Answers of parallel calls arrive out of
// order: a lower figure with the same reset time is an older one and is
// ignored; a figure with a new reset time reflects released time.
func (s *opState) learn(r OperatingReport, elapsed time.Duration) {
	newer := !s.known || r.Operating >= s.used || !r.ResetAt.Equal(s.resetAt)
	if !newer {
		return
	}
	if s.known && r.Operating > s.used && r.ResetAt.Equal(s.resetAt) {
		// Quick to rise, slow to fall: a reservation must not be too small.
		delta := r.Operating - s.used
		if delta > s.estimate {
			s.estimate = delta
		} else {
			s.estimate = (3*s.estimate + delta) / 4
		}
	} else if !s.known && r.Operating > 0 && s.estimate == 0 {
		s.estimate = min(r.Operating, max(elapsed, time.Millisecond))
	}
	s.known = true
	s.used = r.Operating
	s.resetAt = r.ResetAt
}
