package b24test

import (
	"sync"
	"time"
)

// opKey is one operating budget: a credential and a billed method.
type opKey struct {
	cred, method string
}

// opSlot is one W/10 slot of a budget.
type opSlot struct {
	idx   int64     // floor(start / (W/10)) of the request that created it
	first time.Time // the first call of that request
	sum   time.Duration
}

// opBudget is one key's slots and ban.
type opBudget struct {
	slots  []opSlot
	banned time.Time // refused until then
}

// operating keeps the operating budgets (protocol §4.2).
type operating struct {
	mu     sync.Mutex
	limit  time.Duration
	window time.Duration
	floor  time.Duration
	ban    time.Duration
	b      map[opKey]*opBudget
}

func newOperating(l Limits) *operating {
	return &operating{limit: l.OperatingLimit, window: l.OperatingWindow, floor: l.OperatingFloor,
		ban: l.OperatingBan, b: map[opKey]*opBudget{}}
}

// slotWidth is W/10.
func (o *operating) slotWidth() time.Duration {
	if w := o.window / 10; w > 0 {
		return w
	}
	return 1
}

func (o *operating) slotOf(t time.Time) int64 { return t.UnixNano() / int64(o.slotWidth()) }

// alive reports whether s still counts at now: its number is less than 10
// behind now's and its first call is less than W old.
func (o *operating) alive(s opSlot, now time.Time) bool {
	return o.slotOf(now)-s.idx < 10 && now.Before(s.first.Add(o.window))
}

// live drops k's dead slots and returns its budget, nil if empty (locked).
func (o *operating) live(k opKey, now time.Time) *opBudget {
	bg := o.b[k]
	if bg == nil {
		return nil
	}
	out := bg.slots[:0]
	for _, s := range bg.slots {
		if o.alive(s, now) {
			out = append(out, s)
		}
	}
	bg.slots = out
	if len(out) == 0 && !now.Before(bg.banned) {
		delete(o.b, k)
		return nil
	}
	return bg
}

func (bg *opBudget) sum() time.Duration {
	var sum time.Duration
	if bg != nil {
		for _, s := range bg.slots {
			sum += s.sum
		}
	}
	return sum
}

// blocked is the check before each call: k is banned, or its stored time
// is already above the limit.
func (o *operating) blocked(k opKey, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	bg := o.live(k, now)
	return bg != nil && (now.Before(bg.banned) || bg.sum() > o.limit)
}

// opRequest is one request's time per billed key, stored when it ends.
type opRequest struct {
	o     *operating
	start time.Time // the request's first call
	sums  map[opKey]time.Duration
}

func (o *operating) begin(start time.Time) *opRequest {
	return &opRequest{o: o, start: start, sums: map[opKey]time.Duration{}}
}

// add charges d to k in this request.
func (q *opRequest) add(k opKey, d time.Duration) {
	if q != nil && d > 0 {
		q.sums[k] += d
	}
}

// commit stores each key's sum above the floor in the slot of the request's
// start; a key that crosses the limit is banned (with a ban) and cleared.
// What was stored leaves the request; sums at or below the floor stay in
// the running figure.
func (q *opRequest) commit(now time.Time) {
	if q == nil {
		return
	}
	o := q.o
	o.mu.Lock()
	defer o.mu.Unlock()
	idx := o.slotOf(q.start)
	for k, d := range q.sums {
		if d <= o.floor {
			continue
		}
		delete(q.sums, k)
		bg := o.live(k, now)
		if bg == nil {
			bg = &opBudget{}
			o.b[k] = bg
		}
		found := false
		for i := range bg.slots {
			if bg.slots[i].idx == idx {
				bg.slots[i].sum += d
				found = true
			}
		}
		if !found {
			s := opSlot{idx: idx, first: q.start, sum: d}
			if o.alive(s, now) {
				bg.slots = append(bg.slots, s)
			}
		}
		if o.ban > 0 && bg.sum() > o.limit {
			bg.slots, bg.banned = nil, now.Add(o.ban)
		}
	}
}

// figure returns k's running figure (stored time plus this request's
// unstored time) and its reset time: the expiry of its oldest live slot,
// else the end of the ban, else the request's start plus W.
func (q *opRequest) figure(k opKey, now time.Time) (time.Duration, time.Time) {
	o := q.o
	o.mu.Lock()
	defer o.mu.Unlock()
	bg := o.live(k, now)
	reset := q.start.Add(o.window)
	if bg != nil && len(bg.slots) > 0 {
		reset = bg.slots[0].first.Add(o.window)
		for _, s := range bg.slots[1:] {
			if e := s.first.Add(o.window); e.Before(reset) {
				reset = e
			}
		}
	} else if bg != nil {
		reset = bg.banned
	}
	return bg.sum() + q.sums[k], reset
}
