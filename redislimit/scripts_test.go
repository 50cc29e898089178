package redislimit

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b24go/b24/internal/opbudget"
	"github.com/b24go/b24/limit"
)

// try runs the acquire script once, without waiting: the code, the wait it
// asks for, and the permit when admitted (codeOK) or reserved (codeAdaptive,
// codeWaitBucket).
func try(t *testing.T, l *Limiter, req limit.Request) (int64, time.Duration, *permit) {
	t.Helper()
	k := l.keysFor(req)
	token := l.newToken()
	code, wait, err := int64(codeStale), time.Duration(0), error(nil)
	for code == codeStale {
		code, wait, err = l.attempt(context.Background(), k, token, l.params.Load())
	}
	if err != nil {
		t.Fatal(err)
	}
	if code == codeWaitOp {
		return code, wait, nil
	}
	return code, wait, &permit{l: l, k: k, token: token}
}

// waitNear reports whether a wait the scripts asked for is the full wait
// want, less the time gone since from (when the state that sets it was made):
// the tests run against a real Redis on a shared machine, where a test may
// stall between the two steps.
func waitNear(got, want time.Duration, from time.Time) bool {
	const slack = 2 * time.Millisecond
	return got > 0 && got <= want+slack && got >= want-time.Since(from)-slack
}

func acquire(t *testing.T, l *Limiter, req limit.Request) limit.Permit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := l.Acquire(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func bucketParams(burst int, drain float64) limit.Params {
	p := scaled()
	p.RateLimit = limit.RateLimit{Burst: burst, Drain: drain}
	return p
}

var portalOnly = limit.Request{Portal: "bucket.bitrix24.test"}

func TestBucketBurstKeepsOneOfHeadroom(t *testing.T) {
	c := needRedis(t)
	for _, tc := range []struct {
		burst, admitted int
	}{{10, 9}, {2, 1}, {1, 1}} {
		l := newTestLimiter(t, c, testPrefix(t), bucketParams(tc.burst, 1)) // 1/Y = 1 s
		from := time.Now()
		for i := range tc.admitted {
			if code, wait, _ := try(t, l, portalOnly); code != codeOK {
				t.Fatalf("burst %d: request %d: code %d (wait %v), want admitted at once", tc.burst, i+1, code, wait)
			}
		}
		code, wait, _ := try(t, l, portalOnly)
		if code != codeWaitBucket || !waitNear(wait, time.Second, from) {
			t.Fatalf("burst %d: request %d: code %d wait %v, want a wait of about 1/Y = 1s", tc.burst, tc.admitted+1, code, wait)
		}
	}
}

func TestBucketDrainRate(t *testing.T) {
	c := needRedis(t)
	const T = 10 * time.Millisecond // drain 100/s
	l := newTestLimiter(t, c, testPrefix(t), bucketParams(10, 100))
	start := time.Now()
	admitted := 0
	// At least 200 ms, and until the bucket has drained 5 past the burst: a
	// loaded machine may try only a few times in 200 ms (5 s bounds a bucket
	// that never drains).
	for (time.Since(start) < 200*time.Millisecond || admitted < 9+5) && time.Since(start) < 5*time.Second {
		if code, _, _ := try(t, l, portalOnly); code == codeOK {
			admitted++
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	// Every admission happened on Redis's clock between start and now: at
	// most the burst (9) plus one per emission interval.
	if most := 9 + int(elapsed/T); admitted > most {
		t.Fatalf("admitted %d in %v, more than the burst 9 + %v/%v = %d", admitted, elapsed, elapsed, T, most)
	}
	if least := 9 + 5; admitted < least {
		t.Fatalf("admitted %d in %v, want at least %d: the bucket does not drain", admitted, elapsed, least)
	}
}

func TestBucketSharedBetweenLimiters(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	a := newTestLimiter(t, c, prefix, bucketParams(5, 1))
	b := newTestLimiter(t, c, prefix, bucketParams(5, 1))
	from := time.Now()
	for range 2 {
		try(t, a, portalOnly)
		try(t, b, portalOnly)
	}
	if code, wait, _ := try(t, b, portalOnly); code != codeWaitBucket || !waitNear(wait, time.Second, from) {
		t.Fatalf("5th request of two limiters on one portal: code %d wait %v, want the shared burst of 4 spent", code, wait)
	}
	other := limit.Request{Portal: "other.bitrix24.test"}
	if code, _, _ := try(t, b, other); code != codeOK {
		t.Fatalf("another portal: code %d, want its own bucket", code)
	}
}

func TestBucketRefusalLeavesNoBurst(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	const T = 100 * time.Millisecond // drain 10/s
	a := newTestLimiter(t, c, prefix, bucketParams(50, 10))
	b := newTestLimiter(t, c, prefix, bucketParams(50, 10))
	p := acquire(t, a, portalOnly)
	from := time.Now()
	p.Release(limit.Outcome{Refused: limit.RefusedRate, Sent: true})
	// Another process sees it: the burst of 49 is gone, the next request waits 1/Y.
	code, wait, _ := try(t, b, portalOnly)
	if code != codeWaitBucket || !waitNear(wait, T, from) {
		t.Fatalf("after a 503: code %d wait %v, want a wait of about %v", code, wait, T)
	}
	start := time.Now()
	acquire(t, b, portalOnly)
	from = start // b was admitted after start: a waits one interval from then
	if d := time.Since(start); d < T/2 {
		t.Fatalf("Acquire after a 503 waited %v, want about %v", d, T)
	}
	if code, wait, _ := try(t, a, portalOnly); code != codeWaitBucket || !waitNear(wait, T, from) {
		t.Fatalf("second request after a 503: code %d wait %v, want another full interval", code, wait)
	}
	if st := a.Stats(); st.RateRefusals != 1 {
		t.Fatalf("Stats().RateRefusals = %d, want 1", st.RateRefusals)
	}
}

// TestPermitReportsWait: a permit tells how long Acquire held the caller back
// (limit.WaitReporter), 0 when it admitted the request at once.
func TestPermitReportsWait(t *testing.T) {
	c := needRedis(t)
	const T = 100 * time.Millisecond // drain 10/s
	l := newTestLimiter(t, c, testPrefix(t), bucketParams(2, 10))
	from := time.Now()
	p := acquire(t, l, portalOnly)
	w, ok := p.(limit.WaitReporter)
	if !ok {
		t.Fatalf("permit %T does not implement limit.WaitReporter", p)
	}
	if d := w.Waited(); d != 0 {
		t.Fatalf("request 1: Waited() = %v, want 0 (admitted at once)", d)
	}
	p.Release(limit.Outcome{Sent: true})
	// The second waits for the unit the first took, free T after the first
	// was admitted (at or after from): at least T less the time gone since
	// from, at most as long as Acquire ran, however loaded the machine.
	call := time.Now()
	p = acquire(t, l, portalOnly)
	took := time.Since(call)
	if d := p.(limit.WaitReporter).Waited(); d <= 0 || d > took || d < T-call.Sub(from)-2*time.Millisecond {
		t.Fatalf("request 2: Waited() = %v, want at least %v less %v and at most %v", d, T, call.Sub(from), took)
	}
	p.Release(limit.Outcome{Sent: true})
}

const method = "crm.deal.list"

func opReq(cred string) limit.Request {
	return limit.Request{Portal: "ops.bitrix24.test", Credential: cred, Methods: []string{method}}
}

// report settles one call with an operating figure.
func report(t *testing.T, l *Limiter, req limit.Request, op time.Duration, reset time.Time) {
	t.Helper()
	acquire(t, l, req).Release(limit.Outcome{Sent: true, Reports: []limit.OperatingReport{{Method: method, Operating: op, ResetAt: reset}}})
}

func TestOperatingWaitsForResetThenProbes(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	a := newTestLimiter(t, c, prefix, scaled()) // limit 4.8 s, margin 50 ms
	b := newTestLimiter(t, c, prefix, scaled())
	req := opReq("cred1")
	from := time.Now()
	reset := from.Add(300 * time.Millisecond)
	report(t, a, req, 4800*time.Millisecond, reset)

	if code, wait, _ := try(t, b, req); code != codeWaitOp || !waitNear(wait, 300*time.Millisecond, from) {
		t.Fatalf("budget spent: code %d wait %v, want to wait for the reset (~300ms)", code, wait)
	}
	before := time.Now()
	probe := acquire(t, b, req) // waits for the reset
	if now := time.Now(); now.Before(reset.Add(-5 * time.Millisecond)) {
		t.Fatalf("admitted %v before the reset", reset.Sub(now))
	}
	// The wait is what was left of the 300 ms when Acquire began (a loaded
	// machine may have used some of it since from).
	if st, left := b.Stats(), reset.Sub(before); st.Waits != 1 || st.WaitTime < left-10*time.Millisecond {
		t.Fatalf("Stats() = %+v, want one wait of the %v left until the reset", st, left)
	}
	// Past the reset the figure is stale: one call probes, the others wait for it.
	if code, _, _ := try(t, a, req); code != codeWaitOp {
		t.Fatalf("second call while the probe is in flight: code %d, want to wait", code)
	}
	probe.Release(limit.Outcome{Sent: true, Reports: []limit.OperatingReport{{Method: method, Operating: time.Second, ResetAt: time.Now().Add(5 * time.Second)}}})
	if code, _, _ := try(t, a, req); code != codeOK {
		t.Fatalf("after the probe's fresh figure: code %d, want admitted", code)
	}
	if got := a.Stats().Operating[method]; got != 4800*time.Millisecond {
		t.Fatalf("a.Stats().Operating = %v, want the 4.8s it learnt", got)
	}
	if got := b.Stats().Operating[method]; got != time.Second {
		t.Fatalf("b.Stats().Operating = %v, want the 1s the probe learnt", got)
	}
}

func TestOperatingAdaptiveDelay(t *testing.T) {
	c := needRedis(t)
	p := scaled()
	p.Adaptive.Enabled = true // threshold 0.8, coefficient 0.01
	p.Adaptive.MaxDelay = 30 * time.Millisecond
	l := newTestLimiter(t, c, testPrefix(t), p)
	req := opReq("cred-adaptive")
	// Off (the default), a budget past the threshold costs no delay.
	off := newTestLimiter(t, c, testPrefix(t), scaled())
	report(t, off, req, 4320*time.Millisecond, time.Now().Add(3*time.Second))
	if code, wait, p := try(t, off, req); code != codeOK || wait != 0 {
		t.Fatalf("adaptive delay off: code %d wait %v, want admitted at once", code, wait)
	} else {
		p.Release(limit.Outcome{})
	}
	from := time.Now()
	report(t, l, req, 4320*time.Millisecond, from.Add(3*time.Second)) // 90 % of 4.8 s: half-way up the ramp
	code, wait, pm := try(t, l, req)
	// 1 % of the time to the reset (3 s less the time gone), half of it.
	if lo := (3*time.Second - time.Since(from)) / 200; code != codeAdaptive || wait > 15*time.Millisecond || wait < lo-time.Millisecond {
		t.Fatalf("above the threshold: code %d wait %v, want an adaptive delay of 1%% of ~3s × 0.5", code, wait)
	}
	pm.Release(limit.Outcome{})
	// 95 %, reset within the 6 s window (a later one is clamped): 37.5 ms before the cap.
	report(t, l, req, 4560*time.Millisecond, time.Now().Add(5*time.Second))
	if _, wait, pm := try(t, l, req); wait != 30*time.Millisecond {
		t.Fatalf("adaptive delay %v, want the maximum 30ms", wait)
	} else {
		pm.Release(limit.Outcome{})
	}
	// Through Acquire, the delay is counted in the limiter's figures.
	report(t, l, req, 4560*time.Millisecond, time.Now().Add(5*time.Second))
	before := l.Stats()
	acquire(t, l, req).Release(limit.Outcome{})
	st := l.Stats()
	if n, d := st.AdaptiveDelays-before.AdaptiveDelays, st.AdaptiveDelayTime-before.AdaptiveDelayTime; n != 1 || d < 30*time.Millisecond ||
		st.Waits-before.Waits != 1 || st.WaitTime-before.WaitTime < d {
		t.Fatalf("Stats() = %+v after %+v, want one more adaptive delay of 30ms, counted as a wait", st, before)
	}
}

// countAdmitted runs n concurrent Acquires that hold their permits, each
// giving up after d, and returns how many were admitted.
func countAdmitted(lims []limit.Limiter, req limit.Request, n int, d time.Duration) int {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := lims[i%len(lims)].Acquire(ctx, req); err == nil {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	return int(admitted.Load())
}

// TestOperatingReservations feeds answers of a known cost to one limiter,
// then lets many callers on four limiters ("processes") at once compete for
// the rest of the budget: the shared ledger admits as many as recorded + in
// flight + the learnt cost allows, and no more (as limit.New would).
func TestOperatingReservations(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	req := opReq("cred-reserve")
	var lims []limit.Limiter
	for range 4 {
		lims = append(lims, newTestLimiter(t, c, prefix, scaled()))
	}
	// Three answers of 500 ms each (figures 0.5, 1 and 1.5 s, each request
	// 600 ms long): the cost learnt is 500 ms, its deviation 70.3 ms, so a
	// call reserves 640.6 ms; 1.5 s recorded + n × 640.6 ms ≤ 4.75 s admits 5.
	for i := range 3 {
		reportCost(t, lims[0].(*Limiter), req, time.Duration(i+1)*500*time.Millisecond, 600*time.Millisecond)
	}
	const want = 5
	if got := countAdmitted(lims, req, 64, 500*time.Millisecond); got != want {
		t.Fatalf("admitted: %d (64 callers on 4 limiters); want %d", got, want)
	}
}

// TestFitShared: Fit answers how many commands of a batch fit in the shared
// budget now, beside the calls in flight of every process.
func TestFitShared(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	a := newTestLimiter(t, c, prefix, scaled())
	b := newTestLimiter(t, c, prefix, scaled())
	req := opReq("cred-fit")
	batch := req
	batch.Units = []int{10}
	if got := b.Fit(batch); got != 10 {
		t.Fatalf("Fit before any cost is known = %d, want all 10", got)
	}
	// A command costs 500 ms and reserves 640.6 ms (see TestOperatingReservations).
	for i := range 3 {
		reportCost(t, a, req, time.Duration(i+1)*500*time.Millisecond, 600*time.Millisecond)
	}
	if got := b.Fit(batch); got != 5 { // (4.75 s − 1.5 s) / 640.6 ms
		t.Fatalf("Fit with 1.5 s recorded = %d, want 5", got)
	}
	p1, p2 := acquire(t, a, req), acquire(t, a, req) // in flight in the other process
	defer p1.Release(limit.Outcome{})
	defer p2.Release(limit.Outcome{})
	if got := b.Fit(batch); got != 3 { // (4.75 s − 1.5 s − 2 × 640.6 ms) / 640.6 ms
		t.Fatalf("Fit with 2 calls in flight in another process = %d, want 3", got)
	}
	if got := b.Fit(limit.Request{Portal: req.Portal}); got != 0 {
		t.Fatalf("Fit of a request of no method = %d, want 0", got)
	}
}

// TestUnitsLearntPerCommand: a batch of 10 commands that cost 1 s teaches
// the shared ledger 100 ms a command, and the next batch of 10 reserves 10
// times a command's cost (as limit.New does).
func TestUnitsLearntPerCommand(t *testing.T) {
	c := needRedis(t)
	l := newTestLimiter(t, c, testPrefix(t), scaled())
	batch := opReq("cred-units")
	batch.Units = []int{10}
	reportCost(t, l, batch, time.Second, 3*time.Second)
	st := stateOf(t, l, batch)
	if got := time.Duration(st.Ledger.CostMean); got != 100*time.Millisecond {
		t.Fatalf("cost learnt %v, want 100ms a command", got)
	}
	pm := acquire(t, l, batch)
	defer pm.Release(limit.Outcome{})
	// One answer: a command reserves its mean plus two deviations of a quarter.
	if st := stateOf(t, l, batch); len(st.Res) != 1 || time.Duration(st.Res[0].Cost) != 1500*time.Millisecond {
		t.Fatalf("reservations %+v, want one of 10 × 150 ms", st.Res)
	}
}

// TestBillingShared: the batch billing one process's answers showed reaches
// every process; the first recorded wins; the key expires within a day.
func TestBillingShared(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	a := newTestLimiter(t, c, prefix, scaled())
	b := newTestLimiter(t, c, prefix, scaled())
	ctx := context.Background()
	const portal, cred = "billing.bitrix24.test", "cred-billing"
	if got := b.BatchBilling(ctx, portal, cred); got != limit.BatchBilledDetect {
		t.Fatalf("before any answer: %v, want BatchBilledDetect", got)
	}
	a.SetBatchBilling(ctx, portal, cred, limit.BatchBilledPerCommand)
	b.SetBatchBilling(ctx, portal, cred, limit.BatchBilledAsBatch) // later: ignored
	b.SetBatchBilling(ctx, portal, cred, limit.BatchBilledDetect)  // not a mode: ignored
	if got := b.BatchBilling(ctx, portal, cred); got != limit.BatchBilledPerCommand {
		t.Fatalf("after another process recorded per command: %v", got)
	}
	if got := a.BatchBilling(ctx, "other.bitrix24.test", cred); got != limit.BatchBilledDetect {
		t.Fatalf("another portal: %v, want BatchBilledDetect", got)
	}
	maxTTL(t, a, prefix, 24*time.Hour)
}

// reportCost settles one call that lasted elapsed with the figure op, taken now.
func reportCost(t *testing.T, l *Limiter, req limit.Request, op, elapsed time.Duration) {
	t.Helper()
	pm := acquire(t, l, req)
	pm.Release(limit.Outcome{Sent: true, Elapsed: elapsed,
		Reports: []limit.OperatingReport{{Method: req.Methods[0], Operating: op, Finish: time.Now()}}})
}

func TestOperatingRefusalBlocksEveryProcess(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	a := newTestLimiter(t, c, prefix, scaled()) // window 6 s: blocked 100 ms without a known reset
	b := newTestLimiter(t, c, prefix, scaled())

	req := opReq("cred-429")
	from := time.Now()
	acquire(t, a, req).Release(limit.Outcome{Sent: true, Refused: limit.RefusedOperating, RefusedMethod: method})
	code, wait, _ := try(t, b, req)
	if code != codeWaitOp || wait <= 0 {
		t.Fatalf("after a 429 with no reset known: code %d wait %v, want blocked until the next slot", code, wait)
	}
	// Blocked until the next slot boundary of 600 ms (scaled W/10).
	next := from.Truncate(600 * time.Millisecond).Add(600 * time.Millisecond)
	acquire(t, b, req)
	if now := time.Now(); now.Before(next.Add(-5 * time.Millisecond)) {
		t.Fatalf("Acquire after a 429 admitted %v before the next slot", next.Sub(now))
	}
	other := req
	other.Methods = []string{"crm.contact.list"}
	if code, _, _ := try(t, b, other); code != codeOK {
		t.Fatalf("another method after a 429: code %d, want admitted", code)
	}

	// The reset is 2 s away so that a loaded machine cannot pass it before
	// the refusal is recorded (which would block until the next slot instead).
	req2 := opReq("cred-429-reset")
	from = time.Now()
	report(t, a, req2, 2*time.Second, from.Add(2*time.Second))
	acquire(t, a, req2).Release(limit.Outcome{Sent: true, Refused: limit.RefusedOperating, RefusedMethod: method})
	if code, wait, _ := try(t, b, req2); code != codeWaitOp || !waitNear(wait, 2*time.Second, from) {
		t.Fatalf("after a 429 with a reset known: code %d wait %v, want blocked until the reset (~2s)", code, wait)
	}
	if st := a.Stats(); st.OpRefusals != 2 || st.Operating[method] != scaled().Operating.Limit {
		t.Fatalf("Stats() = %+v, want 2 refusals and the method at its limit", st)
	}
}

func TestCrashedProcessReservationExpires(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	b := newTestLimiter(t, c, prefix, scaled())
	t.Run("probe", func(t *testing.T) {
		crashed := newTestLimiter(t, c, prefix, scaled(), WithReservationTTL(150*time.Millisecond))
		req := opReq("cred-crash")
		report(t, crashed, req, 4800*time.Millisecond, time.Now().Add(-time.Second)) // spent, reset passed
		acquire(t, crashed, req)                                                     // the probe, never released
		if code, _, _ := try(t, b, req); code != codeWaitOp {
			t.Fatalf("while the probe is in flight: code %d, want to wait", code)
		}
		start := time.Now()
		acquire(t, b, req)
		if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
			t.Fatalf("the crashed probe's reservation held %v, want ~150ms (its TTL)", d)
		}
	})
	t.Run("one of several", func(t *testing.T) {
		// Two calls in flight fill the budget: 2.5 s recorded + 2 × 1 s,
		// and a third 1 s would pass 4.75 s. The first one's process died;
		// the second's is alive: only the dead one's reservation expires.
		req := opReq("cred-crash-2")
		k := b.keysFor(req)
		now := time.Now()
		st := sharedState{Ledger: opbudget.State{Settled: true, CostMean: int64(time.Second), CostN: 5,
			Own: []opbudget.Entry{{Slot: now.UnixNano() / int64(600*time.Millisecond), Finish: now.UnixNano(), Cost: int64(2500 * time.Millisecond)}}}}
		blob, _ := json.Marshal(st)
		c.HSet(context.Background(), k.all[1], "v", 1, "s", blob)
		c.PExpire(context.Background(), k.all[1], time.Minute)
		dead := newTestLimiter(t, c, prefix, scaled(), WithReservationTTL(150*time.Millisecond))
		alive := newTestLimiter(t, c, prefix, scaled(), WithReservationTTL(time.Minute))
		acquire(t, dead, req)
		defer acquire(t, alive, req).Release(limit.Outcome{})
		start := time.Now()
		acquire(t, b, req)
		if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
			t.Fatalf("the dead call's reservation held %v, want ~150ms (its TTL)", d)
		}
	})
}

func TestAcquireEndsWithContext(t *testing.T) {
	c := needRedis(t)
	l := newTestLimiter(t, c, testPrefix(t), bucketParams(1, 0.1)) // 1/Y = 10 s
	acquire(t, l, portalOnly)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := l.Acquire(ctx, portalOnly)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("Acquire = %v after %v, want the context's error after 50ms", err, time.Since(start))
	}

	l2 := newTestLimiter(t, c, testPrefix(t), scaled())
	req := opReq("cred-ctx")
	acquire(t, l2, req).Release(limit.Outcome{Sent: true, Refused: limit.RefusedOperating, RefusedMethod: method})
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel2)
	if _, err := l2.Acquire(ctx2, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire on a blocked method = %v, want context.Canceled", err)
	}
}

func TestSetParams(t *testing.T) {
	c := needRedis(t)
	l := newTestLimiter(t, c, testPrefix(t), bucketParams(3, 2))
	if err := l.SetParams(limit.Params{RateLimit: limit.RateLimit{Burst: -1}}); err == nil {
		t.Fatal("SetParams accepted a negative burst")
	}
	if err := l.SetParams(bucketParams(10, 2)); err != nil {
		t.Fatal(err)
	}
	for i := range 9 {
		if code, _, _ := try(t, l, portalOnly); code != codeOK {
			t.Fatalf("request %d after raising the burst to 10: code %d", i+1, code)
		}
	}
	if got := l.Params().RateLimit.Burst; got != 10 {
		t.Fatalf("Params().RateLimit.Burst = %d", got)
	}
}
