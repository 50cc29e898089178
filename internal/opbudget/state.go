package opbudget

import (
	"slices"
	"time"
)

// State is a ledger's record in exported form, so that a limiter can keep
// one ledger outside the process (redislimit keeps it in Redis and shares
// it between processes). Times are the portal's clock, as in the Ledger.
// The requests in flight are the owner's to count: Restore takes their
// number and sum as given (redislimit keeps each with an expiry, so that a
// dead process's reservations stop counting).
type State struct {
	Own, Others []Entry   `json:",omitempty"`
	CostMean    int64     `json:",omitempty"` // ns
	CostDev     int64     `json:",omitempty"` // ns
	CostN       int       `json:",omitempty"`
	Blocked     time.Time `json:",omitzero"`
	Settled     bool      `json:",omitempty"`
	ProbeAt     time.Time `json:",omitzero"`
	// Flying and InFlight are the requests in flight and their reservations.
	Flying   int           `json:"-"`
	InFlight time.Duration `json:"-"`
}

// Entry is time stored in one slot (see Ledger).
type Entry struct {
	Slot   int64
	Finish int64 // Unix ns
	Cost   int64 // ns
	Lump   bool  `json:",omitempty"`
	Early  int64 `json:",omitempty"` // 1 + the slots before Slot an own entry's request may have started; 0: unknown
}

// State returns the ledger's record (entries that no longer count at now
// dropped).
func (l *Ledger) State(now time.Time) State {
	l.prune(now)
	s := State{CostMean: int64(l.cost.mean), CostDev: int64(l.cost.dev), CostN: l.cost.n,
		Blocked: l.blocked, Settled: l.settled, ProbeAt: l.probeAt, Flying: l.flying, InFlight: l.inflight}
	s.Own = exportEntries(l.own)
	s.Others = exportEntries(l.others)
	return s
}

func exportEntries(es []entry) []Entry {
	if len(es) == 0 {
		return nil
	}
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Slot: e.slot, Finish: e.finish.UnixNano(), Cost: int64(e.cost), Lump: e.lump, Early: e.early}
	}
	return out
}

func importEntries(es []Entry) []entry {
	out := make([]entry, 0, len(es))
	for _, e := range es {
		if e.Cost > 0 {
			out = append(out, entry{slot: e.Slot, finish: time.Unix(0, e.Finish), cost: time.Duration(e.Cost), lump: e.Lump,
				early: min(max(e.Early, 0), 11)}) // 11: surely counting no longer than from its slot's start
		}
	}
	return out
}

// Restore returns a ledger for p holding s. Figures out of range (a state
// written by a faulty or older process) are clamped: negative costs and
// counts read as 0, a cost above the limit as the limit.
func Restore(p Params, s State) *Ledger {
	l := New(p)
	l.own, l.others = importEntries(s.Own), importEntries(s.Others)
	for _, es := range [][]entry{l.own, l.others} {
		for i := range es {
			es[i].cost = min(es[i].cost, max(p.Limit, 1))
		}
	}
	l.cost = costEstimate{mean: clampCost(s.CostMean, p.Limit), dev: clampCost(s.CostDev, p.Limit), n: max(s.CostN, 0)}
	l.blocked, l.settled, l.probeAt = s.Blocked, s.Settled, s.ProbeAt
	l.flying, l.inflight = max(s.Flying, 0), max(s.InFlight, 0)
	return l
}

func clampCost(ns int64, limit time.Duration) time.Duration {
	return min(max(time.Duration(ns), 0), max(limit, 0))
}

// Compact merges the entries of one slot (own with own, others' with
// others' of the same kind) stored before the portal time before, so that a
// record kept outside the process stays about 10 entries a kind however
// many requests a window holds. Merged entries take the latest finish:
// Observe reads entries by whether they were stored before an answer's
// finish, and no answer still to come finishes before before (the caller
// picks it before every request in flight started).
func (l *Ledger) Compact(before time.Time) {
	l.own = compact(l.own, before)
	l.others = compact(l.others, before)
}

func compact(es []entry, before time.Time) []entry {
	out := es[:0]
	for _, e := range es {
		if !e.finish.Before(before) {
			out = append(out, e)
			continue
		}
		i := slices.IndexFunc(out, func(o entry) bool {
			return o.slot == e.slot && o.lump == e.lump && o.finish.Before(before)
		})
		if i < 0 {
			out = append(out, e)
			continue
		}
		out[i].cost += e.cost
		out[i].early = max(out[i].early, e.early) // the earliest start of either
		if e.finish.After(out[i].finish) {
			out[i].finish = e.finish
		}
	}
	return out
}
