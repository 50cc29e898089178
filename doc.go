// Package b24 is a client for the Bitrix24 REST API through inbound
// webhooks: the Go counterpart of the official JavaScript SDK's B24Hook,
// with context cancellation, typed errors, a limiter that mirrors the
// portal's own limits, and retries that never repeat a write that may have
// run.
//
// # Construction
//
// An inbound webhook is a URL that carries a user id and a secret,
// https://<portal>/rest/<userId>/<secret>/. Build a Hook from it:
//
//	h, err := b24.FromWebhookURL(os.Getenv("B24_WEBHOOK"))
//
// or from its parts with New(HookParams{...}). The URL is validated: https
// only (no silent upgrade), the /rest/<userId>/<secret>/ path and nothing
// after it, no query or fragment. Options (WithHTTPClient, WithLogger,
// WithRestrictionParams, WithLimiter, WithUserAgent, WithTimeout,
// WithMaxResponseSize) are validated at construction. A Hook is safe for
// concurrent use; Close releases it.
//
// An application (OAuth) gets the same Hook from NewApp(portalURL, ts):
// its access tokens come from a TokenSource (package
// github.com/b24go/b24/oauth), refreshed before expiry and on
// expired_token, whose call is resent once (docs/oauth.md).
//
// # Calls
//
// A Hook serves REST v2 (h.V2(), /rest/<uid>/<secret>/) and REST 3.0
// (h.V3(), /rest/api/<uid>/<secret>/); h.Call is the v2 shortcut:
//
//	resp, err := h.Call(ctx, "crm.deal.get", map[string]any{"id": 42})
//	deal, err := b24.Decode[Deal](resp)
//	deal, resp, err := b24.CallAs[Deal](ctx, h.V2(), "crm.deal.get", map[string]any{"id": 42})
//
// A Response holds the raw result, total and next of v2 lists (nil when
// absent, and always on v3), the time block with the operating figures, the
// HTTP status and the request id. Every request carries an X-Request-ID
// (a UUIDv7 unless WithRequestID) and User-Agent b24-go/<Version>; REST v3
// writes carry an Idempotency-Key.
//
// The value types ID, Int, Float, YN, DateTime and PHPMap read what the
// portal really sends: ids as strings or numbers, "Y"/"N" flags, several
// date forms, and PHP's [] where an object is expected.
//
// # Errors
//
// An error answer is an *APIError (code, description, HTTP status, method,
// request id, v3 validation rows). Match codes with errors.Is against the
// Code constants (ErrQueryLimitExceeded, ErrOperationTimeLimit,
// ErrNotFound, ErrInvalidCredentials, ...) or any Code("X"): codes compare
// case-insensitively, and REST 3.0 exception names map onto the same
// constants. A body that is not an envelope (an HTML 502, a truncated body)
// is a *ResponseError; a failed exchange a *TransportError; a redirect a
// *RedirectError, never followed, because the secret is in the URL path.
// ErrAmbiguous marks a write whose outcome is unknown.
//
// # Limits
//
// The portal refuses requests over two budgets: a request bucket per portal
// (50 requests, draining 2 a second; 250 and 5 on Enterprise) and an
// operating budget per webhook and method (480 s of server time per 600 s).
// A Hook waits for its limiter before every request so that the portal does
// not refuse. The limiter is package limit: the default in-memory one
// mirrors the bucket (lowering it after repeated 503s, which other clients
// of the portal cause), follows the operating figures the portal reports and
// reserves time for calls in flight. RestrictionParams sets its limits
// (limit.Params, with plans such as limit.EnterprisePlan) beside the
// RetryPolicy. Hooks of one portal share a budget through one limit.Limiter
// (WithLimiter); processes share one through the redislimit module. The
// design, on one page: docs/design.md.
//
// # Retries
//
// Whether a failure is retried depends on whether the portal may have run
// the call: refusals before running are waited out, reads are retried with
// backoff, REST v3 writes are retried with the same Idempotency-Key, and a
// REST v2 write whose answer was lost is returned as ErrAmbiguous, never
// repeated. The full table is in docs/retries.md.
//
// # Logging and the secret
//
// Logs go to a *slog.Logger (WithLogger; discarded by default): one Debug
// line per request, Warn for retries, refusals, long waits and a call that
// gives up. Neither logs nor errors ever contain the secret or request
// parameters; every value that carries the secret (Secret, AuthData, the
// Hook itself) prints redacted. What the portal sends back (bodies, raw
// results, headers, a redirect's Location) has any echo of the secret
// replaced by "****": in any letter case, percent-encoded or JSON-escaped.
//
// # Testing
//
// Package b24test is a fake portal with data, paging, limits, batches and
// fault injection; srv.Hook() returns a Hook configured for it.
package b24
