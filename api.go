package b24

import (
	"context"
	"fmt"
	"time"

	"github.com/b24go/b24/limit"
)

// API is one REST version of a Hook: Hook.V2() or Hook.V3(), the JS SDK's
// actions.v2 and actions.v3. Both share the Hook's limiter and settings.
type API struct {
	h       *Hook
	version APIVersion
	base    Secret // TargetOriginWithPath(version), built once for every request
}

// String describes the API without the secret.
func (a *API) String() string { return "b24.API(" + a.version.String() + ", " + a.h.String() + ")" }

// GoString describes the API without the secret.
func (a *API) GoString() string { return a.String() }

// Format implements fmt.Formatter without the secret, for every verb.
func (a *API) Format(f fmt.State, verb rune) { fmt.Fprint(f, a.String()) }

// Version returns the API's REST version.
func (a *API) Version() APIVersion { return a.version }

// Hook returns the Hook the API belongs to.
func (a *API) Hook() *Hook { return a.h }

// Call calls a REST v2 method: a shortcut for h.V2().Call (the JS SDK's callMethod).
func (h *Hook) Call(ctx context.Context, method string, params any, opts ...CallOption) (*Response, error) {
	return h.v2.Call(ctx, method, params, opts...)
}

// CallAs calls method through api and decodes its result into a T.
func CallAs[T any](ctx context.Context, api *API, method string, params any, opts ...CallOption) (T, *Response, error) {
	var zero T
	resp, err := api.Call(ctx, method, params, opts...)
	if err != nil {
		return zero, resp, err
	}
	v, err := Decode[T](resp)
	return v, resp, err
}

// Call calls a method: a POST of params as JSON to <base>/<method>. params
// may be nil, a map, a struct, or JSON as json.RawMessage or []byte.
//
// Before each HTTP request the call waits for the limiter (the request bucket
// and the method's operating budget). What happens after a failure depends on
// whether the portal may have run the call:
//
//	| outcome                                          | read, or WithIdempotent | v3 write (Idempotency-Key) | v2 write                   |
//	|--------------------------------------------------|-------------------------|----------------------------|----------------------------|
//	| refused, not run: any 429 (OPERATION_TIME_LIMIT, | wait and retry          | wait and retry             | wait and retry             |
//	|   another code, or no JSON envelope), 503        |                         |                            |                            |
//	|   QUERY_LIMIT_EXCEEDED                           |                         |                            |                            |
//	| a JSON error with a status below 500 (a 4xx      | error, no retry         | error, no retry            | error, no retry            |
//	|   but 429, or an error in a 200 body); 503       |                         |                            |                            |
//	|   OVERLOAD_LIMIT; a redirect; a 4xx without a    |                         |                            |                            |
//	|   JSON envelope, but 408 and 429                 |                         |                            |                            |
//	| a 5xx JSON error with any other code (500        | retry with backoff      | retry, same key            | ErrAmbiguous, no retry     |
//	|   INTERNAL_SERVER_ERROR, ...); any other answer  |                         |                            |                            |
//	|   without a JSON envelope (502/504 HTML, 503     |                         |                            |                            |
//	|   text, 408, HTML with 200, a truncated body);   |                         |                            |                            |
//	|   a reset connection; an HTTP/2 stream reset     |                         |                            |                            |
//	|   (any code) or GOAWAY after the request was     |                         |                            |                            |
//	|   sent; the attempt's timeout                    |                         |                            |                            |
//	| a body over the size limit (the call ran)        | error, no retry         | ErrAmbiguous, no retry     | ErrAmbiguous, no retry     |
//	| connection never made (refused, DNS)             | retry with backoff      | retry with backoff         | retry with backoff         |
//	| context cancelled mid-request                    | context error           | context error+ErrAmbiguous | context error+ErrAmbiguous |
//
// Refusals do not use up attempts: they are waited out for at most
// RetryPolicy.MaxRefusalWait in total. After a refusal the limiter holds the
// next request back; when it does not (see WaitReporter), the call waits a
// floor since the refusal itself: 1/RateLimit.Drain after a 503,
// Operating.Window/60 after a 429. A Retry-After header, when the portal
// sends one, is always honoured, up to Operating.Window. Other retries use RetryPolicy.MaxAttempts
// attempts in all, with exponential backoff and jitter (see RetryPolicy), or
// the Retry-After header when the portal sends one. Every wait ends when ctx
// does. A call that gives up after retrying (its attempts or its refusal wait
// run out, or an error follows a retry) logs one Warn record, "b24 giving
// up", with the method, the attempts and the error.
//
// Only the retry loop resends a request, so each one is counted in Stats
// and paid to the limiter: net/http is never allowed to (the request has no
// GetBody). HTTP/2 says that REFUSED_STREAM, and a GOAWAY below the
// request's stream, mean "not processed", but a proxy in front of the portal
// may already have passed the request on: for a write they are ambiguous too.
//
// Reads are known by method name (IsReadMethod); a batch is a read when all
// of its commands are. A REST v3 write carries an Idempotency-Key (a new
// UUIDv7 per call unless WithIdempotencyKey), reused on every retry, so the
// portal runs it at most once; a v3 batch containing writes is treated like a
// v2 write, because the key covers single calls only.
//
// An error answer is an *APIError (errors.Is with a Code); an unusable body a
// *ResponseError; a failed exchange a *TransportError; a redirect a
// *RedirectError. None of them contains the secret.
func (a *API) Call(ctx context.Context, method string, params any, opts ...CallOption) (*Response, error) {
	h := a.h
	if h.closed.Load() {
		return nil, ErrClosed
	}
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	var cc callConfig
	if err := applyCallOptions(&cc, opts); err != nil {
		return nil, err
	}
	body, err := encodeParams(method, params)
	if err != nil {
		return nil, err
	}
	if cc.requestID == "" {
		cc.requestID = newUUIDv7()
	}
	if cc.timeout <= 0 {
		cc.timeout = h.timeout
	}
	p := *h.params.Load()
	c := &call{
		h: h, v: a.version, method: method, body: body, cc: cc, params: p,
		read: cc.idempotent || IsReadMethod(method) || isBatch(method) && batchIsRead(a.version, body),
	}
	if a.version == APIv3 && !c.read && !isBatch(method) {
		c.idemKey = cc.idempotencyKey
		if c.idemKey == "" {
			c.idemKey = newUUIDv7()
		}
	}
	c.limitReq = limit.Request{Portal: h.host, Credential: h.credential,
		Methods: billedMethods(a.version, method, body, h.billing.resolve(p.Operating.BatchBilling))}
	warnClientSide(h)
	start := time.Now()
	resp, err := c.run(ctx)
	h.stats.recordCall(ctx, method, cc.requestID, time.Since(start), err, h.redact)
	return resp, err
}
