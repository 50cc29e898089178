package b24

// The retry loop of a Call: the limiter before every request, the
// classification of each failure (refused before running, fatal, may have
// run, never sent), the waits between attempts, and the operating figures
// reported to the limiter. docs/retries.md says what it does.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b24go/b24/internal/batchwire"
	"github.com/b24go/b24/internal/opbudget"
	"github.com/b24go/b24/internal/wait"
	"github.com/b24go/b24/limit"
)

// foreignWaitThreshold is how long Acquire of a Limiter whose Permit does
// not implement limit.WaitReporter must take to count as a wait (below it,
// the time is the limiter's own overhead: a lock, a round trip to a store).
const foreignWaitThreshold = 10 * time.Millisecond

// limiterWait is how long Acquire held the caller back: the permit's own
// figure when it reports one, else took when it reaches foreignWaitThreshold.
func limiterWait(p limit.Permit, took time.Duration) time.Duration {
	if w, ok := p.(limit.WaitReporter); ok {
		return max(0, w.Waited())
	}
	if took >= foreignWaitThreshold {
		return took
	}
	return 0
}

// sleepCtx waits for d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error { return wait.For(ctx, d, nil) }

// retryingCall is the state of one Call across its attempts.
type retryingCall struct {
	h        *Hook
	v        APIVersion
	method   string
	body     []byte
	cc       callConfig
	params   RestrictionParams
	read     bool
	idemKey  string
	limitReq limit.Request
}

// safeToRepeat reports whether a call that may have run can be sent again.
func (c *retryingCall) safeToRepeat() bool { return c.read || c.idemKey != "" }

// attemptState is what a Call carries from one attempt to the next.
type attemptState struct {
	attempts    int           // attempts made, refusals not counted (RetryPolicy.MaxAttempts)
	requests    int           // requests sent, refusals included
	refusalWait time.Duration // time spent waiting out refusals (RetryPolicy.MaxRefusalWait)
	lastErr     error
	pending     *refusal // the refusal the next request follows, if any
	resent      bool     // the call was resent once after expired_token
}

// run makes the call's attempts: it waits (waitForLimiter), sends (attempt),
// and decides (decide) until an answer, an error, or the context's end.
func (c *retryingCall) run(ctx context.Context) (*Response, error) {
	var st attemptState
	for {
		if err := ctx.Err(); err != nil {
			return nil, c.ctxError(err, false, st.lastErr)
		}
		permit, err := c.waitForLimiter(ctx, &st)
		if err != nil {
			return nil, err
		}
		st.attempts++
		st.requests++
		res, outcome := c.attempt(ctx, permit, st.attempts)
		if res.err == nil {
			res.resp.Attempts = st.requests
			return res.resp, nil
		}
		st.lastErr = res.err
		if ctx.Err() != nil {
			return nil, c.ctxError(ctx.Err(), res.sent, nil)
		}
		delay, err := c.decide(ctx, &st, res, outcome)
		if err != nil {
			return nil, err
		}
		if delay > 0 {
			if err := sleepCtx(ctx, delay); err != nil {
				return nil, c.ctxError(err, false, st.lastErr)
			}
		}
	}
}

// waitForLimiter waits out a refusal's Retry-After, then the limiter, then
// the refusal's floor when the limiter did not hold the call back, and
// returns the limiter's permit.
func (c *retryingCall) waitForLimiter(ctx context.Context, st *attemptState) (limit.Permit, error) {
	budget := func() time.Duration { return c.params.Retry.MaxRefusalWait - st.refusalWait }
	if st.pending != nil && st.pending.fromHeader {
		// The portal said how long to wait: honour it whatever the limiter does.
		if err := st.pending.sleep(ctx, budget()); err != nil {
			return nil, c.ctxError(err, false, st.lastErr)
		}
	}
	start := time.Now()
	permit, err := c.h.limiter.Acquire(ctx, c.limitReq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, c.ctxError(ctx.Err(), false, st.lastErr)
		}
		return nil, fmt.Errorf("b24: %s: limiter: %w", c.method, err)
	}
	held := limiterWait(permit, time.Since(start))
	c.noteLimiterWait(ctx, held)
	if p := st.pending; p != nil {
		if held == 0 {
			// The limiter did not hold back after the refusal (a custom
			// limiter, or one that lost the refusal): wait the floor here.
			if err := p.sleep(ctx, budget()); err != nil {
				permit.Release(limit.Outcome{})
				return nil, c.ctxError(err, false, st.lastErr)
			}
		}
		st.refusalWait += time.Since(p.at)
		st.pending = nil
	}
	return permit, nil
}

// noteLimiterWait counts a wait the limiter imposed, and logs one of 1 s or more.
func (c *retryingCall) noteLimiterWait(ctx context.Context, held time.Duration) {
	if held <= 0 {
		return
	}
	c.h.stats.addWait(held)
	if held >= time.Second {
		c.h.Logger().LogAttrs(ctx, slog.LevelWarn, "b24 limiter wait", slog.String("method", c.method),
			slog.Duration("wait", held), slog.String("request_id", c.cc.requestID))
	}
}

// attempt sends attempt n under permit, settles the permit with what the
// portal answered, and records it in the stats and the log.
func (c *retryingCall) attempt(ctx context.Context, permit limit.Permit, n int) (attemptResult, limit.Outcome) {
	if c.cc.onSend != nil {
		c.cc.onSend(time.Now())
	}
	res := c.h.send(ctx, c.v, c.method, c.body, c.cc.requestID, c.idemKey, c.cc.timeout)
	outcome := c.outcome(res)
	rel := outcome
	if res.err == nil && isBatch(c.method) {
		// A command refused inside a batch that ran teaches the limiter too.
		rel.Refused, rel.RefusedMethod = batchSubRefusal(c.v, res.resp, c.body, c.limitReq.Methods)
	}
	permit.Release(rel)
	c.h.stats.record(res, outcome)
	c.logAttempt(ctx, c.h.Logger(), n, res)
	return res, outcome
}

// outcome classifies an answer for the limiter: refused by the request
// bucket (503 QUERY_LIMIT_EXCEEDED) or by an operating budget (any 429),
// and the operating figures it reported.
func (c *retryingCall) outcome(res attemptResult) limit.Outcome {
	o := limit.Outcome{Sent: res.sent, Elapsed: res.elapsed}
	var apiErr *APIError
	errors.As(res.err, &apiErr)
	switch {
	case apiErr != nil && errors.Is(apiErr, ErrQueryLimitExceeded):
		o.Refused = limit.RefusedRate
	case apiErr != nil && errors.Is(apiErr, ErrOperationTimeLimit), res.err != nil && res.status == http.StatusTooManyRequests:
		// Any 429 is a refusal before execution (the JS SDK treats
		// every 429 as the operating limit).
		o.Refused = limit.RefusedOperating
		o.RefusedMethod = c.limitReq.Methods[0]
	}
	if res.resp != nil {
		o.Processing = portalTime(res.resp.Time)
		share := func(m opbudget.Mode) { c.h.shareBilling(context.Background(), m) } // the limiter bounds its round trips
		o.Reports = c.h.billing.reports(res.resp, c.limitReq.Methods, c.v, c.method, c.body, c.params.Operating.BatchBilling, share)
	}
	return o
}

// portalTime returns a lower bound of the portal's own time for a request,
// from its arrival to its answer (the limiter dates the arrival by it):
// finish − start, less the second a whole-second start (current portals
// truncate it) may hide, and at least processing. 0 when unknown or absurd;
// the limiter caps it at the request's wall time.
func portalTime(t *Timing) time.Duration {
	if t == nil {
		return 0
	}
	p := t.Finish - t.Start
	if t.Start == math.Trunc(t.Start) {
		p--
	}
	if p = max(p, t.Processing); !(p > 0) { // NaN too
		return 0
	}
	return time.Duration(min(p, 1e6) * float64(time.Second))
}

// decide returns how long to wait before the next attempt after a failed
// one, or the error the call ends with: a refusal is waited out without
// using up an attempt; other failures are retried while that is safe and
// attempts remain (docs/retries.md).
func (c *retryingCall) decide(ctx context.Context, st *attemptState, res attemptResult, o limit.Outcome) (time.Duration, error) {
	log := c.h.Logger()
	if o.Refused != limit.NotRefused {
		return 0, c.refused(ctx, st, res, o.Refused)
	}
	if c.expiredToken(st, res) {
		return 0, nil
	}
	var err error
	switch kind := c.failureKind(res); {
	case kind == failFatal:
		err = res.err
	case kind == failTooLarge || kind == failMayHaveRun && !c.safeToRepeat():
		err = c.ambiguousIfWrite(res.err)
	case st.attempts >= c.params.Retry.MaxAttempts:
		err = fmt.Errorf("b24: %s: giving up after %d attempts: %w", c.method, st.attempts, res.err)
		if kind == failMayHaveRun {
			err = c.ambiguousIfWrite(err)
		}
		return 0, c.giveUp(ctx, log, st.attempts, st.requests, err)
	default:
		delay := c.backoff(st.attempts, res.header)
		c.h.stats.addRetry()
		log.LogAttrs(ctx, slog.LevelWarn, "b24 retrying", slog.String("method", c.method),
			slog.Int("attempt", st.attempts), slog.Duration("delay", delay), slog.String("error", res.err.Error()),
			slog.String("request_id", c.cc.requestID))
		return delay, nil
	}
	if st.requests > 1 {
		return 0, c.giveUp(ctx, log, st.attempts, st.requests, err)
	}
	return 0, err
}

// expiredToken reports whether an application's call met expired_token
// for the first time: the call did not run, the source drops the token and
// the call is sent once more without using up an attempt.
func (c *retryingCall) expiredToken(st *attemptState, res attemptResult) bool {
	if c.h.app == nil || st.resent || !errors.Is(res.err, ErrExpiredToken) {
		return false
	}
	c.h.app.Expired(res.token)
	st.resent = true
	st.attempts--
	return true
}

// refused handles a refusal before running: the attempt is not counted, and
// the next request follows the refusal's wait, unless MaxRefusalWait is spent.
func (c *retryingCall) refused(ctx context.Context, st *attemptState, res attemptResult, r limit.Refusal) error {
	log := c.h.Logger()
	st.attempts--
	if st.refusalWait >= c.params.Retry.MaxRefusalWait {
		return c.giveUp(ctx, log, st.attempts, st.requests, fmt.Errorf("b24: %s: still refused after waiting %v for the portal's limits: %w",
			c.method, st.refusalWait.Round(time.Millisecond), res.err))
	}
	st.pending = c.refusal(r, res.header)
	c.h.stats.addRetry()
	code := strconv.Itoa(res.status)
	var apiErr *APIError
	if errors.As(res.err, &apiErr) {
		code = apiErr.Code
	}
	log.LogAttrs(ctx, slog.LevelWarn, "b24 refused by a portal limit, waiting", slog.String("method", c.method),
		slog.String("code", code), slog.String("request_id", c.cc.requestID))
	return nil
}

// giveUp logs that the call stops retrying and returns err. err never
// contains the secret (see the error types).
func (c *retryingCall) giveUp(ctx context.Context, log *slog.Logger, attempts, requests int, err error) error {
	log.LogAttrs(ctx, slog.LevelWarn, "b24 giving up", slog.String("method", c.method),
		slog.Int("attempts", attempts), slog.Int("requests", requests), slog.String("error", err.Error()),
		slog.String("request_id", c.cc.requestID))
	return err
}

// refusal is a refusal before execution that the next request follows.
type refusal struct {
	at         time.Time     // when the answer came
	floor      time.Duration // the least wait before the next request
	fromHeader bool          // floor is the portal's Retry-After
}

// refusal returns the wait that follows a refusal: the Retry-After header
// when the portal sent one (at most Operating.Window: no limit of the portal
// lasts longer); else 1/Drain after a 503 (the time the portal's bucket
// takes to drain one request) and Window/60 after a 429 (what the limiter
// waits when the budget's reset is unknown, and the JS SDK's 10 s on the
// standard window).
func (c *retryingCall) refusal(r limit.Refusal, header http.Header) *refusal {
	now := time.Now()
	if d, ok := retryAfter(header, now); ok {
		return &refusal{at: now, floor: min(d, c.params.Operating.Window), fromHeader: true}
	}
	floor := c.params.Operating.Window / 60
	if r == limit.RefusedRate {
		floor = time.Duration(float64(time.Second) / c.params.RateLimit.Drain)
	}
	return &refusal{at: now, floor: floor}
}

// sleep waits until the floor has passed since the refusal, at most until
// budget (what is left of MaxRefusalWait) has, or until ctx ends.
func (r *refusal) sleep(ctx context.Context, budget time.Duration) error {
	d := time.Until(r.at.Add(min(r.floor, max(budget, 0))))
	if d <= 0 {
		return nil
	}
	return sleepCtx(ctx, d)
}

// failure kinds, for the retry decision.
const (
	failFatal      = iota // the portal answered with an error: repeating will not help
	failNotSent           // the request never reached the portal: safe to repeat
	failMayHaveRun        // the portal may have run the call
	failTooLarge          // the portal ran the call but its answer is over the size limit
)

// failureKind classifies a failure that is not a refusal.
func (c *retryingCall) failureKind(res attemptResult) int {
	var apiErr *APIError
	if errors.As(res.err, &apiErr) {
		// An error answer: the portal decided. 5xx answers with a JSON code
		// (INTERNAL_SERVER_ERROR, SQL errors) may have run part of the call.
		if apiErr.Status < 500 || errors.Is(apiErr, ErrOverloadLimit) {
			return failFatal
		}
		return failMayHaveRun
	}
	var redirect *RedirectError
	if errors.As(res.err, &redirect) || errors.Is(res.err, ErrNoToken) {
		return failFatal
	}
	var te *TransportError
	if errors.As(res.err, &te) && te.NotSent {
		return failNotSent
	}
	var re *ResponseError
	if errors.As(res.err, &re) {
		if errors.Is(re.Err, ErrResponseTooLarge) {
			return failTooLarge
		}
		if re.Status >= 400 && re.Status < 500 && re.Status != 408 && re.Status != 429 {
			return failFatal
		}
	}
	// 5xx, a body that is not an envelope, a reset, a truncated body, a timeout.
	return failMayHaveRun
}

// ambiguousIfWrite marks err with ErrAmbiguous unless the call is a read.
func (c *retryingCall) ambiguousIfWrite(err error) error {
	if c.read {
		return err
	}
	return fmt.Errorf("%w: %w", ErrAmbiguous, err)
}

// ctxError is the error of a call whose context ended.
func (c *retryingCall) ctxError(ctxErr error, inFlight bool, last error) error {
	err := fmt.Errorf("b24: %s: %w", c.method, ctxErr)
	if inFlight && !c.read {
		err = fmt.Errorf("b24: %s: %w: %w", c.method, ctxErr, ErrAmbiguous)
	}
	if last != nil {
		err = fmt.Errorf("%w (last failure: %v)", err, last)
	}
	return err
}

// backoff returns the delay before retry number n (1-based): exponential
// from BaseDelay, capped at MaxDelay, with jitter (between half and all of
// it); a Retry-After header wins, capped at MaxRefusalWait.
func (c *retryingCall) backoff(n int, header http.Header) time.Duration {
	if d, ok := retryAfter(header, time.Now()); ok {
		return min(d, max(c.params.Retry.MaxRefusalWait, c.params.Retry.MaxDelay))
	}
	r := c.params.Retry
	d := r.BaseDelay
	for i := 1; i < n && d < r.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, r.MaxDelay)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// retryAfter parses a Retry-After header: seconds, or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 86400)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

func (c *retryingCall) logAttempt(ctx context.Context, log *slog.Logger, attempt int, res attemptResult) {
	if !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", c.method), slog.String("api", c.v.String()), slog.Int("attempt", attempt),
		slog.Int("status", res.status), slog.Duration("duration", res.elapsed), slog.String("request_id", c.cc.requestID),
	}
	if res.resp != nil && res.resp.Time != nil && res.resp.Time.Operating != nil {
		attrs = append(attrs, slog.Float64("operating", *res.resp.Time.Operating))
	}
	if res.err != nil {
		attrs = append(attrs, slog.String("error", res.err.Error()))
	}
	log.LogAttrs(ctx, slog.LevelDebug, "b24 request", attrs...)
}

// operatingReports extracts the operating figures of a response to a call
// of method for the billed methods. A batch billed per command reads its
// sub-results' figures even when its commands share one method (the
// envelope's figure is the batch's own, not theirs).
func operatingReports(r *Response, method string, billed []string, v APIVersion, body []byte) []limit.OperatingReport {
	if len(billed) == 1 && (!isBatch(method) || isBatch(billed[0])) {
		op, ok := r.Time.OperatingDuration()
		if !ok {
			return nil
		}
		reset, _ := r.Time.ResetAt()
		rep := limit.OperatingReport{Method: billed[0], Operating: op, ResetAt: reset, Finish: r.Time.finishAt(), Start: r.Time.startAt()}
		if isBatch(billed[0]) {
			// Every sub-result repeats the running figure of the batch: take the largest.
			for _, t := range batchTimes(r) {
				if o, ok := t.OperatingDuration(); ok && o > rep.Operating {
					rep.Operating = o
					if ra, ok := t.ResetAt(); ok {
						rep.ResetAt = ra
					}
				}
			}
		}
		return []limit.OperatingReport{rep}
	}
	// Billed per command: each sub-result's figure belongs to its command's method.
	return batchReportsPerCommand(r, v, body)
}

// readMethods are methods that only read, by full name (lower-case).
var readMethods = map[string]bool{
	"profile": true, "server.time": true, "app.info": true, "scope": true, "methods": true,
	"method.get": true, "user.current": true, "user.get": true, "user.search": true,
	"user.access": true, "access.name": true, "feature.get": true, "documentation": true,
	"rest.documentation.openapi": true, "scopes": true, "rest.scope.list": true,
}

// notReads are methods whose names read like reads but change data:
// event.offline.get deletes or holds the records it returns (clear, process_id).
var notReads = map[string]bool{"event.offline.get": true}

// readSuffixes are last segments of method names that only read.
var readSuffixes = map[string]bool{
	"get": true, "list": true, "fields": true, "tail": true, "aggregate": true,
	"search": true, "getlist": true, "getfields": true, "count": true,
}

// IsReadMethod reports whether the SDK treats method as a read, safe to repeat
// after a failure that may have happened after the portal ran it. Reads are
// known by name, ignoring case and surrounding spaces:
//
//   - these full names: profile, server.time, app.info, scope, scopes,
//     methods, method.get, user.current, user.get, user.search, user.access,
//     access.name, feature.get, documentation, rest.documentation.openapi and
//     rest.scope.list;
//   - every method whose last dot-separated segment is get, list, fields,
//     tail, aggregate, search, getlist, getfields or count (crm.deal.get,
//     tasks.task.list, crm.item.fields, main.eventlog.tail,
//     crm.deal.userfield.getlist, ...), but event.offline.get, which deletes
//     (clear=1) or holds (clear=0) the records it returns.
//
// Everything else is a write, unless the call is marked WithIdempotent. A
// batch is a read when every command in it is.
func IsReadMethod(method string) bool {
	m := strings.ToLower(strings.TrimSpace(method))
	if notReads[m] {
		return false
	}
	if readMethods[m] {
		return true
	}
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return readSuffixes[m[i+1:]]
	}
	return false
}

// batchIsRead reports whether a batch body contains only reads. body is the
// JSON request: v2 {"cmd": {...}|[...]} with "method?query" strings, or v3
// [{"method": ...}, ...].
func batchIsRead(v APIVersion, body []byte) bool {
	methods, ok := batchMethods(v, body)
	return readsOnly(methods, ok)
}

// readsOnly reports whether a batch's command methods (batchMethods) are
// all reads.
func readsOnly(methods []string, ok bool) bool {
	if !ok || len(methods) == 0 {
		return false
	}
	for _, m := range methods {
		if !IsReadMethod(m) {
			return false
		}
	}
	return true
}

// batchMethods returns the method of every command of a batch body, lower-case.
func batchMethods(v APIVersion, body []byte) ([]string, bool) {
	if v == APIv3 {
		var cmds []struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(body, &cmds) != nil {
			return nil, false
		}
		out := make([]string, 0, len(cmds))
		for _, c := range cmds {
			out = append(out, strings.ToLower(c.Method))
		}
		return out, true
	}
	keyed := batchwire.CommandMethods(body)
	if keyed == nil {
		return nil, false
	}
	out := make([]string, 0, len(keyed))
	for _, m := range keyed {
		out = append(out, m)
	}
	slices.Sort(out) // a named cmd is a map: keep the billed methods in a stable order
	return out, true
}

// isBatch reports whether method is the batch method.
func isBatch(method string) bool { return strings.EqualFold(method, "batch") }

// billedMethods returns the operating budgets a call draws on (billing
// resolved: as a batch or per command).
func billedMethods(v APIVersion, method string, body []byte, billing limit.BatchBilling) []string {
	methods, _ := billedUnits(v, method, body, billing)
	return methods
}

// billedUnits returns the operating budgets a call draws on and the
// commands it bills to each (limit.Request.Units): 1 for a single call, a
// batch's commands to "batch", or to each command's method when billed per
// command.
func billedUnits(v APIVersion, method string, body []byte, billing limit.BatchBilling) ([]string, []int) {
	if !isBatch(method) {
		return []string{strings.ToLower(method)}, nil
	}
	methods, ok := batchMethods(v, body)
	return billedUnitsOf(method, methods, ok, billing)
}

// billedUnitsOf is billedUnits of a call whose batch commands' methods are
// known (batchMethods: a batch body is read once a call).
func billedUnitsOf(method string, methods []string, ok bool, billing limit.BatchBilling) ([]string, []int) {
	m := strings.ToLower(method)
	if !isBatch(m) || !ok || len(methods) == 0 {
		return []string{m}, nil
	}
	if billing != limit.BatchBilledPerCommand {
		return []string{m}, []int{len(methods)}
	}
	at := make(map[string]int, len(methods))
	var out []string
	var units []int
	for _, x := range methods {
		i, seen := at[x]
		if !seen {
			i = len(out)
			at[x] = i
			out, units = append(out, x), append(units, 0)
		}
		units[i]++
	}
	return out, units
}

// billingMode is a Hook's batch billing: forced by its RestrictionParams, or
// found from the answers (opbudget.Detector), or from another process's
// answers through a limit.BillingSharer.
type billingMode struct {
	mu     sync.Mutex
	d      opbudget.Detector
	shared limit.BatchBilling // what a BillingSharer recorded (BatchBilledDetect: nothing)
}

// resolve returns the billing to charge a batch by: forced, else the one
// the answers showed, else the one a shared limiter recorded, else as a batch.
func (b *billingMode) resolve(forced limit.BatchBilling) limit.BatchBilling {
	if forced != limit.BatchBilledDetect {
		return forced
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.d.Mode(opbudget.ModeUnknown) {
	case opbudget.ModePerMethod:
		return limit.BatchBilledPerCommand
	case opbudget.ModeBatch:
		return limit.BatchBilledAsBatch
	}
	if b.shared != limit.BatchBilledDetect {
		return b.shared
	}
	return limit.BatchBilledAsBatch
}

// batchBilling is resolve for a batch about to be sent: while neither the
// Hook's answers nor an earlier look told the mode, a limiter that processes
// share is asked what another process's answers showed.
func (h *Hook) batchBilling(ctx context.Context, forced limit.BatchBilling) limit.BatchBilling {
	s, ok := h.limiter.(limit.BillingSharer)
	if !ok || forced != limit.BatchBilledDetect {
		return h.billing.resolve(forced)
	}
	b := &h.billing
	b.mu.Lock()
	ask := b.d.Mode(opbudget.ModeUnknown) == opbudget.ModeUnknown && b.shared == limit.BatchBilledDetect
	b.mu.Unlock()
	if ask {
		if m := s.BatchBilling(ctx, h.host, h.credential); m != limit.BatchBilledDetect {
			b.mu.Lock()
			b.shared = m
			b.mu.Unlock()
		}
	}
	return b.resolve(forced)
}

// shareBilling records the mode a batch answer showed with a limiter that
// processes share, the first time this Hook learns it.
func (h *Hook) shareBilling(ctx context.Context, mode opbudget.Mode) {
	s, ok := h.limiter.(limit.BillingSharer)
	if !ok || mode == opbudget.ModeUnknown {
		return
	}
	m := limit.BatchBilledAsBatch
	if mode == opbudget.ModePerMethod {
		m = limit.BatchBilledPerCommand
	}
	s.SetBatchBilling(ctx, h.host, h.credential, m)
}

// reports returns the operating figures of a response. A v2 batch under
// BatchBilledDetect is read as its own sub-results show (and teaches the
// mode): their figures all different from the envelope's are per command,
// all equal to it as a batch; otherwise as billed.
func (b *billingMode) reports(r *Response, billed []string, v APIVersion, method string, body []byte, billing limit.BatchBilling, share func(opbudget.Mode)) []limit.OperatingReport {
	if billing != limit.BatchBilledDetect || v != APIv2 || !isBatch(method) {
		return operatingReports(r, method, billed, v, body)
	}
	top, topOK := r.Time.OperatingDuration()
	var subs []opbudget.Figure
	for _, t := range batchTimes(r) {
		if op, ok := t.OperatingDuration(); ok {
			subs = append(subs, opbudget.Figure{Operating: op})
		}
	}
	mode := opbudget.Detect(top, topOK, subs)
	b.mu.Lock()
	before := b.d.Mode(opbudget.ModeUnknown)
	b.d.Observe(top, topOK, subs)
	learnt := before == opbudget.ModeUnknown && b.d.Mode(opbudget.ModeUnknown) != opbudget.ModeUnknown
	b.mu.Unlock()
	if learnt && share != nil {
		share(mode)
	}
	switch mode {
	case opbudget.ModePerMethod:
		return batchReportsPerCommand(r, v, body)
	case opbudget.ModeBatch:
		return operatingReports(r, method, []string{"batch"}, v, body)
	}
	return operatingReports(r, method, billed, v, body)
}
