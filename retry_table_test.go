package b24

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// scriptTransport answers requests from a script, in memory (no sockets), so
// that tests run under testing/synctest.
type scriptTransport struct {
	mu    sync.Mutex
	steps []func(*http.Request) (*http.Response, error)
	reqs  []*http.Request
}

func (s *scriptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	var step func(*http.Request) (*http.Response, error)
	if len(s.steps) > 0 {
		step, s.steps = s.steps[0], s.steps[1:]
	}
	s.mu.Unlock()
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
	}
	if step == nil {
		return answer(200, okBody)(req)
	}
	return step(req)
}

func (s *scriptTransport) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

const okBody = `{"result":{"ID":"1"},"time":{"start":1,"finish":1.5,"duration":0.5,"processing":0,"date_start":"","date_finish":"","operating":0.5,"operating_reset_at":1}}`

func answer(status int, body string, header ...string) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		h := http.Header{}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
}

func fail(err error) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) { return nil, err }
}

// hang blocks until the request's context ends (a portal that never answers).
func hang(req *http.Request) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

func scriptedHook(t *testing.T, tr *scriptTransport, opts ...Option) *Hook {
	t.Helper()
	opts = append([]Option{WithHTTPClient(&http.Client{Transport: tr}), WithTimeout(30 * time.Second)}, opts...)
	h, err := FromWebhookURL("https://portal.example.com/rest/1/"+testSecret+"/", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const (
	html502 = "<html><body><h1>502 Bad Gateway</h1></body></html>"
)

// TestRetryTable checks every cell of the retry table in Call's doc comment.
func TestRetryTable(t *testing.T) {
	t.Parallel()
	type callKind struct {
		name   string
		api    APIVersion
		method string
		opts   []CallOption
	}
	read := callKind{"read", APIv2, "crm.deal.get", nil}
	marked := callKind{"idempotent", APIv2, "crm.deal.update", []CallOption{WithIdempotent(true)}}
	v3write := callKind{"v3 write", APIv3, "tasks.task.add", nil}
	v2write := callKind{"v2 write", APIv2, "crm.deal.add", nil}
	kinds := []callKind{read, marked, v3write, v2write}

	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	type want struct {
		requests  int
		err       error // nil: success; a Code or ErrAmbiguous or context error
		ambiguous bool
	}
	rows := []struct {
		name  string
		first func(*http.Request) (*http.Response, error)
		want  map[string]want // by call kind; "*" for all
	}{
		{"503 QUERY_LIMIT_EXCEEDED", answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`),
			map[string]want{"*": {requests: 2}}},
		{"429 OPERATION_TIME_LIMIT", answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`),
			map[string]want{"*": {requests: 2}}},
		{"429 with another code", answer(429, `{"error":"RATE_LIMITED","error_description":"Too many requests"}`),
			map[string]want{"*": {requests: 2}}},
		{"429 without JSON", answer(429, "Too Many Requests", "Content-Type", "text/plain"),
			map[string]want{"*": {requests: 2}}},
		{"503 OVERLOAD_LIMIT", answer(503, `{"error":"OVERLOAD_LIMIT","error_description":"REST API is blocked due to overload."}`),
			map[string]want{"*": {requests: 1, err: ErrOverloadLimit}}},
		{"400 with a code", answer(400, `{"error":"","error_description":"Not found"}`),
			map[string]want{"*": {requests: 1, err: ErrNotFound}}},
		{"404 HTML", answer(404, "<html>not here</html>", "Content-Type", "text/html"),
			map[string]want{"*": {requests: 1, err: &ResponseError{}}}},
		{"408 without JSON", answer(408, "Request Timeout", "Content-Type", "text/plain"),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"408 with a JSON code", answer(408, `{"error":"TIMEOUT","error_description":"Request timeout"}`),
			map[string]want{"*": {requests: 1, err: Code("TIMEOUT")}}},
		{"200 with an error", answer(200, `{"error":"ERROR_CORE","error_description":"failed"}`),
			map[string]want{"*": {requests: 1, err: Code("ERROR_CORE")}}},
		{"500 with a JSON code", answer(500, `{"error":"INTERNAL_SERVER_ERROR","error_description":"Internal server error"}`),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"502 HTML", answer(502, html502, "Content-Type", "text/html"),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"504 HTML", answer(504, html502, "Content-Type", "text/html"),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"503 without a JSON code", answer(503, "Service Unavailable", "Content-Type", "text/plain"),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"200 HTML", answer(200, "<html>maintenance</html>", "Content-Type", "text/html"),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"connection reset", fail(reset),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"truncated body", answer(200, `{"result":[{"ID":"1","TITLE":"a`),
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"attempt timeout", hang,
			map[string]want{"*": {requests: 2}, "v2 write": {requests: 1, ambiguous: true}}},
		{"connection refused", fail(refused),
			map[string]want{"*": {requests: 2}}},
	}
	for _, row := range rows {
		for _, k := range kinds {
			w, ok := row.want[k.name]
			if !ok {
				w = row.want["*"]
			}
			t.Run(row.name+"/"+k.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){row.first}}
					h := scriptedHook(t, tr)
					resp, err := h.api(k.api).Call(t.Context(), k.method, map[string]any{"id": 1}, k.opts...)
					reqs := tr.requests()
					if len(reqs) != w.requests {
						t.Fatalf("%d requests, want %d (err %v)", len(reqs), w.requests, err)
					}
					switch {
					case w.ambiguous:
						if !errors.Is(err, ErrAmbiguous) {
							t.Fatalf("err = %v, want ErrAmbiguous", err)
						}
					case w.err == nil:
						if err != nil || resp == nil || resp.Attempts != w.requests {
							t.Fatalf("err = %v, resp %+v", err, resp)
						}
					default:
						var re *ResponseError
						if _, isRE := w.err.(*ResponseError); isRE {
							if !errors.As(err, &re) {
								t.Fatalf("err = %v, want a *ResponseError", err)
							}
						} else if !errors.Is(err, w.err) {
							t.Fatalf("err = %v, want %v", err, w.err)
						}
						if errors.Is(err, ErrAmbiguous) {
							t.Fatalf("err = %v must not be ambiguous", err)
						}
					}
					// v3 writes carry one Idempotency-Key, the same on every attempt.
					key := reqs[0].Header.Get("Idempotency-Key")
					if (k.name == "v3 write") != (key != "") {
						t.Fatalf("Idempotency-Key %q on a %s", key, k.name)
					}
					for _, r := range reqs {
						if r.Header.Get("Idempotency-Key") != key || r.Header.Get("X-Request-ID") != reqs[0].Header.Get("X-Request-ID") {
							t.Fatal("retry changed the Idempotency-Key or the request id")
						}
					}
					if err != nil && strings.Contains(err.Error(), testSecret) {
						t.Fatalf("error leaks the secret: %v", err)
					}
				})
			})
		}
	}
}

func (h *Hook) api(v APIVersion) *API {
	if v == APIv3 {
		return h.V3()
	}
	return h.V2()
}

// TestCancelMidRequest: the context error, with ErrAmbiguous for writes.
func TestCancelMidRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		api       APIVersion
		method    string
		ambiguous bool
	}{
		{APIv2, "crm.deal.list", false},
		{APIv2, "crm.deal.add", true},
		{APIv3, "tasks.task.add", true},
	} {
		t.Run(tc.method, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){hang}}
				h := scriptedHook(t, tr)
				ctx, cancel := context.WithCancel(t.Context())
				go func() {
					time.Sleep(time.Second)
					cancel()
				}()
				_, err := h.api(tc.api).Call(ctx, tc.method, nil)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				if errors.Is(err, ErrAmbiguous) != tc.ambiguous {
					t.Fatalf("err = %v, ambiguous want %v", err, tc.ambiguous)
				}
				if n := len(tr.requests()); n != 1 {
					t.Fatalf("%d requests after cancel", n)
				}
			})
		})
	}
}

// TestAttemptsExhausted: a read that keeps failing stops after MaxAttempts,
// with growing, jittered, cancellable backoff.
func TestAttemptsExhausted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var steps []func(*http.Request) (*http.Response, error)
		for range 10 {
			steps = append(steps, answer(502, html502, "Content-Type", "text/html"))
		}
		tr := &scriptTransport{steps: steps}
		h := scriptedHook(t, tr, WithRestrictionParams(RestrictionParams{Retry: RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 3 * time.Second}}))
		start := time.Now()
		_, err := h.Call(t.Context(), "crm.deal.list", nil)
		elapsed := time.Since(start)
		var re *ResponseError
		if !errors.As(err, &re) || re.Status != 502 || !strings.Contains(err.Error(), "giving up after 4 attempts") {
			t.Fatalf("err = %v", err)
		}
		if n := len(tr.requests()); n != 4 {
			t.Fatalf("%d requests, want 4", n)
		}
		// Delays: [0.5,1] + [1,2] + [1.5,3] seconds.
		if elapsed < 3*time.Second || elapsed > 6*time.Second {
			t.Fatalf("backoff took %v, want between 3s and 6s", elapsed)
		}
		if st := h.Stats(); st.Requests != 4 || st.Failures != 4 || st.Retries != 3 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){
			answer(503, "busy", "Retry-After", "7", "Content-Type", "text/plain"),
		}}
		h := scriptedHook(t, tr)
		start := time.Now()
		if _, err := h.Call(t.Context(), "crm.deal.get", nil); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 7*time.Second {
			t.Fatalf("waited %v, want the 7s of Retry-After", d)
		}
	})
}

func TestRetryAfterParse(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"5", 5 * time.Second, true}, {"-1", 0, false}, {"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	} {
		h := http.Header{}
		if tc.in != "" {
			h.Set("Retry-After", tc.in)
		}
		got, ok := retryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestRefusalWaitBounded: refusals are waited out only up to MaxRefusalWait.
func TestRefusalWaitBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var steps []func(*http.Request) (*http.Response, error)
		for range 1000 {
			steps = append(steps, answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`))
		}
		tr := &scriptTransport{steps: steps}
		h := scriptedHook(t, tr, WithRestrictionParams(RestrictionParams{Retry: RetryPolicy{MaxRefusalWait: 5 * time.Second}}))
		start := time.Now()
		_, err := h.Call(t.Context(), "crm.deal.add", nil)
		if !errors.Is(err, ErrQueryLimitExceeded) || errors.Is(err, ErrAmbiguous) {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d < 5*time.Second || d > 6*time.Second {
			t.Fatalf("gave up after %v, want about 5s", d)
		}
		// After every refusal the bucket is empty: one request per 1/2 s.
		if n := len(tr.requests()); n < 10 || n > 13 {
			t.Fatalf("%d requests in 5s, want about 11", n)
		}
	})
}
