// Package b24test is a fake Bitrix24 portal for tests: an in-process HTTPS
// server that speaks the REST v2 and v3 inbound-webhook protocol, holds
// seeded CRM, task and user data, enforces the portal's limits, models its
// latency and injects faults. A client that works against it should work
// against a real portal; the protocol it follows is the one
// described in ../docs/protocol.md (from this directory).
//
// # Starting a portal
//
// In a test, NewServer starts a server on 127.0.0.1 and stops it when the
// test ends:
//
//	s := b24test.NewServer(t)
//	hook := s.Hook()                        // a *b24.Hook configured for it
//	resp, err := hook.V2().Call(ctx, "crm.deal.list", map[string]any{"start": -1})
//
// s.WebhookURL() is the v2 webhook base ("https://127.0.0.1:PORT/rest/1/<secret>/"),
// s.WebhookV3URL() the REST 3.0 one, s.Client() an *http.Client that trusts
// the server's self-signed certificate and s.CertificatePEM() that
// certificate. Outside tests, Start and Close do the same; the "b24 fake"
// command serves one for other programs and languages.
//
// # Time and synctest
//
// The server's clock is the time package unless WithClock injects another.
// Under testing/synctest, use InMemory: the server then has no socket, and
// its Client, Transport and Hook hand requests to its handler directly, so
// that the bubble's fake clock advances through every modelled wait:
//
//	synctest.Test(t, func(t *testing.T) {
//		s := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10))
//		...
//	})
//
// # What it serves
//
//   - Routes: /rest/<user>/<secret>/<method> (optional trailing "/" and
//     ".json"; ".xml" is refused) and /rest/api/<user>/<secret>/<method>.
//     Method names are case-insensitive. An unknown method answers 404
//     ERROR_METHOD_NOT_FOUND before the credentials are checked; wrong
//     credentials 401 INVALID_CREDENTIALS; a missing scope 401
//     insufficient_scope (WithScopes); v3 paths answer in the v3 error shape.
//     Any other path is a plain 404, except AuditPath, FailPath and StubPath.
//   - Webhooks: WithWebhook's (user 1 by default) and any AddWebhook adds,
//     each its own user with its own secret and operating budgets: a call
//     acts as its webhook's user (profile, user.current, the author and
//     modifier fields of what it writes).
//   - Parameters (v2): the query string merged with a JSON, form or
//     multipart body, PHP bracket keys nested, JSON keys over query keys; a
//     malformed JSON body gives no parameters; start, auth and state are
//     taken out. v3 reads the JSON body only.
//   - Envelopes written byte for byte as PHP's json_encode with Bitrix24's
//     flags: result, next, total, time (with operating and
//     operating_reset_at); {error, error_description}; v3
//     {result, time} and {error: {code, message, validation}}. The time
//     block's start and processing are integers truncated to the second,
//     and duration counts from that start, as current portals send them;
//     WithLegacyTime (b24 fake --legacy-time) writes them as older portals
//     did, floats with microseconds.
//   - Methods: profile, app.info, server.time, scope, methods, method.get,
//     user.current, user.get, department.get, batch (v2 and v3), and the
//     entity methods crm.deal|lead|contact|company.*, crm.item.* (also of
//     a smart process, entityTypeId 128, whose items carry xmlId),
//     tasks.task.* (v2 and v3) over seeded records (WithSeed).
//
// # Filters and dates
//
// List filters take every documented operator on every field type: v2 key
// prefixes "=", "!" ("!="), "<", "<=", ">", ">=", "><" and "!><" (two
// values), "%" (substring), "=%" and "%=" (LIKE with its own % and _), "!%",
// "!=%", "@" and "!@" (lists), a plain key with a list for IN, LOGIC "OR"
// groups; v3 triples with =, !=, >, >=, <, <=, in, between. Text compares
// case-insensitively, numbers and dates by value.
//
// A filter the fake cannot evaluate is refused with a 400 that names it, in
// the method's error shape: an unknown field or operator ("?TITLE"), a
// filter that is not an array, a date that is not one, the wrong number of values ("><" with one), LIKE on
// a date, crm_status, crm_contact or crm_company field. It never answers
// every row where a real portal would filter. A number is read as PHP
// reads it: "12abc" is 12, "abc" is 0 (an unresolved batch reference).
//
// Dates are written and shown in the portal's offset (WithLocation,
// default +03:00); a value without an offset is taken in it. A date-only
// field keeps the date it was given: "2026-12-06" reads back as
// "2026-12-06T00:00:00+03:00".
//
// Every write sets the record's modification time (DATE_MODIFY,
// updatedTime, CHANGED_DATE) on the portal's clock, which WithClockOffset
// sets off the host's; seeded ones are never after the server's start. A
// delete keeps the record in a recycle bin (Server.Restore brings it back
// with its old id and old modification time), and Server.AddUserField /
// DeleteUserField change the legacy CRM entities' fields at run time: what
// a database sync (package dbsync) is tested against.
//
// # Limits
//
// On by default with the Standard plan (WithPlan, WithLimits,
// WithoutLimits): a leaky bucket of 50 requests draining 2 a second, full
// at start, refuses with 503 QUERY_LIMIT_EXCEEDED (v2 shape, even on v3)
// before anything else; an operating budget of 480 s of modelled server
// time per 600 s, per credential and billed method, refuses with 429
// OPERATION_TIME_LIMIT (v3: ...RATELIMITEXCEPTION). The window is ten slots
// of W/10: a method's time summed over one request is stored when the
// request ends, only if above 0.1 s, in the slot of the request's start; a
// slot counts until its number falls 10 behind or the request's first call
// is W old. The check before each call sees stored time only: the request
// that crosses the limit runs to its end, the next call is refused. A batch
// is billed under "batch" (times Limits.BatchWeight), every sub-result
// carrying the same running figure, or per command with
// Limits.BatchPerCommand. Limits.OperatingBan refuses a method for a fixed
// time once it crosses the limit, and clears its slots.
//
// # Latency and time scale
//
// Each call takes, on the server's clock, 20 ms plus 50 µs per row
// returned, 20 µs per row counted (start >= 0), 2 µs per offset row skipped
// and 5 ms per write (WithLatency); a batch takes the sum of its commands.
// The server really waits that long, reports it as "processing" and charges
// it to the operating budget. A request that would take more than 60 s is
// cut off with an HTML 504 after 60 s (the method ran).
//
// WithTimeScale(k) runs the portal k times faster: every time constant is
// divided by k and the drain rate multiplied by k (the bucket size stays).
// Server.Hook and Server.RestrictionParams give clients the matching
// limits; Server.Limits reports the effective ones.
//
// # Stubs
//
// Server.On makes any method answer what a Handler returns, at top level
// and as a batch command, known to the fake or not: Returns(v) a fixed
// result, Fails(status, code, description) an error (OnResult, OnError for
// short), or a function of the Call. Inside a batch, Call.Key names the
// command, so one command can fail while the others run; ErrNotExecuted
// leaves a command out of the answer; Call.Run answers as the fake would.
// On returns the function that removes the stub; ResetStubs removes all.
// Other programs set stubs over HTTP (StubPath).
// The method's scope, the limits, latency, faults and audit still apply.
// WithFamily serves a whole family of methods (Family, Method, Handler).
//
// The event.* methods answer 403 WRONG_AUTH_TYPE, as a real portal does to
// a webhook (they need an application); a stub makes them answer.
//
// # Faults
//
// WithFaults injects faults at random, deterministically from a seed;
// Server.FailNext scripts them ("the next 3 calls of crm.deal.add answer
// 500"), each served once, and reaches the commands of a batch too:
// a refusal fails that command alone, any other fault ends the request at
// that command. FailCommand targets one batch command by its key,
// FailRequest the n-th request. FaultOperating answers 429 whatever the
// budget. The faults are listed with the Fault type: refusals before
// execution (503, 502 HTML, 503 OVERLOAD_LIMIT, 302 to another host) and
// failures after execution (500, connection reset, truncated body, an
// answer later than the client's timeout, and FaultLateRun: the method
// runs LateRunDelay after the request arrived, after a client with a short
// timeout gave up), and list faults that answer
// wrong pages instead of failing (FaultUnsorted ignores the order,
// FaultIgnoreStart the start or offset, FaultIgnoreFilter all of the filter
// but the id; batch commands included), and
// FaultAbsurdFigures, which sends absurd operating figures (a reset ten
// years ahead, "NaN", a huge Retry-After: see AbsurdFigure);
// Server.ClearFaults drops the scripted faults not yet served. The echo
// faults send the secret back in headers, an error body or a redirect's
// Location, also in another case, percent-encoded or JSON-escaped, to
// check that a client redacts every form. REST v3 writes honour the
// Idempotency-Key header: the answer is stored before any fault that
// strikes after execution, and a retry with the same key and body replays
// it with Idempotent-Replayed: true.
//
// WithHTTP2 serves HTTP/2 as well (ALPN "h2"; "b24 fake -http2"), on a small
// server of its own that can fail one call at the frame level after running
// it: FaultStreamReset resets its stream with the code of WithResetCode
// ("-reset-code"), FaultGoAway sends GOAWAY claiming it was not processed.
//
// # Audit
//
// Server.Audit (and GET AuditPath, as JSON) tells what the server saw:
// requests by status and method, batch commands, rows returned, writes per
// record (to prove that a retried write ran once), the last requests
// with the secret redacted (numbered by Seq) and what each batch command
// did (CommandLog; Audit.Batch, Audit.Calls). Server.Secret gives the
// secret, to check that it appears nowhere.
//
// # Adding methods
//
// registry.go is the contract between the server and the method families
// (Method, Call, Result, Error).
package b24test
