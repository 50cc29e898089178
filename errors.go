package b24

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a portal error code. Codes are sentinels for errors.Is: an
// *APIError matches a Code when their codes are equal ignoring case, or when
// the code is one of the Code's known aliases (REST 3.0 exception names map
// onto the v2 codes). Any code works, not only the constants below:
//
//	if errors.Is(err, b24.ErrNotFound) { ... }
//	if errors.Is(err, b24.Code("ERROR_CORE")) { ... }
type Code string

func (c Code) Error() string { return "b24: error code " + string(c) }

// Codes with a meaning the SDK knows (docs/protocol.md §3, §8).
const (
	ErrQueryLimitExceeded    Code = "QUERY_LIMIT_EXCEEDED"   // 503: the request bucket was full; refused before running
	ErrOperationTimeLimit    Code = "OPERATION_TIME_LIMIT"   // 429: the method's operating budget is spent (v3: ...RATELIMITEXCEPTION)
	ErrOverloadLimit         Code = "OVERLOAD_LIMIT"         // 503: REST blocked by Bitrix24 support; not retried
	ErrMethodNotFound        Code = "ERROR_METHOD_NOT_FOUND" // 404 (v3: ...METHODNOTFOUNDEXCEPTION)
	ErrInvalidCredentials    Code = "INVALID_CREDENTIALS"    // 401: wrong user id or secret, or a deleted webhook
	ErrNoAuthFound           Code = "NO_AUTH_FOUND"          // 401
	ErrExpiredToken          Code = "expired_token"          // 401: an application's access token has expired; the call did not run
	ErrInvalidToken          Code = "invalid_token"          // 401: an application's access token is unknown or revoked
	ErrInsufficientScope     Code = "insufficient_scope"     // 401/403: the webhook lacks the method's scope
	ErrAccessDenied          Code = "ACCESS_DENIED"          // 403 (v3: ...ACCESSDENIEDEXCEPTION; legacy "Access denied.")
	ErrNotFound              Code = "NOT_FOUND"              // 400: also ERROR_ENTITY_NOT_FOUND, v3 ...ENTITYNOTFOUNDEXCEPTION, legacy "Not found"
	ErrWrongAuthType         Code = "WRONG_AUTH_TYPE"        // 403: the method needs an application context
	ErrPaymentRequired       Code = "PAYMENT_REQUIRED"       // the subscription has ended
	ErrPortalDeleted         Code = "PORTAL_DELETED"
	ErrInternalServerError   Code = "INTERNAL_SERVER_ERROR"
	ErrArgument              Code = "ERROR_ARGUMENT"
	ErrBatchLengthExceeded   Code = "ERROR_BATCH_LENGTH_EXCEEDED"
	ErrBatchMethodNotAllowed Code = "ERROR_BATCH_METHOD_NOT_ALLOWED"
	ErrValidation            Code = "VALIDATION" // v3 request or DTO validation failed; see APIError.Validation
	ErrIdempotencyKeyReused  Code = "IDEMPOTENCY_KEY_REUSED"
)

const v3Prefix = "BITRIX_REST_V3_EXCEPTION_"

// aliases lists the other codes a Code matches.
var aliases = map[Code][]string{
	ErrOperationTimeLimit:   {v3Prefix + "RATELIMITEXCEPTION"},
	ErrMethodNotFound:       {v3Prefix + "METHODNOTFOUNDEXCEPTION"},
	ErrAccessDenied:         {v3Prefix + "ACCESSDENIEDEXCEPTION"},
	ErrInsufficientScope:    {v3Prefix + "INSUFFICIENTSCOPEEXCEPTION"},
	ErrNotFound:             {"ERROR_ENTITY_NOT_FOUND", v3Prefix + "ENTITYNOTFOUNDEXCEPTION"},
	ErrValidation:           {v3Prefix + "VALIDATION_REQUESTVALIDATIONEXCEPTION", v3Prefix + "VALIDATION_DTOVALIDATIONEXCEPTION"},
	ErrIdempotencyKeyReused: {v3Prefix + "IDEMPOTENCYKEYREUSEDEXCEPTION"},
}

// ValidationError is one row of a REST 3.0 validation error.
type ValidationError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// APIError is an error answer of the portal: the v2 envelope
// {"error","error_description"} or the v3 one {"error":{"code","message","validation"}},
// with the HTTP status. Use errors.Is with a Code, or errors.As for the fields.
type APIError struct {
	Code        string            // as sent; may be empty or numeric ("0") in legacy methods
	Description string            // error_description (v2) or message (v3)
	Status      int               // HTTP status; 200 for an error inside a batch
	Method      string            // the method called
	RequestID   string            // the X-Request-ID of the call
	API         APIVersion        // v2 or v3
	Validation  []ValidationError // v3 validation rows, field and message
	Argument    string            // the "argument" of an ERROR_ARGUMENT, if sent
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("b24: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteString(": ")
	}
	code := e.Code
	if code == "" {
		code = `""`
	}
	b.WriteString(code)
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	for i, v := range e.Validation {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		if v.Field != "" {
			b.WriteString(v.Field)
			b.WriteString(": ")
		}
		b.WriteString(v.Message)
		if i == len(e.Validation)-1 {
			b.WriteString(")")
		}
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " [HTTP %d]", e.Status)
	}
	return b.String()
}

// Is matches a Code sentinel (see Code).
func (e *APIError) Is(target error) bool {
	c, ok := target.(Code)
	if !ok {
		return false
	}
	if strings.EqualFold(e.Code, string(c)) {
		return true
	}
	for _, a := range aliases[c] {
		if strings.EqualFold(e.Code, a) {
			return true
		}
	}
	switch c {
	case ErrNotFound:
		// Legacy CRM methods answer not-found with an empty or numeric code.
		if legacyCode(e.Code) {
			d := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(e.Description), ".")))
			return d == "not found" || strings.HasSuffix(d, " not found") || strings.HasSuffix(d, " is not found")
		}
	case ErrAccessDenied:
		if legacyCode(e.Code) {
			return strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.Description)), "access denied")
		}
	}
	return false
}

func legacyCode(code string) bool {
	return code == "" || strings.TrimLeft(code, "0123456789") == ""
}

// Errors of a Hook and its calls, for errors.Is. The error types (APIError,
// ResponseError, TransportError, RedirectError, ...) wrap them where they apply.
var (
	// ErrAmbiguous marks a failure after which nobody knows whether the portal
	// ran the call: a write whose request was sent and whose answer was lost
	// (a timeout, a reset, an HTTP/2 stream reset or GOAWAY with any code, a
	// truncated body, a 5xx, a cancelled context). Such a
	// write is never retried by the SDK; read it back before deciding to repeat it.
	ErrAmbiguous = errors.New("b24: outcome unknown: the portal may have run the call")
	// ErrClosed is returned by calls on a Hook after Close.
	ErrClosed = errors.New("b24: hook is closed")
	// ErrInvalidOption is wrapped by the error of every option given a bad value
	// (errors.Is): New and FromWebhookURL fail with it, and so does a call given a
	// bad per-call, list or batch option, before anything is sent or waited for.
	ErrInvalidOption = errors.New("b24: invalid option")
	// ErrInvalidWebhook is wrapped by every error about a malformed webhook URL or
	// malformed HookParams. The messages say what is wrong and never contain the secret.
	ErrInvalidWebhook = errors.New("b24: invalid webhook")
	// ErrNoToken marks a call that was not sent because its TokenSource gave no
	// access token (a refresh refused or lost); it wraps the source's error.
	ErrNoToken = errors.New("b24: no access token")
	// ErrResponseTooLarge is wrapped when a response body exceeds the Hook's maximum size.
	ErrResponseTooLarge = errors.New("b24: response body exceeds the maximum size")
)

// ResponseError is an answer that is not a usable JSON envelope: an HTML
// error page from a gateway (502, 504), a truncated body, an empty body, or a
// body over the size limit.
type ResponseError struct {
	Method      string
	RequestID   string
	Status      int
	ContentType string
	Snippet     string // the start of the body, printable, secret removed
	Truncated   bool   // the body ended early (cut connection, partial JSON)
	Err         error  // the decoding or reading error, if any
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "b24: %s: ", e.Method)
	switch {
	case errors.Is(e.Err, ErrResponseTooLarge):
		b.WriteString("response body too large")
		// The limit, as send wraps it: "(more than N bytes, WithMaxResponseSize)".
		b.WriteString(strings.TrimPrefix(e.Err.Error(), ErrResponseTooLarge.Error()))
	case e.Truncated:
		b.WriteString("truncated response body")
	default:
		b.WriteString("unexpected response (not a JSON envelope)")
	}
	fmt.Fprintf(&b, " [HTTP %d", e.Status)
	if e.ContentType != "" {
		b.WriteString(", " + e.ContentType)
	}
	b.WriteString("]")
	if e.Snippet != "" {
		fmt.Fprintf(&b, ": %q", e.Snippet)
	}
	return b.String()
}

func (e *ResponseError) Unwrap() error { return e.Err }

// TransportError is a failure to exchange the request with the portal: DNS,
// connection, TLS, a reset, or the per-attempt timeout. URL is the request URL
// with the secret redacted; Err never holds the secret either.
type TransportError struct {
	Method  string
	URL     string
	Timeout bool // the attempt's timeout expired
	NotSent bool // the request certainly never reached the portal (e.g. connection refused)
	Err     error
}

func (e *TransportError) Error() string {
	what := "transport error"
	if e.Timeout {
		what = "request timed out"
	}
	return fmt.Sprintf("b24: %s: %s: POST %s: %v", e.Method, what, e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// RedirectError is a redirect answer (the portal moved to another address).
// The SDK never follows it: the webhook secret is in the URL path and must
// not travel to another host. Update the webhook URL to Location.
type RedirectError struct {
	Method   string
	Status   int
	Location string // the new origin (scheme and host only; an echo of the secret redacted)
}

func (e *RedirectError) Error() string {
	loc := e.Location
	if loc == "" {
		loc = "an unknown address"
	}
	return fmt.Sprintf("b24: %s: the portal answered %d, moved to %s; not followed (the secret must not go to another host): update the webhook URL", e.Method, e.Status, loc)
}
