// Package opbudget models one operating budget of a Bitrix24 portal the way
// the portal keeps it (docs/protocol.md §4, docs/limits.md): a method's
// time summed over one request is stored when the request ends, in the slot
// of W/10 its start falls in, if the sum is above the floor; a slot stops
// counting when its number falls 10 behind, i.e. at (slot+10)·W/10. Time
// spent now frees nothing for a whole window.
//
// A Ledger keeps the client's own record of what it spent in which slot,
// the reservations of its requests in flight, and the spend of others on
// the same budget, corrected by every answer's figure. It admits a request
// only while recorded + in flight + its expected cost ≤ L, and tells the
// exact time the next one fits. All times are the portal's clock (see Clock).
// A Ledger is not safe for concurrent use: its owner locks.
package opbudget

import (
	"slices"
	"time"
)

// Params are one budget's figures: L (Limit, less any margin), W and the
// floor (0.1 s on real portals) below which a request's time is not stored.
type Params struct {
	Limit, Window, Floor time.Duration
}

// entry is time stored in one slot: by the client itself (own) or by others.
type entry struct {
	slot   int64
	finish time.Time // the portal time the answer's figure was taken (own), or seen (others)
	cost   time.Duration
	lump   bool // others' spend found by the first answer: when it was spent is unknown
	// early is 1 + how many slots before slot the portal may have stored an
	// own entry in (its request's earliest start); 0: unknown. Until that
	// slot expires the time surely counts at the portal once stored (see
	// surelyLive).
	early int64
}

// Ledger is one budget's record. The zero value is not usable: see New.
type Ledger struct {
	p        Params
	width    time.Duration // W/10
	own      []entry
	others   []entry
	inflight time.Duration // reservations of requests in flight
	flying   int
	cost     costEstimate
	blocked  time.Time // after a refusal: nothing is admitted before
	settled  bool      // a request has settled (its answer, or its failure, is in)
	probeAt  time.Time // with a lump: when one request may go to learn what freed
}

// New returns an empty ledger for p. A window below 10 ns is taken as 10 ns.
func New(p Params) *Ledger {
	return &Ledger{p: p, width: max(p.Window/10, 1)}
}

// Params returns the ledger's figures.
func (l *Ledger) Params() Params { return l.p }

// SetParams changes the figures (a new plan); the record stays.
func (l *Ledger) SetParams(p Params) { l.p, l.width = p, max(p.Window/10, 1) }

// Slot is the number of the slot portal time t falls in.
func (l *Ledger) Slot(t time.Time) int64 {
	n := t.UnixNano()
	s := n / int64(l.width)
	if n < 0 && n%int64(l.width) != 0 {
		s-- // floor, not truncation
	}
	return s
}

// Expiry is when time stored in slot stops counting: (slot+10)·W/10.
func (l *Ledger) Expiry(slot int64) time.Time {
	return time.Unix(0, (slot+10)*int64(l.width))
}

// Recorded is the time the portal holds at portal time now, as far as the
// ledger knows: its own record and others' spend still counting.
func (l *Ledger) Recorded(now time.Time) time.Duration {
	return l.live(l.own, now, time.Time{}) + l.live(l.others, now, time.Time{})
}

// live sums the entries of es that count at now and, unless before is zero,
// were stored before it.
func (l *Ledger) live(es []entry, now, before time.Time) time.Duration {
	var sum time.Duration
	for _, e := range es {
		if now.Before(l.Expiry(e.slot)) && (before.IsZero() || !e.finish.After(before)) {
			sum += e.cost
		}
	}
	return sum
}

// InFlight returns the requests admitted and not settled, and their reservations.
func (l *Ledger) InFlight() (int, time.Duration) { return l.flying, l.inflight }

// prune drops entries that no longer count at now.
func (l *Ledger) prune(now time.Time) {
	keep := func(e entry) bool { return !now.Before(l.Expiry(e.slot)) }
	l.own = slices.DeleteFunc(l.own, keep)
	l.others = slices.DeleteFunc(l.others, keep)
}

// Ticket is one admitted request's reservation; Settle gives it back.
type Ticket struct {
	Reserved time.Duration
	Units    int // the request's size in commands (at least 1)
}

// Admit reserves the expected cost of one request at portal time now when
// it fits: not blocked, and recorded + in flight + cost ≤ L. Before a cost
// has been learned, one request goes alone until it settles (requests of
// unknown cost flying together could pass L unseen); after that, with
// still no figure, a request reserves 1 ns: it goes while the record is
// below L (a portal that reports no figures is not slowed down). When it
// does not fit, at is the portal time it will, assuming nothing else
// changes; at is zero when only a request settling can make room. A cost
// above L is reserved as L: such a request goes alone, into an empty budget.
func (l *Ledger) Admit(now time.Time) (t Ticket, ok bool, at time.Time) {
	return l.AdmitUnits(now, 1)
}

// AdmitUnits is Admit for a request of units commands (a batch): costs are
// learned per command, so it reserves units times a command's expected cost.
func (l *Ledger) AdmitUnits(now time.Time, units int) (t Ticket, ok bool, at time.Time) {
	l.prune(now)
	if now.Before(l.blocked) {
		return Ticket{}, false, l.blocked
	}
	units = max(units, 1)
	c, known := l.cost.reserve()
	c = max(min(c*time.Duration(units), l.p.Limit), 1)
	if !known {
		if l.flying > 0 && !l.settled {
			return Ticket{}, false, time.Time{} // the first request learns the cost
		}
		c = 1
	}
	if at, fits := l.fitsAt(now, c); !fits || at.After(now) {
		if !l.probing(now) {
			return Ticket{}, false, l.earlier(now, at, fits)
		}
		l.probeAt = time.Time{} // one probe until the next answer
	}
	l.flying++
	l.inflight += c
	return Ticket{Reserved: c, Units: units}, true, time.Time{}
}

// Fit returns how many of units commands fit in the budget at portal time
// now, each reserving a command's expected cost: units when the cost is not
// known yet or all fit, 0 when none does or the budget is blocked. A client
// that can split its work (a list engine choosing how many pages a batch
// reads) sends that many now instead of waiting for a whole request to fit.
func (l *Ledger) Fit(now time.Time, units int) int {
	l.prune(now)
	if now.Before(l.blocked) {
		return 0
	}
	c, known := l.cost.reserve()
	if !known || c <= 0 {
		return units
	}
	free := l.p.Limit - l.Recorded(now) - l.inflight
	if free <= 0 {
		return 0
	}
	return int(min(int64(units), int64(free/c)))
}

// fitsAt returns the earliest portal time from now at which a request of
// cost c fits, by letting entries expire in order; false when only
// settling reservations can make room.
func (l *Ledger) fitsAt(now time.Time, c time.Duration) (time.Time, bool) {
	need := l.Recorded(now) + l.inflight + c - l.p.Limit
	if need <= 0 {
		return now, true
	}
	if l.inflight+c > l.p.Limit {
		return time.Time{}, false
	}
	exp := make([]entry, 0, len(l.own)+len(l.others))
	exp = append(append(exp, l.own...), l.others...)
	slices.SortFunc(exp, func(a, b entry) int { return int(a.slot - b.slot) })
	for _, e := range exp {
		if need -= e.cost; need <= 0 {
			return l.Expiry(e.slot), true
		}
	}
	return time.Time{}, false
}

// probing reports whether a request may go at now although it does not
// fit: others' spend of unknown age (a lump) holds the budget, nothing is
// in flight, and the portal's oldest slot has expired since the last answer
// (or the answer gave no reset): one request learns what freed.
func (l *Ledger) probing(now time.Time) bool {
	return l.flying == 0 && !l.probeAt.IsZero() && !now.Before(l.probeAt) && l.lump(now)
}

// lump reports whether others' spend of unknown age still counts at now.
func (l *Ledger) lump(now time.Time) bool {
	return slices.ContainsFunc(l.others, func(e entry) bool { return e.lump && now.Before(l.Expiry(e.slot)) })
}

// earlier returns the time a waiter should look again: when the request
// fits (zero: only a settle helps), or the probe time if that is sooner.
func (l *Ledger) earlier(now, at time.Time, fits bool) time.Time {
	if l.flying > 0 || !l.probeAt.After(now) || !l.lump(now) {
		return at
	}
	if !fits || l.probeAt.Before(at) {
		return l.probeAt
	}
	return at
}

// Settle gives back t's reservation (once per admitted request).
func (l *Ledger) Settle(t Ticket) {
	l.settled = true
	if l.flying > 0 {
		l.flying--
	}
	l.inflight = max(0, l.inflight-t.Reserved)
}

// Refused records a refusal (429) at portal time now: nothing more is
// admitted before until, or before the next slot boundary when until is
// not after now, and the record is raised to the limit until then, since
// the portal holds more than the ledger knew.
func (l *Ledger) Refused(now, until time.Time) {
	if !until.After(now) {
		until = time.Unix(0, (l.Slot(now)+1)*int64(l.width))
	}
	l.blocked = until
	if gap := l.p.Limit - l.Recorded(now); gap > 0 {
		// In the slot that expires by until.
		l.others = append(l.others, entry{slot: l.Slot(until.Add(-l.p.Window)), finish: now, cost: gap})
	}
}

// Blocked returns the portal time before which nothing is admitted.
func (l *Ledger) Blocked() time.Time { return l.blocked }
