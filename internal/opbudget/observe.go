package opbudget

import (
	"cmp"
	"slices"
	"time"
)

// Answer is what one answer of the client's own request told about the
// budget, in the portal's clock.
type Answer struct {
	// Start is when the request started: its time is stored in Start's
	// slot. When only a range is known, the latest time of it (the later
	// slot frees later).
	Start time.Time
	// Finish is when the figure was taken (the time block's finish).
	Finish time.Time
	// Operating is the figure: the time stored before Finish plus this
	// request's own (the portal's "operating"), already made sane.
	Operating time.Duration
	// ResetAt is operating_reset_at (the oldest live slot's first call
	// plus W); zero when absent.
	ResetAt time.Time
	// ResetSlack is how much later than ResetAt the reset can be: portals
	// send operating_reset_at truncated to the second (ResetSlack 1 s), so
	// the oldest slot may be younger than ResetAt − W says. 0: exact.
	ResetSlack time.Duration
	// MaxCost, above 0, bounds the request's own cost: its wall time, as
	// no request is billed more server time than it lasted. The rest of the
	// residual is others' spend (a client joining a busy budget).
	MaxCost time.Duration
	// Units is the request's size in commands (0: 1): the cost is learned
	// per command.
	Units int
}

// Observe corrects the ledger by one answer and returns the request's cost
// as learned from the figure: the figure less what the ledger knew was
// stored before Finish (with answers that finished at the same instant,
// the learned cost within what they leave open). A figure below what was
// surely stored before is a floor the record must meet: the surplus leaves
// the oldest slots first (see below). A residual
// below the usual cost takes the shortfall back from others' spend seen
// while the request was in flight, then off time that may have expired (a
// slot the portal let go before the ledger's dating does), then up to own
// time that finished within storeLag before Finish (the figure may have
// been read before it was stored). A residual far
// above the usual cost is others' spend, assumed to count until Finish's
// slot expires unless ResetAt proves an older slot.
func (l *Ledger) Observe(a Answer) time.Duration {
	l.prune(a.Finish)
	// Entries stored at the very time of Finish may or may not be in the
	// figure (answers that finish together): the residual lies between.
	incl := l.live(l.own, a.Finish, a.Finish) + l.live(l.others, a.Finish, a.Finish)
	prior := a.Finish.Add(-1)
	strict := l.live(l.own, a.Finish, prior) + l.live(l.others, a.Finish, prior)
	hi, lo := a.Operating-strict, max(a.Operating-incl, 0)
	units := time.Duration(max(a.Units, 1))
	if hi < 0 {
		return l.below(a, -hi, units)
	}
	r := hi
	if m, ok := l.Cost(); ok && lo < hi {
		r = min(max(m*units, lo), hi)
	}
	back := l.takeBack(a, r, units, prior)
	if m, ok := l.Cost(); ok && r+back < m*units {
		// The figure is below what the request usually costs: time the
		// portal let expire that the ledger dates a slot later (taken as a
		// cheap request, it would leave that time on record to free a
		// second time when its own slot expires). Own time that surely
		// still counts stays (shrink).
		back += l.shrink(m*units-r-back, a.Finish)
	}
	if m, ok := l.Cost(); ok && r+back < m*units {
		// Own time that finished just before may not be stored yet while
		// the portal read this figure (two figures read before either
		// store): the residual was taken against it. Recorded at up to the
		// usual cost; a later figure takes back what it over-counts.
		back += min(m*units-r-back, l.unstored(a.Finish))
	}
	own, extra := l.cost.attribute(r+back, units)
	if a.MaxCost > 0 && own > a.MaxCost {
		own, extra = a.MaxCost, extra+own-a.MaxCost
	}
	if own > l.p.Floor {
		l.own = append(l.own, l.ownEntry(a, own))
		l.reclaim(max(own-back, 0), a.Finish)
	}
	if extra -= min(extra, l.seenSince(a.Finish)); extra > 0 {
		l.others = append(l.others, entry{slot: l.Slot(a.Finish), finish: a.Finish, cost: extra, lump: l.cost.n == 0})
	}
	l.cost.learnUnits(own/units, int(units))
	l.proveReset(a)
	l.setProbe(a)
	return own
}

// seenSince returns others' spend seen by answers whose figures were taken
// after finish (those taken at the same instant are in Observe's bounds):
// stored time only grows until a slot expires, so a
// figure taken later holds all that an earlier one shows. Answers come in
// another order than their finishes (billed per command, a figure is taken
// at a batch's last command), and the residual of the earlier figure, read
// after the later one, is the time of the same requests (often the
// client's own, still in flight): added again, the record held it twice
// until a slot a window away expired (issue 16).
func (l *Ledger) seenSince(finish time.Time) time.Duration {
	var sum time.Duration
	for _, e := range l.others {
		if e.finish.After(finish) && finish.Before(l.Expiry(e.slot)) {
			sum += e.cost
		}
	}
	return sum
}

// below corrects the ledger by an answer whose figure is d below even what
// the ledger held as surely stored before it: the portal let some of that
// expire sooner (the ledger dates a request's slot by the latest its start
// can be, so its entries may outlive the portal's). The figure still holds
// this request's own time, stored in its own slot: with a cost known, the
// request is recorded at it (at most the figure and its wall time), and the
// record loses d plus that, less own time that may not be stored yet,
// oldest first (shrink, then shrinkStored), so that it meets the figure and
// its newest time frees last. Nothing is learned: the residual is unseen.
func (l *Ledger) below(a Answer, d, units time.Duration) time.Duration {
	var own time.Duration
	if m, ok := l.Cost(); ok {
		own = min(m*units, a.Operating)
		if a.MaxCost > 0 {
			own = min(own, a.MaxCost)
		}
	}
	if d += own - l.unstored(a.Finish); d > 0 {
		l.shrinkStored(d-l.shrink(d, a.Finish), a.Finish)
	}
	if own > l.p.Floor {
		l.own = append(l.own, l.ownEntry(a, own))
	}
	l.proveReset(a)
	l.setProbe(a)
	return own
}

// ownEntry is the record of a's own cost c: in the slot of its latest
// start, and from the slot of its earliest (its finish less its wall time).
func (l *Ledger) ownEntry(a Answer, c time.Duration) entry {
	e := entry{slot: l.Slot(a.Start), finish: a.Finish, cost: c}
	if a.MaxCost > 0 {
		e.early = max(e.slot-l.Slot(a.Finish.Add(-a.MaxCost)), 0) + 1
	}
	return e
}

// surelyLive reports whether own entry e still counts at the portal at now
// once stored: its earliest slot has not expired. A figure without it was
// taken before its store (an earlier request's time stored after a later
// one's figure), not after its expiry, so shrink leaves it.
func (l *Ledger) surelyLive(e entry, now time.Time) bool {
	return e.early > 0 && now.Before(l.Expiry(e.slot-e.early+1))
}

// takeBack returns others' spend taken off the record for a's own cost,
// when a's residual r is below a request's usual cost: spend seen by
// answers that finished while a was in flight (from its earliest start, at
// least a wall time before its finish) may be a's own time, which a portal
// that takes the finish before it stores or reads the figure can show in an
// earlier-finishing request's figure. Counted as a's own, it is learned as
// its cost and frees with a's slot, never earlier.
func (l *Ledger) takeBack(a Answer, r, units time.Duration, prior time.Time) time.Duration {
	m, ok := l.Cost()
	if !ok || a.MaxCost <= 0 || r >= m*units {
		return 0
	}
	want, from := m*units-r, a.Finish.Add(-a.MaxCost)
	var took time.Duration
	for i := len(l.others) - 1; i >= 0 && took < want; i-- {
		if e := &l.others[i]; !e.lump && !e.finish.Before(from) && !e.finish.After(prior) && a.Finish.Before(l.Expiry(e.slot)) {
			x := min(e.cost, want-took)
			e.cost -= x
			took += x
		}
	}
	l.others = deleteEmpty(l.others)
	return took
}

// reclaim takes an answer's own cost c off others' spend seen by answers
// that finished at or after finish: their figures held this request's time
// already (it was stored when it ended), taken then for others' because
// its own answer had not been read yet.
func (l *Ledger) reclaim(c time.Duration, finish time.Time) {
	for i := len(l.others) - 1; i >= 0 && c > 0; i-- {
		if e := &l.others[i]; !e.finish.Before(finish) {
			take := min(e.cost, c)
			e.cost -= take
			c -= take
		}
	}
	l.others = deleteEmpty(l.others)
}

// shrink takes d off the record, oldest slot first (others' spend first
// within a slot): the portal holds less than the ledger thought because it
// let time expire that the ledger dated in a later slot, so what is left
// must be the newest, which frees last. Own time that surely still counts
// (surelyLive) is not taken: a figure without it was read before its store,
// and taken off it would free time the portal still holds (issue 16).
// Others' spend, whose dating is a guess, is always taken. (Taking others' newer spend first
// kept the expired time on record in an old slot, and that slot's expiry
// then freed more than the portal did.)
func (l *Ledger) shrink(d time.Duration, now time.Time) time.Duration {
	return l.takeOldest(d, now, func(_ bool, e entry) bool { return !l.surelyLive(e, now) })
}

// takeOldest takes up to d off the entries still counting at now that
// pick accepts (own tells which list), oldest slot first and others' spend
// first within a slot, and returns what it took.
func (l *Ledger) takeOldest(d time.Duration, now time.Time, pick func(own bool, e entry) bool) time.Duration {
	type ref struct {
		es *[]entry
		i  int
	}
	var refs []ref
	for k, es := range []*[]entry{&l.others, &l.own} {
		for i, e := range *es {
			if now.Before(l.Expiry(e.slot)) && pick(k == 1, e) {
				refs = append(refs, ref{es, i})
			}
		}
	}
	slices.SortStableFunc(refs, func(a, b ref) int { return cmp.Compare((*a.es)[a.i].slot, (*b.es)[b.i].slot) })
	var took time.Duration
	for _, r := range refs {
		if d <= 0 {
			break
		}
		e := &(*r.es)[r.i]
		take := min(e.cost, d)
		e.cost -= take
		d -= take
		took += take
	}
	l.others, l.own = deleteEmpty(l.others), deleteEmpty(l.own)
	return took
}

// storeLag bounds how long after its finish a portal stores a request's
// time: own time that finished longer before a figure was taken is in it,
// unless it has expired.
const storeLag = 500 * time.Millisecond

// shrinkStored takes what is left of a figure's surplus d, after shrink,
// off own time that surely still counts and was surely stored before the
// figure (it finished storeLag or more before finish), oldest slot first:
// the figure lacks it, so the record over-counts it (costs estimated above
// what requests cost). The caller leaves out of d the own time that may not
// be stored yet (unstored). Without this, a record above the figures stayed
// above them, each later answer recorded at the over-estimated cost and
// nothing learned (issue 16: 1,000,000 rows on a budget used to 94 % took
// 48-58 s instead of 18 s in 2 of 5 runs).
func (l *Ledger) shrinkStored(d time.Duration, finish time.Time) {
	sure := finish.Add(-storeLag)
	l.takeOldest(d, finish, func(own bool, e entry) bool { return own && e.finish.Before(sure) })
}

// unstored is own time that finished within storeLag before finish: a
// figure taken at finish may lack it because it is not stored yet.
func (l *Ledger) unstored(finish time.Time) time.Duration {
	var sum time.Duration
	for _, e := range l.own {
		if e.finish.Before(finish) && !e.finish.Before(finish.Add(-storeLag)) && finish.Before(l.Expiry(e.slot)) {
			sum += e.cost
		}
	}
	return sum
}

func deleteEmpty(es []entry) []entry {
	out := es[:0]
	for _, e := range es {
		if e.cost > 0 {
			out = append(out, e)
		}
	}
	return out
}

// proveReset moves others' oldest spend seen between two answers back to
// the portal's oldest live slot when the ledger holds none of its own
// there: the time in that slot is someone else's and frees when it
// expires. A lump (the first answer's) is not moved: how much of it sits in
// that slot is unknown; a probe finds out (see Admit).
func (l *Ledger) proveReset(a Answer) {
	if a.ResetAt.IsZero() || len(l.others) == 0 {
		return
	}
	// The latest the reset can be: dated older, the time moved there would
	// free before the portal frees it.
	oldest := l.Slot(a.ResetAt.Add(max(a.ResetSlack-1, 0) - l.p.Window))
	if !a.Finish.Before(l.Expiry(oldest)) {
		return // stale: that slot no longer counts
	}
	for _, e := range l.own {
		if e.slot <= oldest {
			return
		}
	}
	first := -1
	for i, e := range l.others {
		if e.slot <= oldest {
			return
		}
		if !e.lump && (first < 0 || e.slot < l.others[first].slot) {
			first = i
		}
	}
	if first >= 0 {
		l.others[first].slot = oldest
	}
}

// setProbe dates the next probe while a lump holds the budget: at the
// reset the portal reported (its oldest slot has gone by then, by either
// rule), or at once without one.
func (l *Ledger) setProbe(a Answer) {
	l.probeAt = a.Finish
	if !a.ResetAt.IsZero() {
		l.probeAt = a.ResetAt.Add(max(a.ResetSlack, 0))
	}
}

// costEstimate learns a command's cost (a request's cost over its
// commands): a running mean and mean deviation.
type costEstimate struct {
	mean, dev time.Duration
	n         int
	most      int // the most commands of a request seen
}

// reserve is what a command in flight is expected to cost (mean plus two
// deviations); false before the first answer.
func (c *costEstimate) reserve() (time.Duration, bool) {
	if c.n == 0 {
		return 0, false
	}
	return c.mean + 2*c.dev, true
}

// attribute splits a residual into the own cost of a request of units
// commands and others' spend: after three answers, a residual above units
// times twice the mean plus four deviations is taken to hold others' spend
// beyond that.
func (c *costEstimate) attribute(r, units time.Duration) (own, others time.Duration) {
	if c.n < 3 {
		return r, 0
	}
	if limit := (2*c.mean + 4*c.dev) * units; r > limit {
		return limit, r - limit
	}
	return r, 0
}

// learn takes one request's cost x (a request of one command).
func (c *costEstimate) learn(x time.Duration) { c.learnUnits(x, 1) }

// learnUnits takes one request's cost per command x, of a request of units
// commands: a request as large as the largest seen moves the estimate by a
// quarter of its difference, a smaller one in proportion (a 2-page request
// ending a shard says less about the next batch of 50 than a batch of 50).
func (c *costEstimate) learnUnits(x time.Duration, units int) {
	units = max(units, 1)
	c.most = max(c.most, units)
	if c.n == 0 {
		c.mean, c.dev = x, x/4
	} else {
		w := float64(units) / float64(c.most) / 4
		d := x - c.mean
		c.mean += time.Duration(float64(d) * w)
		c.dev += time.Duration(float64(max(d, -d)-c.dev) * w)
	}
	c.n++
}

// Cost returns the learned cost of one command and whether one is known.
func (l *Ledger) Cost() (time.Duration, bool) { return l.cost.mean, l.cost.n > 0 }

// ResetSlackOf returns an Answer's ResetSlack for a reset time t as a
// portal sent it: 1 s when t is a whole second (operating_reset_at is an
// integer, truncated), else 0.
func ResetSlackOf(t time.Time) time.Duration {
	if t.IsZero() || t.Nanosecond() != 0 {
		return 0
	}
	return time.Second
}
