package b24

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b24go/b24/limit"
)

// Stats are a Hook's figures since it was built or since the last
// Hook.ResetStats (the JS SDK's getStats). A Stats value is a copy: its maps
// and slice belong to the caller, and changing them does not change the
// Hook's figures.
//
// The figures from Requests to OpRefusals count HTTP requests (every
// attempt, a retry included); those from Calls to LastErrors count calls
// (API.Call and what is built on it: a batch, a list page, Ping each make
// one call), each once whatever its retries. A call that failed before
// reaching the limiter (an invalid method name, parameters that do not
// encode, a closed Hook) is not counted.
type Stats struct {
	Requests     int64         // HTTP requests sent (every attempt)
	Successes    int64         // requests answered with a result
	Failures     int64         // requests that failed (errors, refusals, transport)
	Retries      int64         // requests repeated after a refusal or a failure
	Waits        int64         // requests the limiter held back before sending (see limit.WaitReporter)
	WaitTime     time.Duration // total time the limiter held them back
	RateRefusals int64         // 503 QUERY_LIMIT_EXCEEDED answers
	OpRefusals   int64         // 429 answers (OPERATION_TIME_LIMIT, or any other 429)

	Calls      int64 // calls made
	CallErrors int64 // calls that returned an error (Canceled excluded)
	// Canceled counts the calls that ended because their context did (a
	// deadline, a cancelled list walk): they are not errors of the portal.
	Canceled int64
	// ConsecutiveErrors counts the calls that returned an error since the
	// last call that succeeded (the JS SDK's consecutiveErrors); a success
	// sets it to 0, a cancelled call leaves it as it is.
	ConsecutiveErrors int64
	// Duration is the total time of the calls, each from its start to its
	// return: limiter waits, refusal waits and retries included (so, unlike
	// the JS SDK's totalDuration, a retried call counts its time once).
	Duration time.Duration
	// ByMethod holds the figures of each method called, keyed by its
	// lower-case name ("batch" for a batch).
	ByMethod map[string]MethodStats
	// LastErrors are the errors of the last calls that returned one (at
	// most MaxLastErrors, oldest first; cancelled calls excluded).
	LastErrors []ErrorRecord

	// Operating is the last operating time the portal reported per method.
	Operating map[string]time.Duration
	// Limiter holds the limiter's own figures, when it reports them
	// (the adaptive delay's among them). ResetStats leaves them as they
	// are: a limiter may be shared by several hooks.
	Limiter *limit.Stats
}

// MethodStats are the figures of one method's calls (see Stats).
type MethodStats struct {
	Calls    int64         // calls made
	Errors   int64         // calls that returned an error (Canceled excluded)
	Canceled int64         // calls that ended because their context did
	Duration time.Duration // total time of the calls, retries included
	// ConsecutiveErrors counts the method's calls that returned an error
	// since its last call that succeeded (the JS SDK's errorCounts).
	ConsecutiveErrors int64
}

// ErrorRecord is one error a call returned, as Stats.LastErrors keeps it.
// Like the error itself, it never contains the secret.
type ErrorRecord struct {
	Method    string    // the method called, lower-case
	RequestID string    // the call's X-Request-ID
	Time      time.Time // when the call returned
	// Status is the HTTP status of the last answer (200 for an error in a
	// batch's body), 0 when there was none (a transport error).
	Status int
	// Code is the portal's error code (APIError.Code), "" when it sent none.
	Code    string
	Message string // the error's text (err.Error())
}

// hookStats holds a Hook's figures. The counters live behind a pointer that
// ResetStats swaps for fresh ones, so that a reset is one atomic store and
// never tears a figure a call is recording.
type hookStats struct {
	cur atomic.Pointer[statCounters]
}

type statCounters struct {
	requests, successes, failures, retries, waits, rate503, op429 atomic.Int64
	waitTime                                                      atomic.Int64

	mu        sync.Mutex // guards what follows
	operating map[string]time.Duration
	calls     callCounters
	byMethod  map[string]*callCounters
	errs      []ErrorRecord // a ring of at most MaxLastErrors
	errNext   int           // where the next error goes once the ring is full
}

// callCounters are the per-call figures of the Hook or of one method.
type callCounters struct {
	calls, errors, canceled, consecutive int64
	duration                             time.Duration
}

func (c *callCounters) add(d time.Duration, err error, canceled bool) {
	c.calls++
	c.duration += d
	switch {
	case canceled:
		c.canceled++
	case err != nil:
		c.errors++
		c.consecutive++
	default:
		c.consecutive = 0
	}
}

// counters returns the current counters, creating them on first use.
func (s *hookStats) counters() *statCounters {
	if c := s.cur.Load(); c != nil {
		return c
	}
	s.cur.CompareAndSwap(nil, new(statCounters))
	return s.cur.Load()
}

func (s *hookStats) reset() { s.cur.Store(new(statCounters)) }

func (s *hookStats) addRetry() { s.counters().retries.Add(1) }

func (s *hookStats) addWait(d time.Duration) {
	c := s.counters()
	c.waits.Add(1)
	c.waitTime.Add(int64(d))
}

func (s *hookStats) record(res attemptResult, o limit.Outcome) {
	c := s.counters()
	c.requests.Add(1)
	if res.err == nil {
		c.successes.Add(1)
	} else {
		c.failures.Add(1)
	}
	switch o.Refused {
	case limit.RefusedRate:
		c.rate503.Add(1)
	case limit.RefusedOperating:
		c.op429.Add(1)
	}
	if len(o.Reports) > 0 {
		c.mu.Lock()
		if c.operating == nil {
			c.operating = map[string]time.Duration{}
		}
		for _, r := range o.Reports {
			c.operating[r.Method] = r.Operating
		}
		c.mu.Unlock()
	}
}

// recordCall counts one call of method that took d and returned err; ctx is
// the call's context, redact the Hook's. Only an error (its record in the
// ring) and the first call of a method allocate.
func (s *hookStats) recordCall(ctx context.Context, method, requestID string, d time.Duration, err error, redact func(string) string) {
	canceled := err != nil && ctx.Err() != nil
	var rec ErrorRecord
	key := strings.ToLower(method) // no allocation when already lower-case
	if err != nil && !canceled {
		rec = errorRecord(key, requestID, err, redact)
	}
	c := s.counters()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls.add(d, err, canceled)
	m := c.byMethod[key]
	if m == nil {
		if c.byMethod == nil {
			c.byMethod = map[string]*callCounters{}
		}
		m = &callCounters{}
		c.byMethod[key] = m
	}
	m.add(d, err, canceled)
	if err == nil || canceled {
		return
	}
	if len(c.errs) < MaxLastErrors {
		c.errs = append(c.errs, rec)
		return
	}
	c.errs[c.errNext] = rec
	c.errNext = (c.errNext + 1) % MaxLastErrors
}

// errorRecord describes err for Stats.LastErrors. The error never contains
// the secret (see the error types); redact makes sure of it.
func errorRecord(method, requestID string, err error, redact func(string) string) ErrorRecord {
	rec := ErrorRecord{Method: method, RequestID: requestID, Time: time.Now(), Message: redact(err.Error())}
	var apiErr *APIError
	var respErr *ResponseError
	var redirErr *RedirectError
	switch {
	case errors.As(err, &apiErr):
		rec.Status, rec.Code = apiErr.Status, redact(apiErr.Code)
	case errors.As(err, &respErr):
		rec.Status = respErr.Status
	case errors.As(err, &redirErr):
		rec.Status = redirErr.Status
	}
	return rec
}

// Stats returns the Hook's figures: a copy, safe to keep and change.
func (h *Hook) Stats() Stats {
	c := h.stats.counters()
	st := Stats{
		Requests: c.requests.Load(), Successes: c.successes.Load(), Failures: c.failures.Load(),
		Retries: c.retries.Load(), Waits: c.waits.Load(), WaitTime: time.Duration(c.waitTime.Load()),
		RateRefusals: c.rate503.Load(), OpRefusals: c.op429.Load(),
	}
	c.mu.Lock()
	st.Operating = make(map[string]time.Duration, len(c.operating))
	for k, v := range c.operating {
		st.Operating[k] = v
	}
	st.Calls, st.CallErrors, st.Canceled = c.calls.calls, c.calls.errors, c.calls.canceled
	st.ConsecutiveErrors, st.Duration = c.calls.consecutive, c.calls.duration
	st.ByMethod = make(map[string]MethodStats, len(c.byMethod))
	for k, m := range c.byMethod {
		st.ByMethod[k] = MethodStats{Calls: m.calls, Errors: m.errors, Canceled: m.canceled,
			Duration: m.duration, ConsecutiveErrors: m.consecutive}
	}
	st.LastErrors = make([]ErrorRecord, 0, len(c.errs))
	st.LastErrors = append(st.LastErrors, c.errs[c.errNext:]...)
	st.LastErrors = append(st.LastErrors, c.errs[:c.errNext]...)
	c.mu.Unlock()
	if ls, ok := h.limiter.(interface{ Stats() limit.Stats }); ok {
		l := ls.Stats()
		st.Limiter = &l
	}
	return st
}

// ResetStats sets the Hook's figures back to zero, as if it had just been
// built (the JS SDK's reset, for the statistics). It does not touch the
// limiter: its budgets, the operating figures it learnt, the adapted request
// bucket and its own figures (Stats.Limiter) stay as they are, because they
// describe the portal, and a limiter may be shared by several hooks. A call
// in flight during the reset may be counted partly before it and partly
// after (its requests before, the call itself after).
func (h *Hook) ResetStats() { h.stats.reset() }
