package limit

import "time"

// SaneReport returns r as a limiter may trust it at now, for a budget whose
// window is window, and false when r must be ignored. Every figure of a
// portal is untrusted, and one absurd answer must not block a method for
// longer than the window:
//
//   - an operating figure that is negative or above 2 × window is ignored
//     (the portal refuses a method once it passes the limit, below the window);
//   - a reset time more than window ahead is read as milliseconds, then
//     microseconds, since the epoch when that puts it within window of now
//     (a unit confusion), and else clamped to now + window.
//
// The in-memory limiter and redislimit apply it to every report; a custom Limiter
// should too.
func SaneReport(r OperatingReport, now time.Time, window time.Duration) (OperatingReport, bool) {
	if r.Operating < 0 || r.Operating > 2*window {
		return r, false
	}
	r.ResetAt = saneReset(r.ResetAt, now, window)
	return r, true
}

// saneReset clamps a reset time to now + window (see SaneReport); zero stays zero.
func saneReset(at, now time.Time, window time.Duration) time.Time {
	limit := now.Add(window)
	if at.IsZero() || !at.After(limit) {
		return at
	}
	v := at.Unix()
	for _, t := range []time.Time{time.UnixMilli(v), time.UnixMicro(v)} {
		if !t.After(limit) && !t.Before(now.Add(-window)) {
			return t
		}
	}
	return limit
}

// maxEstimate bounds the expected operating cost of one call: the portal
// cuts a request off after a tenth of its window (60 s of 600 s), so no
// answer can teach a limiter that one call costs more.
func maxEstimate(window time.Duration) time.Duration { return window / 10 }
