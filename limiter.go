package b24

import (
	"context"
	"time"
)

// Limiter paces requests so that the portal never refuses them. It models the
// portal's two budgets:
//
//   - the request bucket, counted per portal (leaky bucket of X requests
//     draining at Y a second: 50 and 2 on most plans, 250 and 5 on Enterprise);
//   - the operating budget, counted per (portal, credential, billed method):
//     the seconds of server time the portal reports in the "operating" field of
//     every response, at most L (480 s) in any window of W (600 s).
//
// A Hook calls Acquire before every HTTP request it sends, including retries,
// and settles the returned Permit with the request's Outcome once the response
// (or the failure) is known. Implementations must be safe for concurrent use,
// must return promptly with the context's error when ctx ends, and must never
// store or log the webhook secret (Request carries only a hash of it).
//
// The package ships an in-memory implementation (NewLimiter); the redislimit
// package shares one budget across processes through Redis. Several hooks of
// one portal share a budget by being given the same Limiter (WithLimiter).
type Limiter interface {
	// Acquire blocks until the request described by req may be sent: a unit of
	// the request bucket is taken, and every billed method's operating budget,
	// including the reservations of calls still in flight, is below its limit.
	// It returns the context's error (possibly wrapped) when ctx ends first.
	Acquire(ctx context.Context, req LimitRequest) (Permit, error)
}

// Permit is the right to send one request, obtained from Limiter.Acquire.
// Release must be called exactly once.
type Permit interface {
	// Release settles the permit with what the portal answered. It frees the
	// operating reservation and feeds the reported figures to the limiter.
	Release(Outcome)
}

// WaitReporter is an optional interface of a Permit: Waited tells how long
// Acquire held the caller back (for the request bucket, an operating budget
// or the adaptive delay), 0 when it admitted the request at once. The
// package's limiter and redislimit's implement it.
//
// A Hook counts a call in Stats.Waits, and logs a wait of 1 s or more, by
// Waited. It also trusts a limiter that held a call back after a refusal to
// have waited long enough (a limiter knows the budget's reset); after a
// refusal the limiter did not hold back, the Hook waits a floor itself (see
// API.Call). For a Permit without Waited, a wait is the time Acquire took
// when that is at least 10 ms (below it, the time is taken to be the
// limiter's own overhead: a lock, a round trip to a store).
type WaitReporter interface {
	Waited() time.Duration
}

// foreignWaitThreshold is how long Acquire of a Limiter whose Permit does
// not implement WaitReporter must take to count as a wait.
const foreignWaitThreshold = 10 * time.Millisecond

// limiterWait is how long Acquire held the caller back: the permit's own
// figure when it reports one, else took when it reaches foreignWaitThreshold.
func limiterWait(p Permit, took time.Duration) time.Duration {
	if w, ok := p.(WaitReporter); ok {
		return max(0, w.Waited())
	}
	if took >= foreignWaitThreshold {
		return took
	}
	return 0
}

// LimitRequest names the budgets one HTTP request draws on.
type LimitRequest struct {
	// Portal is the portal's normalised host (and port, if not 443); the
	// request bucket is keyed by it.
	Portal string
	// Credential is a hash of the webhook's user id and secret (see
	// Hook.CredentialHash), never the secret itself. Operating budgets are
	// keyed by (Portal, Credential, method).
	Credential string
	// Methods are the billed method names, lower-case. A single call bills its
	// own method; a batch bills "batch" (the current cloud behaviour) or, with
	// BatchBilledPerCommand, the distinct methods of its commands.
	Methods []string
}

// Refusal tells whether the portal refused a request before running it.
type Refusal int

const (
	// NotRefused: the request was not refused by a limit (it succeeded, failed
	// otherwise, or its outcome is unknown).
	NotRefused Refusal = iota
	// RefusedRate: 503 QUERY_LIMIT_EXCEEDED, the request bucket was full. The
	// limiter must leave no burst: the next request waits a full 1/Y seconds.
	RefusedRate
	// RefusedOperating: 429 OPERATION_TIME_LIMIT (v3: ...RATELIMITEXCEPTION),
	// or any other 429 answer, for Outcome.RefusedMethod: the method's budget
	// is spent until its reset.
	RefusedOperating
)

// Outcome is what one request taught the limiter.
type Outcome struct {
	// Refused tells whether (and by which budget) the portal refused the request.
	Refused Refusal
	// RefusedMethod is the billed method a RefusedOperating refusal applies to.
	RefusedMethod string
	// Reports are the operating figures of the response, one per billed
	// method that reported one. Empty when the response carried none (an
	// error, a self-hosted portal without the load limiter, a transport failure).
	// They are the portal's, untrusted: a limiter passes each through SaneReport.
	Reports []OperatingReport
	// Sent is false when the request never left the client (for example the
	// context ended before sending); the limiter may then hand back the
	// reservation without learning anything.
	Sent bool
	// Elapsed is the request's wall time, used as an estimate of its server
	// time when the portal reports none.
	Elapsed time.Duration
}

// OperatingReport is one method's operating figure from a response's time block.
type OperatingReport struct {
	// Method is the billed method, lower-case.
	Method string
	// Operating is the server time accumulated for the method over the current
	// window, as the portal reports it (the "operating" field).
	Operating time.Duration
	// ResetAt is when part of that time is released ("operating_reset_at");
	// zero when the portal did not say.
	ResetAt time.Time
}
