package b24test

import (
	"sync"
	"time"
)

// Limits are the portal's two budgets, before the time scale is applied.
type Limits struct {
	// Burst (X) is the request bucket's size and Drain (Y) how many requests
	// it drains a second: 50 and 2 on the Standard plan, 250 and 5 on
	// Enterprise. At start the whole burst is available.
	Burst int
	Drain float64
	// OperatingLimit (L) is the server time one credential may spend in one
	// billed method over OperatingWindow (W): 480 s per 600 s, kept in 10
	// slots of W/10. A method's time summed over one request is stored when
	// the request ends, in the slot of its start, only if the sum is above
	// OperatingFloor (0.1 s). See the package doc, "Limits".
	OperatingLimit  time.Duration
	OperatingWindow time.Duration
	OperatingFloor  time.Duration
	// BatchPerCommand bills each command of a batch under its own method
	// (what the documentation describes); by default a whole batch is billed
	// under "batch" and every sub-result carries the same running figure, as
	// current cloud portals do.
	BatchPerCommand bool
	// BatchWeight multiplies a batch's time billed under "batch" (0 means
	// 1; newer portals bill 0.5). Not used with BatchPerCommand.
	BatchWeight float64
	// OperatingBan, if set, refuses a key for that long once its stored
	// time crosses the limit, and clears its slots (newer portals: 300 s).
	OperatingBan time.Duration
	// Disabled turns both budgets off: no 503 QUERY_LIMIT_EXCEEDED, no 429,
	// and no operating fields in the time block (a self-hosted portal without
	// the load limiter).
	Disabled bool
}

// StandardLimits returns the Standard plan's limits (all plans but Enterprise).
func StandardLimits() Limits {
	return Limits{Burst: 50, Drain: 2, OperatingLimit: 480 * time.Second,
		OperatingWindow: 600 * time.Second, OperatingFloor: 100 * time.Millisecond}
}

// EnterpriseLimits returns the Enterprise plan's limits: bucket 250, 5 a second.
func EnterpriseLimits() Limits {
	l := StandardLimits()
	l.Burst, l.Drain = 250, 5
	return l
}

// PlanLimits returns the limits of a plan by name: "enterprise" or any other
// (standard).
func PlanLimits(plan string) Limits {
	if plan == "enterprise" || plan == "Enterprise" || plan == "ENTERPRISE" {
		return EnterpriseLimits()
	}
	return StandardLimits()
}

// withDefaults fills zero fields from the Standard plan.
func (l Limits) withDefaults() Limits {
	d := StandardLimits()
	if l.Burst <= 0 {
		l.Burst = d.Burst
	}
	if l.Drain <= 0 {
		l.Drain = d.Drain
	}
	if l.OperatingLimit <= 0 {
		l.OperatingLimit = d.OperatingLimit
	}
	if l.OperatingWindow <= 0 {
		l.OperatingWindow = d.OperatingWindow
	}
	if l.OperatingFloor <= 0 {
		l.OperatingFloor = d.OperatingFloor
	}
	return l
}

// Scaled returns l at time scale k: durations divided by k, drain
// multiplied by k, the burst unchanged.
func (l Limits) Scaled(k float64) Limits {
	if k <= 0 || k == 1 {
		return l
	}
	l.Drain *= k
	l.OperatingLimit = scaleDur(l.OperatingLimit, k)
	l.OperatingWindow = scaleDur(l.OperatingWindow, k)
	l.OperatingFloor = scaleDur(l.OperatingFloor, k)
	l.OperatingBan = scaleDur(l.OperatingBan, k)
	return l
}

func scaleDur(d time.Duration, k float64) time.Duration {
	if k <= 0 || k == 1 {
		return d
	}
	return time.Duration(float64(d) / k)
}

// bucket is the leaky bucket of requests: a counter that each request raises
// by one and that drains at drain a second; a request that would lift it
// above burst is refused (and not counted).
type bucket struct {
	mu    sync.Mutex
	burst float64
	drain float64 // per second
	level float64
	last  time.Time
}

func newBucket(burst int, drain float64) *bucket {
	return &bucket{burst: float64(burst), drain: drain}
}

// take reports whether a request arriving at now is admitted.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		if el := now.Sub(b.last).Seconds(); el > 0 {
			b.level -= el * b.drain
			if b.level < 0 {
				b.level = 0
			}
		}
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.level+1 > b.burst+1e-9 {
		return false
	}
	b.level++
	return true
}
