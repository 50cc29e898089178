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
	// billed method over OperatingWindow (W): 480 s per 600 s. The window is
	// kept in 10 buckets of W/10. A call is counted only when it took longer
	// than OperatingFloor (0.1 s).
	OperatingLimit  time.Duration
	OperatingWindow time.Duration
	OperatingFloor  time.Duration
	// BatchPerCommand bills each command of a batch under its own method
	// (what the documentation describes); by default a whole batch is billed
	// under "batch" and every sub-result carries the same running figure, as
	// current cloud portals do.
	BatchPerCommand bool
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

// opKey is one operating budget: a credential and a billed method.
type opKey struct {
	cred, method string
}

// opBucket is one W/10 slice of a budget.
type opBucket struct {
	idx   int64
	first time.Time // expires at first + window
	sum   time.Duration
}

// operating keeps the operating budgets.
type operating struct {
	mu     sync.Mutex
	limit  time.Duration
	window time.Duration
	floor  time.Duration
	b      map[opKey][]opBucket
}

func newOperating(l Limits) *operating {
	return &operating{limit: l.OperatingLimit, window: l.OperatingWindow, floor: l.OperatingFloor, b: map[opKey][]opBucket{}}
}

// live drops expired buckets of k and returns the rest (locked).
func (o *operating) live(k opKey, now time.Time) []opBucket {
	bs := o.b[k]
	out := bs[:0]
	for _, b := range bs {
		if now.Before(b.first.Add(o.window)) {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		delete(o.b, k)
		return nil
	}
	o.b[k] = out
	return out
}

// blocked reports whether k has already spent more than the limit at now.
func (o *operating) blocked(k opKey, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	var sum time.Duration
	for _, b := range o.live(k, now) {
		sum += b.sum
	}
	return sum > o.limit
}

// record charges d to k at now when d is over the floor, and returns the
// running figure and the reset time for the time block.
func (o *operating) record(k opKey, now time.Time, d time.Duration) (time.Duration, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	bs := o.live(k, now)
	if d > o.floor {
		slice := o.window / 10
		if slice <= 0 {
			slice = 1
		}
		idx := now.UnixNano() / int64(slice)
		found := false
		for i := range bs {
			if bs[i].idx == idx {
				bs[i].sum += d
				found = true
			}
		}
		if !found {
			bs = append(bs, opBucket{idx: idx, first: now, sum: d})
		}
		o.b[k] = bs
	}
	return o.figure(bs, now)
}

// peek returns the running figure and reset time of k without charging.
func (o *operating) peek(k opKey, now time.Time) (time.Duration, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.figure(o.live(k, now), now)
}

func (o *operating) figure(bs []opBucket, now time.Time) (time.Duration, time.Time) {
	var sum time.Duration
	reset := now.Add(o.window)
	for _, b := range bs {
		sum += b.sum
		if e := b.first.Add(o.window); e.Before(reset) {
			reset = e
		}
	}
	return sum, reset
}
