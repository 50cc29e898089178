package opbudget

import "time"

// Clock measures the portal's clock against the host's: offset = portal −
// host. An answer whose figure was taken at portal time finish, for a
// request sent at host time sent and answered at host time received,
// bounds the offset to [finish − received, finish − sent]; the clock keeps
// the tightest bounds seen. (The time block's start is truncated to the
// second by current portals, so only finish is used.) The zero value knows
// nothing and reads the offset as 0. Not safe for concurrent use.
type Clock struct {
	lo, hi time.Duration
	known  bool
}

// Observe narrows the bounds by one answer; an answer that contradicts
// them (the portal's clock jumped) restarts them from it.
func (c *Clock) Observe(sent, received, finish time.Time) {
	if finish.IsZero() || received.Before(sent) {
		return
	}
	lo, hi := finish.Sub(received), finish.Sub(sent)
	if !c.known || lo > c.hi || hi < c.lo {
		c.lo, c.hi, c.known = lo, hi, true
		return
	}
	c.lo, c.hi = max(c.lo, lo), min(c.hi, hi)
}

// Bounds returns the offset's bounds and whether any answer was seen.
func (c *Clock) Bounds() (lo, hi time.Duration, ok bool) { return c.lo, c.hi, c.known }

// Now returns the earliest the portal's clock can read at host time t:
// a slot counts at least until then, so waits computed from it are never short.
func (c *Clock) Now(t time.Time) time.Time { return t.Add(c.lo) }

// Latest returns the latest the portal's clock can read at host time t
// (the slot a request sent at t is stored in, at the latest).
func (c *Clock) Latest(t time.Time) time.Time { return t.Add(c.hi) }

// Host returns the host time by which the portal's clock has surely
// reached portal time p.
func (c *Clock) Host(p time.Time) time.Time { return p.Add(-c.lo) }

// AnswerTimes returns, for an answer received at host time received, elapsed
// after its request was sent, whose figure was taken at portal time f: its
// finish (f; when f is absent or later than the answer came, the earliest
// the portal's clock read then) and the latest its start can be. The portal
// stores a request's time in the slot of its arrival, the time block's
// start, which current portals truncate to the second: the latest start is
// start's second plus one, at most the finish. A start that is absent, or
// that puts the arrival before the send (finish less elapsed), is not
// believed: the request is then dated at its finish (it may have reached
// the portal well after it was sent; dated by the send, its time would free
// a slot before the portal's).
func (c *Clock) AnswerTimes(start, f, received time.Time, elapsed time.Duration) (finish, latest time.Time) {
	if f.IsZero() || f.After(c.Latest(received)) {
		return c.Now(received), c.Latest(received)
	}
	s := start.Truncate(time.Second).Add(time.Second)
	if start.IsZero() || s.After(f) || s.Before(f.Add(-max(elapsed, 0))) {
		return f, f
	}
	return f, s
}
