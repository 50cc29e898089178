package redislimit

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/b24go/b24/internal/opbudget"
	"github.com/b24go/b24/limit"
)

// attempt tries once to admit a request: it reads the budgets of its
// methods (the last version this process saw, if any), admits the call on
// each ledger in Go (recorded + in flight + its cost ≤ L, as limit.New does),
// and commits the reservations and takes a unit of the bucket in one script
// that writes only if no process changed a budget since (else codeStale:
// read again). A request of no method takes the bucket alone.
func (l *Limiter) attempt(ctx context.Context, k keys, token string, p *limit.Params) (int64, time.Duration, error) {
	if len(k.methods) == 0 {
		return l.evalCode(ctx, takeScript, k.all[:1], bucketT(p), clientBurst(p))
	}
	mu := l.stripe(k)
	mu.Lock()
	defer mu.Unlock()
	versions, states, err := l.viewsOf(ctx, k, p)
	if err != nil {
		return 0, 0, err
	}
	now := time.Now()
	clk, pnow := l.portalNow(l.clockOf(k), now)
	lp := ledgerParams(p)
	out := make([]string, len(k.methods))
	var wait, delay time.Duration
	admitted := true
	for i := range k.methods {
		b := restore(decodeState(states[i]), lp, pnow, l.resTTL)
		tk, ok, at := b.led.AdmitUnits(pnow, k.units[i])
		if !ok {
			// Only a call settling makes room (at zero): look again after
			// the poll interval (Acquire looks again after it at most anyway:
			// another process may free the budget sooner).
			w := pollInterval(p)
			if !at.IsZero() {
				w = max(clk.Host(at).Sub(now), time.Microsecond)
			}
			wait, admitted = max(wait, w), false
			continue
		}
		b.st.Res = append(b.st.Res, reservation{Token: token, Cost: int64(tk.Reserved),
			From: pnow.UnixNano(), Until: pnow.Add(min(l.resTTL, 24*time.Hour)).UnixNano()})
		delay += adaptiveDelay(b.st, p, clk, now)
		out[i] = b.encode(pnow, lp)
	}
	if !admitted {
		// Wait only on a current view: check the versions read.
		code, _, err := l.commit(ctx, k, p, bucketNone, versions, make([]string, len(k.methods)))
		if err != nil || code == codeStale {
			return code, 0, err
		}
		return codeWaitOp, wait, nil
	}
	bucket := bucketTake
	if delay > 0 {
		bucket = bucketNone // the unit is taken after the delay
	}
	code, w, err := l.commit(ctx, k, p, bucket, versions, out)
	if err != nil || code == codeStale {
		return code, 0, err
	}
	if delay > 0 {
		return codeAdaptive, delay, nil
	}
	return code, w, nil
}

// adaptiveDelay is limit.New's adaptive delay for one budget: above the
// threshold, the coefficient × the time to the reset, on a ramp from 0 at
// the threshold to all of it at the limit, at most MaxDelay.
func adaptiveDelay(st sharedState, p *limit.Params, clk opbudget.Clock, now time.Time) time.Duration {
	a := p.Adaptive
	if !a.Enabled || !st.Known || st.Reset == 0 || p.Operating.Limit <= 0 {
		return 0
	}
	frac := float64(st.Used) / float64(p.Operating.Limit)
	reset := clk.Host(time.Unix(0, st.Reset))
	if frac <= a.Threshold || !now.Before(reset) {
		return 0
	}
	ramp := 1.0
	if a.Threshold < 1 {
		ramp = min(1, (frac-a.Threshold)/(1-a.Threshold))
	}
	d := time.Duration(float64(reset.Sub(now)) * a.Coefficient * ramp).Round(time.Microsecond)
	return min(d, a.MaxDelay)
}

// maxClockOffset bounds the portal's clock against the host's: a finish
// further off is absurd and teaches nothing about the clock (as limit.New).
const maxClockOffset = 24 * time.Hour

// lesson is what one answer teaches a method's budget, worked out once
// (the clock observed, the figure made sane) before the commit loop.
type lesson struct {
	method string
	answer opbudget.Answer
	report limit.OperatingReport
}

// lessons measures the portal's clock by each report of o and returns what
// each teaches, in the portal's clock, as limit.New's budgets learn it.
func (l *Limiter) lessons(k keys, o *limit.Outcome, p *limit.Params, now time.Time) (opbudget.Clock, []lesson) {
	c := l.clockOf(k)
	sent := now.Add(-max(o.Elapsed, 0))
	l.mu.Lock()
	for i, r := range o.Reports {
		if d := r.Finish.Sub(now); !r.Finish.IsZero() && d < maxClockOffset && d > -maxClockOffset {
			c.Observe(sent, now, r.Finish)
		} else {
			o.Reports[i].Finish = time.Time{}
		}
	}
	clk := *c
	l.mu.Unlock()
	pnow := clk.Now(now)
	var out []lesson
	for _, r := range o.Reports {
		r, ok := limit.SaneReport(r, pnow, p.Operating.Window)
		if !ok || !slices.Contains(k.methods, r.Method) {
			continue
		}
		finish, start := clk.AnswerTimes(r.Start, r.Finish, now, o.Elapsed)
		out = append(out, lesson{method: r.Method, report: r, answer: opbudget.Answer{Start: start, Finish: finish,
			Operating: r.Operating, ResetAt: r.ResetAt, ResetSlack: opbudget.ResetSlackOf(r.ResetAt), MaxCost: max(o.Elapsed, 1)}})
	}
	return clk, out
}

// learn applies an outcome to method m's budget: its figures, then a 429
// (nothing goes before the reported reset when it is ahead, else before the
// next slot boundary).
func (b *budget) learn(m string, units int, o *limit.Outcome, ls []lesson, pnow time.Time, p *limit.Params) {
	window := p.Operating.Window
	for _, x := range ls {
		if x.method != m {
			continue
		}
		x.answer.Units = units
		b.led.Observe(x.answer)
		b.st.Known, b.st.Used, b.st.Reset = true, int64(x.report.Operating), 0
		if !x.report.ResetAt.IsZero() {
			b.st.Reset = x.report.ResetAt.UnixNano()
		}
	}
	if o.Refused == limit.RefusedOperating && (o.RefusedMethod == "" || o.RefusedMethod == m) {
		until := time.Time{}
		if r := time.Unix(0, b.st.Reset); b.st.Reset != 0 && r.After(pnow) && r.Sub(pnow) <= window {
			until = r
		}
		b.led.Refused(pnow, until)
		b.st.Known = true
		b.st.Used = max(b.st.Used, int64(p.Operating.Limit))
	}
}

// Fit implements limit.Fitter: how many of the units req bills to its
// methods fit in the shared budgets now, beside every process's calls in
// flight (the smallest answer of its methods). It reads the budgets from
// Redis; when Redis fails it answers all of them, and Acquire reports the
// outage.
func (l *Limiter) Fit(req limit.Request) int {
	if f, ok := l.local.(limit.Fitter); ok && l.inFallback() {
		return f.Fit(req)
	}
	k := l.keysFor(req)
	n := 0
	for _, u := range k.units {
		n = max(n, u)
	}
	if n == 0 {
		return 0
	}
	p := l.params.Load()
	if _, _, err := l.commit(context.Background(), k, p, bucketNone, nil, nil); err != nil {
		return n
	}
	_, states, ok := l.cached(k)
	if !ok {
		return n
	}
	_, pnow := l.portalNow(l.clockOf(k), time.Now())
	fit := n
	for i := range k.methods {
		b := restore(decodeState(states[i]), ledgerParams(p), pnow, l.resTTL)
		fit = min(fit, b.led.Fit(pnow, k.units[i]))
	}
	return fit
}

var _ limit.Fitter = (*Limiter)(nil)

// maxSettleTries bounds the commits of one release that other processes'
// writes make stale; past it the reservation is left to expire.
const maxSettleTries = 64

// settle hands back a permit's reservations and learns from its outcome (o
// nil: nothing to learn), committing each budget's ledger as attempt does.
func (l *Limiter) settle(k keys, token string, o *limit.Outcome) {
	defer l.broadcast()
	p := l.params.Load()
	bucket := bucketNone
	if o != nil && o.Refused == limit.RefusedRate {
		bucket = bucketRefused
	}
	if len(k.methods) == 0 && bucket == bucketNone {
		return
	}
	now := time.Now()
	var clk opbudget.Clock
	var ls []lesson
	if o != nil {
		oc := *o
		oc.Reports = slices.Clone(o.Reports)
		clk, ls = l.lessons(k, &oc, p, now)
	} else {
		clk, _ = l.portalNow(l.clockOf(k), now)
	}
	pnow, lp := clk.Now(now), ledgerParams(p)
	mu := l.stripe(k)
	mu.Lock()
	defer mu.Unlock()
	// Release has no context of its own: each round trip is bounded by the timeout.
	ctx := context.Background()
	for range maxSettleTries {
		versions, states, err := l.viewsOf(ctx, k, p)
		if err != nil {
			l.releaseFailed(err)
			return
		}
		out := make([]string, len(k.methods))
		used := make([]int64, len(k.methods))
		for i, m := range k.methods {
			st := decodeState(states[i])
			st.Res = slices.DeleteFunc(st.Res, func(r reservation) bool { return r.Token == token })
			st.Ledger.Settled = true
			b := restore(st, lp, pnow, l.resTTL)
			if o != nil {
				b.learn(m, k.units[i], o, ls, pnow, p)
			}
			used[i] = -1
			if b.st.Known {
				used[i] = b.st.Used
			}
			out[i] = b.encode(pnow, lp)
		}
		code, _, err := l.commit(ctx, k, p, bucket, versions, out)
		if err != nil {
			l.releaseFailed(err)
			return
		}
		if code != codeStale {
			l.noteUsed(k, used, o != nil)
			return
		}
	}
}

// noteUsed keeps the figures a release learnt for Stats.
func (l *Limiter) noteUsed(k keys, used []int64, learnt bool) {
	if !learnt {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, m := range k.methods {
		if used[i] >= 0 {
			l.operating[opKey{k.portal, k.cred, m}] = time.Duration(used[i])
		}
	}
}

// The values of a portal's batch billing in Redis (key {portal}:b:<credential>).
const (
	billedAsBatch    = "batch"
	billedPerCommand = "command"
	billingTTL       = 24 * time.Hour // a portal's billing rarely changes; asked again after a day
)

func (l *Limiter) billingKey(portal, credential string) string {
	return l.prefix + "{" + braces.Replace(portal) + "}:b:" + credential
}

// BatchBilling implements limit.BillingSharer: the batch billing the answers
// of any process showed for the portal and credential (BatchBilledDetect
// when none did, or Redis does not answer).
func (l *Limiter) BatchBilling(ctx context.Context, portal, credential string) limit.BatchBilling {
	if l.inFallback() {
		return limit.BatchBilledDetect
	}
	v, err := l.do(ctx, func(ctx context.Context) (any, error) {
		return l.rdb.Get(ctx, l.billingKey(portal, credential)).Result()
	})
	if err != nil {
		return limit.BatchBilledDetect
	}
	switch v.(string) {
	case billedAsBatch:
		return limit.BatchBilledAsBatch
	case billedPerCommand:
		return limit.BatchBilledPerCommand
	}
	return limit.BatchBilledDetect
}

// SetBatchBilling implements limit.BillingSharer: it records b unless a
// billing is recorded already (SET NX), for a day.
func (l *Limiter) SetBatchBilling(ctx context.Context, portal, credential string, b limit.BatchBilling) {
	v := billedAsBatch
	switch b {
	case limit.BatchBilledAsBatch:
	case limit.BatchBilledPerCommand:
		v = billedPerCommand
	default:
		return
	}
	if l.inFallback() {
		return
	}
	_, err := l.do(ctx, func(ctx context.Context) (any, error) {
		return l.rdb.SetNX(ctx, l.billingKey(portal, credential), v, billingTTL).Result()
	})
	if err != nil {
		l.log.Debug("redislimit: recording the batch billing failed", slog.String("error", err.Error()))
	}
}

var _ limit.BillingSharer = (*Limiter)(nil)
