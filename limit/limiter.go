// Package limit paces the requests of a Bitrix24 client so that the portal
// never refuses them. It models the portal's two budgets: the request bucket
// of each portal, and the operating budget (server time per window) of each
// (portal, credential, method). New builds the in-memory Limiter; the
// redislimit module shares one budget across processes. The model is
// described in docs/limits.md.
package limit

import (
	"context"
	"time"
)

// Limiter paces requests. A client calls Acquire before every HTTP request it
// sends, retries included, and releases the Permit with the request's Outcome.
// Implementations are safe for concurrent use, return promptly with the
// context's error when it ends, and never see the webhook's secret (Request
// carries a hash of it). Hooks of one portal share a budget by sharing a
// Limiter.
type Limiter interface {
	// Acquire blocks until the request described by req may be sent: a unit of
	// the request bucket is taken, and every billed method's operating budget,
	// including the reservations of calls still in flight, is below its limit.
	// It returns the context's error (possibly wrapped) when ctx ends first.
	Acquire(ctx context.Context, req Request) (Permit, error)
}

// Permit is the right to send one request, obtained from Limiter.Acquire.
// Release must be called exactly once.
type Permit interface {
	// Release settles the permit with what the portal answered. It frees the
	// operating reservation and feeds the reported figures to the limiter.
	Release(Outcome)
}

// WaitReporter is an optional interface of a Permit: Waited tells how long
// Acquire held the caller back (0 when it admitted the request at once), so
// that a client can tell a wait from the limiter's own overhead.
type WaitReporter interface {
	Waited() time.Duration
}

// Request names the budgets one HTTP request draws on.
type Request struct {
	// Portal is the portal's normalised host (and port, if not 443); the
	// request bucket is keyed by it.
	Portal string
	// Credential is a hash of the webhook's user id and secret (see
	// b24.Hook.CredentialHash), never the secret itself. Operating budgets are
	// keyed by (Portal, Credential, method).
	Credential string
	// Methods are the billed method names, lower-case. A single call bills its
	// own method; a batch bills "batch" (the current cloud behaviour) or, with
	// BatchBilledPerCommand or when the answers showed it, the distinct
	// methods of its commands.
	Methods []string
	// Units, when set, holds for each of Methods (in its order) the number
	// of commands of the request billed to it: a batch of 50 list commands
	// bills 50 units to "batch", or to "crm.deal.list" when billed per
	// command. The in-memory limiter learns and reserves operating time per
	// unit, so a batch of 10 commands reserves a fifth of one of 50. Nil, a
	// short slice or an entry below 1: one unit.
	Units []int
}

// unitsOf returns the units req bills to Methods[i] (at least 1).
func unitsOf(req Request, i int) int {
	if i < len(req.Units) {
		return max(req.Units[i], 1)
	}
	return 1
}

// Fitter is an optional interface of a Limiter that can tell how much of a
// request fits in its operating budgets now. A client whose work divides
// (a list engine choosing how many pages one batch reads) sends the part
// that fits instead of waiting for the budget to free a whole request.
type Fitter interface {
	// Fit returns how many of the units req bills to its methods (see
	// Request.Units) fit in their operating budgets now, beside the
	// reservations of the calls in flight: all of them when the cost is not
	// known yet, 0 when none fits now or the budget is blocked after a
	// refusal. With several methods, the smallest of their answers.
	Fit(req Request) int
}

// BillingSharer is an optional interface of a Limiter that processes share
// (redislimit): it keeps the batch billing a portal's answers showed, so that
// a Hook in BatchBilledDetect bills its first batches as another process
// found, not as a batch until its own answers tell. A Hook asks while it
// knows no mode, and records the mode the first time its answers show it.
type BillingSharer interface {
	// BatchBilling returns the billing recorded for the portal and
	// credential: BatchBilledAsBatch, BatchBilledPerCommand, or
	// BatchBilledDetect when none is (or the store cannot tell).
	BatchBilling(ctx context.Context, portal, credential string) BatchBilling
	// SetBatchBilling records the billing an answer showed, unless one is
	// recorded already: the first answer that told wins, as in a Hook.
	SetBatchBilling(ctx context.Context, portal, credential string, b BatchBilling)
}

// Refusal tells whether the portal refused a request before running it.
type Refusal int

const (
	// NotRefused: the request was not refused by a limit (it succeeded, failed
	// otherwise, or its outcome is unknown).
	NotRefused Refusal = iota
	// RefusedRate: 503 QUERY_LIMIT_EXCEEDED, the request bucket was full. The
	// limiter must leave no burst: the next request waits a full 1/Drain.
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
	// Elapsed is the request's wall time, from sending to the answer: the
	// in-memory limiter dates the request's start (its slot) with it.
	Elapsed time.Duration
	// Processing is the portal's own time for the request (its time block's
	// finish − start); 0 when unknown. The in-memory limiter dates the
	// request's arrival at the portal by the answer less this (at most
	// Elapsed), for its bound on the portal's request bucket.
	Processing time.Duration
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
	// Finish is when the portal took the figure (its time block's
	// "finish"), in the portal's clock; zero when unknown. The in-memory
	// limiter measures the portal's clock with it, and reads Operating as
	// the time stored before Finish plus the request's own.
	Finish time.Time
	// Start is when the request reached the portal (the time block's
	// "start"), in the portal's clock; zero when unknown. The portal stores
	// the request's time in the slot of its start; current portals send it
	// truncated to the second, so a limiter dates the request by the
	// second after it (at most Finish).
	Start time.Time
}
