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
// Each request waits for the limiter first. Refusals by the portal's limits
// are waited out and retried; other failures are retried only when the
// portal cannot have run the call, or repeating it is safe (a read,
// WithIdempotent, a REST v3 write with its Idempotency-Key); a v2 write whose
// answer was lost returns ErrAmbiguous. docs/retries.md has the full table.
// Errors are *APIError, *ResponseError, *TransportError or *RedirectError;
// none contains the secret.
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
	var cmdMethods []string // a batch's commands' methods, read from its body once
	cmdOK := false
	if isBatch(method) {
		cmdMethods, cmdOK = batchMethods(a.version, body)
	}
	c := &retryingCall{
		h: h, v: a.version, method: method, body: body, cc: cc, params: p,
		read: cc.idempotent || IsReadMethod(method) || isBatch(method) && readsOnly(cmdMethods, cmdOK),
	}
	if a.version == APIv3 && !c.read && !isBatch(method) {
		c.idemKey = cc.idempotencyKey
		if c.idemKey == "" {
			c.idemKey = newUUIDv7()
		}
	}
	billing := h.billing.resolve(p.Operating.BatchBilling)
	if isBatch(method) {
		billing = h.batchBilling(ctx, p.Operating.BatchBilling)
	}
	methods, units := billedUnitsOf(method, cmdMethods, cmdOK, billing)
	c.limitReq = limit.Request{Portal: h.host, Credential: h.credential, Methods: methods, Units: units}
	warnClientSide(h)
	start := time.Now()
	resp, err := c.run(ctx)
	h.stats.recordCall(ctx, method, cc.requestID, time.Since(start), err, h.redact)
	return resp, err
}
