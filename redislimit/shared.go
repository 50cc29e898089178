package redislimit

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/b24go/b24/internal/opbudget"
	"github.com/b24go/b24/limit"
)

// sharedState is what one operating budget (portal, credential, method)
// keeps in Redis: the slot ledger every process admits its calls by, the
// reservations of the calls in flight in any process, and the last figure.
// All times are the portal's clock, which each process measures itself
// (opbudget.Clock), so processes on hosts whose clocks differ share one record.
type sharedState struct {
	Ledger opbudget.State `json:"l"`
	// Res are the reservations of calls in flight. Each expires on its own
	// (WithReservationTTL): a process that died frees its budget.
	Res []reservation `json:"r,omitempty"`
	// Used is the last figure reported (ns) and Reset its operating_reset_at
	// (portal Unix ns, 0: none): Stats and the adaptive delay read them.
	Known bool  `json:"k,omitempty"`
	Used  int64 `json:"u,omitempty"`
	Reset int64 `json:"t,omitempty"`
}

// reservation is one call in flight: its token, its reserved cost (ns),
// when it was admitted and when it stops counting (portal Unix ns).
type reservation struct {
	Token string `json:"i"`
	Cost  int64  `json:"c"`
	From  int64  `json:"f"`
	Until int64  `json:"e"`
}

// view is the last version of a budget this process read or wrote.
type view struct {
	version int64
	state   string
}

// ledgerParams are the figures of a budget's ledger, as limit.New's: the
// limit less the margin, the window, the floor of 0.1 s per 600 s.
func ledgerParams(p *limit.Params) opbudget.Params {
	o := p.Operating
	return opbudget.Params{Limit: o.Limit - o.Margin, Window: o.Window, Floor: o.Window / 6000}
}

// decodeState reads a stored state; one that does not decode (written by an
// incompatible version) reads as empty: the figures of the next answer
// restore what matters.
func decodeState(s string) sharedState {
	var st sharedState
	if s != "" && json.Unmarshal([]byte(s), &st) != nil {
		return sharedState{}
	}
	return st
}

// budget is one method's state as read, restored at portal time now: its
// ledger with the live reservations in flight.
type budget struct {
	st  sharedState
	led *opbudget.Ledger
}

// restore builds the ledger of st at portal time now. Reservations past
// their expiry are dropped; every stored time is clamped to what a sane
// process could have written (a reset, block or probe at most a window
// ahead, a slot at most two after now's, a reservation at most ttl, this process's
// WithReservationTTL): a state from a skewed or faulty process blocks a
// method for at most the window or the reservation TTL.
func restore(st sharedState, p opbudget.Params, now time.Time, ttl time.Duration) budget {
	horizon := now.Add(p.Window)
	pn := now.UnixNano()
	live := slices.DeleteFunc(st.Res, func(r reservation) bool { return r.Until <= pn })
	if len(live) < len(st.Res) && st.Ledger.ProbeAt.IsZero() {
		// A call of a dead process may have been the probe, whose answer
		// will never come: the next call may probe.
		st.Ledger.ProbeAt = now
	}
	st.Res = live
	st.Ledger.Flying, st.Ledger.InFlight = len(st.Res), 0
	for i := range st.Res {
		r := &st.Res[i]
		r.Cost = min(max(r.Cost, 1), int64(max(p.Limit, 1)))
		r.Until = min(r.Until, pn+int64(min(ttl, 24*time.Hour)))
		st.Ledger.InFlight += time.Duration(r.Cost)
	}
	st.Ledger.Blocked = minTime(st.Ledger.Blocked, horizon)
	st.Ledger.ProbeAt = minTime(st.Ledger.ProbeAt, horizon)
	st.Reset = min(st.Reset, horizon.UnixNano())
	// Another process's clock may read the portal's a little later than
	// this one's (each keeps bounds of its own): slots up to two ahead are
	// its, further is absurd.
	last := opbudget.New(p).Slot(now) + 2
	for _, es := range [][]opbudget.Entry{st.Ledger.Own, st.Ledger.Others} {
		for i := range es {
			es[i].Slot = min(es[i].Slot, last)
		}
	}
	return budget{st: st, led: opbudget.Restore(p, st.Ledger)}
}

func minTime(t, limit time.Time) time.Time {
	if t.After(limit) {
		return limit
	}
	return t
}

// encode writes the budget back with its ledger as of now, compacted: the
// entries of a slot stored before every call in flight was admitted are
// merged. An answer still to come finishes after its call was admitted, and
// admission times (From, and this process's now) are the earliest the
// portal's clock could read then, so none finishes before them; a second
// per 600 s of window is left for calls past their reservation's TTL.
func (b *budget) encode(now time.Time, p opbudget.Params) string {
	before := now
	for _, r := range b.st.Res {
		if f := time.Unix(0, r.From); f.Before(before) {
			before = f
		}
	}
	b.led.Compact(before.Add(-p.Window / 600))
	b.st.Ledger = b.led.State(now)
	out, err := json.Marshal(b.st)
	if err != nil {
		panic(fmt.Sprintf("redislimit: encoding a state: %v", err)) // plain types: cannot fail
	}
	return string(out)
}

// commit runs the commit script for k with the states to write (""
// writes nothing; nil: only read). It returns the code and wait, and keeps
// the versions and states it learns in the limiter's cache.
func (l *Limiter) commit(ctx context.Context, k keys, p *limit.Params, bucket int, versions []int64, states []string) (int64, time.Duration, error) {
	args := make([]any, 0, 4+2*len(k.methods))
	args = append(args, bucketT(p), clientBurst(p), bucket, l.stateTTL(p).Milliseconds())
	for i := range k.methods {
		v, s := int64(-1), ""
		if versions != nil {
			v, s = versions[i], states[i]
		}
		args = append(args, v, s)
	}
	res, err := l.do(ctx, func(ctx context.Context) (any, error) { return commitScript.Run(ctx, l.rdb, k.all, args...).Slice() })
	if err != nil {
		return 0, 0, err
	}
	r := res.([]any)
	if len(r) != 2+2*len(k.methods) {
		return 0, 0, fmt.Errorf("redislimit: unexpected answer of %d values from the commit script", len(r))
	}
	code, _ := r[0].(int64)
	w, _ := r[1].(int64)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range k.methods {
		vs, _ := r[2+2*i].(string)
		ver, _ := strconv.ParseInt(vs, 10, 64)
		s, _ := r[3+2*i].(string)
		if code != codeStale {
			s = states[i]
			if s == "" {
				s = l.views[k.all[1+i]].state // nothing written: the state read stays
			}
		}
		l.setView(k.all[1+i], view{version: ver, state: s})
	}
	return code, time.Duration(w) * time.Microsecond, nil
}

// stripe returns the lock of k's budgets in this process.
func (l *Limiter) stripe(k keys) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(l.seed)
	for _, s := range k.all[1:] {
		h.WriteString(s)
	}
	return &l.stripes[h.Sum64()%uint64(len(l.stripes))]
}

// setView caches a budget's last known version; the cache is dropped when
// it grows past maxViews (a service that talks to many portals).
func (l *Limiter) setView(key string, v view) {
	const maxViews = 4096
	if len(l.views) >= maxViews {
		clear(l.views)
	}
	l.views[key] = v
}

// views returns the cached versions and states of k's budgets, reading them
// from Redis when any is missing.
func (l *Limiter) viewsOf(ctx context.Context, k keys, p *limit.Params) ([]int64, []string, error) {
	for range 2 {
		versions, states, ok := l.cached(k)
		if ok {
			return versions, states, nil
		}
		if _, _, err := l.commit(ctx, k, p, bucketNone, nil, nil); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("redislimit: the states of %d budgets could not be read", len(k.methods))
}

func (l *Limiter) cached(k keys) ([]int64, []string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	versions := make([]int64, len(k.methods))
	states := make([]string, len(k.methods))
	for i := range k.methods {
		v, ok := l.views[k.all[1+i]]
		if !ok {
			return nil, nil, false
		}
		versions[i], states[i] = v.version, v.state
	}
	return versions, states, true
}

// stateTTL is how long a budget's state lives after its last write: its
// entries count a window and a slot at most, a reservation its TTL.
func (l *Limiter) stateTTL(p *limit.Params) time.Duration {
	w := p.Operating.Window
	return min(max(2*w, l.resTTL+w/10), 24*time.Hour)
}

// clockOf returns the measure of the portal's clock for k (shared by its
// methods), made on first use.
func (l *Limiter) clockOf(k keys) *opbudget.Clock {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := k.portal + "\x00" + k.cred
	c := l.clocks[id]
	if c == nil {
		if len(l.clocks) >= 4096 {
			clear(l.clocks)
		}
		c = &opbudget.Clock{}
		l.clocks[id] = c
	}
	return c
}

// portalNow returns the earliest the portal's clock can read now, and the
// clock's bounds (read under the lock: answers move them).
func (l *Limiter) portalNow(c *opbudget.Clock, now time.Time) (opbudget.Clock, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return *c, c.Now(now)
}
