package b24

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// encodeParams renders a call's parameters as the JSON request body.
// params may be nil (no parameters), a map, a struct, a json.RawMessage or a
// []byte holding JSON.
func encodeParams(method string, params any) ([]byte, error) {
	var body []byte
	switch p := params.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		body = p
	case []byte:
		body = p
	default:
		b, err := json.Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("b24: %s: encoding params: %w", method, err)
		}
		body = b
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return []byte("{}"), nil
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("b24: %s: params are not valid JSON", method)
	}
	if body[0] != '{' && body[0] != '[' {
		return nil, fmt.Errorf("b24: %s: params must be a JSON object (or, for a REST 3.0 batch, an array)", method)
	}
	return body, nil
}

// checkMethod rejects method names that could alter the request URL.
func checkMethod(method string) error {
	if method == "" {
		return errors.New("b24: empty method name")
	}
	if len(method) > 200 {
		return errors.New("b24: method name too long")
	}
	for i := 0; i < len(method); i++ {
		c := method[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("b24: invalid method name %q (letters, digits, '.', '_' and '-' only)", method)
		}
	}
	return nil
}

// newUUIDv7 returns a random UUID version 7 (time-ordered), as request ids.
func newUUIDv7() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	ms := uint64(time.Now().UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(u[0:6], ts[2:8])
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:16])
	return string(b[:])
}

// attemptResult is what one HTTP exchange gave.
type attemptResult struct {
	resp    *Response
	err     error
	sent    bool // the request may have reached the portal
	elapsed time.Duration
	status  int
	header  http.Header
	token   string // an application's access token the request carried
}

// ownedBody is the announced length from which an answer is read into a
// buffer its Response keeps, not a pooled one.
const ownedBody = 64 << 10

// bufPool keeps read buffers of at most 1 MiB for reuse.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readLimited reads r into b until EOF or until it holds limit bytes,
// growing b by doubling but never past limit, and then reports with a
// one-byte read whether the body goes on. A body over the maximum thus
// costs at most twice the maximum in allocations, and holds at most the
// maximum (a bytes.Buffer would grow to twice the maximum to hold the one
// byte that tells the body is too large).
func readLimited(r io.Reader, b []byte, limit int64) (_ []byte, over bool, _ error) {
	if int64(cap(b)) > limit {
		// A pooled buffer may be larger than this hook's maximum: never read past it.
		b = b[:len(b):limit]
	}
	for {
		if len(b) == cap(b) {
			if int64(len(b)) >= limit {
				var probe [1]byte
				for range 100 {
					n, err := r.Read(probe[:])
					if n > 0 {
						return b, true, nil
					}
					if err == io.EOF {
						return b, false, nil
					}
					if err != nil {
						return b, false, err
					}
				}
				return b, false, io.ErrNoProgress
			}
			nb := make([]byte, len(b), min(int64(max(2*cap(b), 4096)), limit))
			copy(nb, b)
			b = nb
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, false, nil
		}
		if err != nil {
			return b, false, err
		}
	}
}

// newRequest builds one attempt's POST of body to urlStr with its headers.
// Without GetBody net/http cannot resend the body: no request is sent twice
// behind the SDK's back (HTTP/2 after a reset or GOAWAY, HTTP/1 with an
// Idempotency-Key on a dropped connection). Every resend is the retry
// loop's, counted in Stats and paid to the limiter.
func (h *Hook) newRequest(ctx context.Context, urlStr string, body []byte, reqID, idemKey string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, urlStr, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.GetBody = nil
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", h.userAgent)
	req.Header.Set("X-Request-ID", reqID)
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	return req, nil
}

// send performs one HTTP attempt.
func (h *Hook) send(ctx context.Context, v APIVersion, method string, body []byte, reqID, idemKey string, timeout time.Duration) attemptResult {
	base := h.v2.base
	if v == APIv3 {
		base = h.v3.base
	}
	urlStr := base.Reveal() + "/" + method
	shownURL := base.String() + "/" + method
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := h.newRequest(actx, urlStr, body, reqID, idemKey)
	if err != nil {
		return attemptResult{err: &TransportError{Method: method, URL: shownURL, NotSent: true, Err: errors.New("building the request failed")}}
	}
	token, err := h.authorize(ctx, req, method)
	if err != nil {
		return attemptResult{err: err}
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		elapsed := time.Since(start)
		if ctx.Err() != nil {
			return attemptResult{err: ctx.Err(), sent: true, elapsed: elapsed}
		}
		return attemptResult{err: h.transportError(method, shownURL, err, actx), sent: !notSent(err), elapsed: elapsed}
	}
	defer resp.Body.Close()

	// A header may echo the secret (a proxy quoting the URL): what the caller
	// sees, errors and the Response included, is the redacted copy.
	header := h.redactHeader(resp.Header)
	res := attemptResult{sent: true, status: resp.StatusCode, header: header, token: token}
	if resp.ContentLength > h.maxBody {
		// Announced over the maximum: not worth reading.
		res.elapsed = time.Since(start)
		res.err = &ResponseError{Method: method, RequestID: reqID, Status: resp.StatusCode, ContentType: header.Get("Content-Type"),
			Err: errorsTooLarge(h.maxBody)}
		return res
	}
	b, owned, release, over, rerr := h.readBody(resp)
	defer release()
	res.elapsed = time.Since(start)
	if over {
		res.err = &ResponseError{Method: method, RequestID: reqID, Status: resp.StatusCode, ContentType: header.Get("Content-Type"),
			Err: errorsTooLarge(h.maxBody)}
		return res
	}
	if rerr != nil {
		if ctx.Err() != nil {
			res.err = ctx.Err()
			return res
		}
		if actx.Err() != nil {
			res.err = &TransportError{Method: method, URL: shownURL, Timeout: true, Err: fmt.Errorf("reading the response: %w", context.DeadlineExceeded)}
			return res
		}
		res.err = &ResponseError{Method: method, RequestID: reqID, Status: resp.StatusCode, ContentType: header.Get("Content-Type"),
			Snippet: snippet(b, h.redact), Truncated: true, Err: scrubErr(rerr, h.redact)}
		return res
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.err = &RedirectError{Method: method, Status: resp.StatusCode, Location: h.redact(originOf(header.Get("Location")))}
		return res
	}
	// The envelope decoder copies what it keeps out of a pooled buffer, so
	// the buffer can be reused. A portal that echoes the secret (in an error
	// text, a batch command's error, anything) has it replaced first: nothing
	// a caller receives holds it.
	res.resp, res.err = decodeBody(h.redactBody(b), owned, resp.StatusCode, header, method, v, reqID, h.redact)
	return res
}

// readBody reads resp's body up to the hook's maximum. A large answer of
// announced length is read into a buffer of its own (owned) that its
// Response may keep: its result is not copied out of a pooled one (a
// batch of list pages is hundreds of kilobytes). Any other is read into a
// pooled buffer that release returns.
func (h *Hook) readBody(resp *http.Response) (b []byte, owned bool, release func(), over bool, err error) {
	if resp.ContentLength >= ownedBody {
		// One byte more than announced: the end is read without growing.
		b, over, err = readLimited(resp.Body, make([]byte, 0, resp.ContentLength+1), h.maxBody)
		return b, true, func() {}, over, err
	}
	pooled := bufPool.Get().(*[]byte)
	b = (*pooled)[:0]
	if resp.ContentLength >= int64(cap(b)) {
		b = make([]byte, 0, resp.ContentLength+1)
	}
	b, over, err = readLimited(resp.Body, b, h.maxBody)
	return b, false, func() {
		if cap(b) <= 1<<20 {
			*pooled = b[:0]
		}
		bufPool.Put(pooled)
	}, over, err
}

// transportError converts a client error into a TransportError without the
// secret: net/http's *url.Error quotes the full request URL.
func (h *Hook) transportError(method, shownURL string, err error, actx context.Context) *TransportError {
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	inner = noResendCause(inner)
	te := &TransportError{Method: method, URL: shownURL, NotSent: notSent(err), Err: scrubErr(inner, h.redact)}
	if errors.Is(actx.Err(), context.DeadlineExceeded) || (ue != nil && ue.Timeout()) {
		te.Timeout = true
	}
	return te
}

// h2NoResend starts the error of net/http's HTTP/2 transport when it would
// resend a request but cannot (the SDK clears GetBody on purpose).
const h2NoResend = "http2: Transport: cannot retry err ["

// noResendCause returns the failure itself (a stream reset and its code, a
// GOAWAY) from that error, whose advice to define GetBody is not for users.
func noResendCause(err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, h2NoResend) {
		return err
	}
	if i := strings.LastIndex(msg, "] after Request.Body was written"); i > len(h2NoResend) {
		return errors.New(msg[len(h2NoResend):i])
	}
	return err
}

// notSent reports whether err shows that the request never reached the
// portal: the connection could not be established.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// scrubErr returns err unchanged when its text holds no secret, and a plain
// error with the text redacted otherwise.
func scrubErr(err error, redact func(string) string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if r := redact(msg); r != msg {
		return errors.New(r)
	}
	return err
}

// originOf returns the scheme and host of a Location header, never its path
// (which may hold the secret).
func originOf(loc string) string {
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil || u.Host == "" {
		return ""
	}
	scheme := u.Scheme
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + u.Host
}

// errorsTooLarge is the cause of a ResponseError for a body over max bytes.
func errorsTooLarge(max int64) error {
	return fmt.Errorf("%w (more than %d bytes, WithMaxResponseSize)", ErrResponseTooLarge, max)
}
