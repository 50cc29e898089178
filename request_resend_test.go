package b24_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// protoRecorder remembers the protocol of the last answer.
type protoRecorder struct {
	rt    http.RoundTripper
	proto string
}

func (p *protoRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.rt.RoundTrip(r)
	if err == nil {
		p.proto = resp.Proto
	}
	return resp, err
}

// TestHTTP2ResetNotResent: over HTTP/2, a portal runs the call and then
// resets its stream (each code) or sends GOAWAY claiming it was not
// processed. Exactly one request reaches the portal for a write, which
// fails with ErrAmbiguous; a read is retried by the SDK, each request in
// Stats. Before req.GetBody was cleared, Go's transport resent the write
// itself on PROTOCOL_ERROR, REFUSED_STREAM and GOAWAY (2 to 7 requests, one
// in Stats).
func TestHTTP2ResetNotResent(t *testing.T) {
	t.Parallel()
	codes := []struct {
		name string
		code uint32
	}{
		{"NO_ERROR", 0x0}, {"PROTOCOL_ERROR", 0x1}, {"INTERNAL_ERROR", 0x2}, {"FLOW_CONTROL_ERROR", 0x3},
		{"STREAM_CLOSED", 0x5}, {"REFUSED_STREAM", 0x7}, {"CANCEL", 0x8}, {"ENHANCE_YOUR_CALM", 0xb},
		{"HTTP_1_1_REQUIRED", 0xd},
	}
	type tc struct {
		name  string
		fault b24test.Fault
		code  uint32
		says  string // in the error
	}
	var cases []tc
	for _, c := range codes {
		cases = append(cases, tc{"RST_STREAM " + c.name, b24test.FaultStreamReset, c.code, c.name + "; received from peer"})
	}
	cases = append(cases, tc{"GOAWAY", b24test.FaultGoAway, 0, "GOAWAY"}, tc{"TCP reset", b24test.FaultReset, 0, "POST"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := b24test.NewServer(t, b24test.WithHTTP2(), b24test.WithResetCode(c.code), b24test.WithoutLimits(),
				b24test.WithLatency(b24test.Latency{}))
			rec := &protoRecorder{rt: s.Client().Transport}
			h := s.Hook(b24.WithHTTPClient(&http.Client{Transport: rec}), b24.WithTimeout(5*time.Second),
				b24.WithRestrictionParams(b24.RestrictionParams{Retry: b24.RetryPolicy{MaxAttempts: 3,
					BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}))
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if _, err := h.Call(ctx, "profile", nil); err != nil {
				t.Fatal(err)
			}
			if rec.proto != "HTTP/2.0" {
				t.Fatalf("served over %q, want HTTP/2.0", rec.proto)
			}

			// A write: one request, ambiguous, never resent.
			s.FailNext("crm.deal.add", 1, c.fault)
			before := s.Audit().Requests
			_, err := h.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "x"}})
			if !errors.Is(err, b24.ErrAmbiguous) {
				t.Errorf("write: err = %v, want ErrAmbiguous", err)
			}
			var te *b24.TransportError
			if !errors.As(err, &te) {
				t.Errorf("write: err = %v, want a *TransportError", err)
			}
			// The error names what the portal did, and gives no advice meant for net/http's users.
			if msg := fmt.Sprint(err); strings.Contains(msg, "GetBody") || !strings.Contains(msg, c.says) {
				t.Errorf("write: err = %q, want one that says %q and not GetBody", msg, c.says)
			}
			a := s.Audit()
			if got := a.Requests - before; got != 1 {
				t.Errorf("write: the portal received %d requests, want 1", got)
			}
			if got := a.ByMethod["crm.deal.add"][0]; got != 1 {
				t.Errorf("write: %d adds ran and lost their answer, want 1 (%v)", got, a.ByMethod)
			}
			st := h.Stats()
			if st.Requests != 2 || st.Retries != 0 {
				t.Errorf("write: Stats.Requests = %d, Retries = %d; want 2 (profile and the add), 0", st.Requests, st.Retries)
			}

			// A read: retried by the SDK, each request counted.
			h.ResetStats()
			s.FailNext("crm.deal.list", 1, c.fault)
			before = s.Audit().Requests
			resp, err := h.Call(ctx, "crm.deal.list", nil)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if resp.Attempts != 2 {
				t.Errorf("read: Attempts = %d, want 2", resp.Attempts)
			}
			if got := s.Audit().Requests - before; got != 2 {
				t.Errorf("read: the portal received %d requests, want 2", got)
			}
			st = h.Stats()
			if st.Requests != 2 || st.Retries != 1 {
				t.Errorf("read: Stats.Requests = %d, Retries = %d; want 2, 1", st.Requests, st.Retries)
			}
		})
	}
}

// TestHTTP1DroppedKeepAliveNotReplayed: over HTTP/1.1, the portal reads a
// REST v3 write (it carries an Idempotency-Key) on a kept-alive connection
// and closes the connection without an answer. The resend is the SDK's own
// retry, counted in Stats: the portal receives as many requests as Stats
// counts. Before req.GetBody was cleared, net/http replayed the request
// itself (3 requests at the portal, 2 in Stats, no retry counted).
func TestHTTP1DroppedKeepAliveNotReplayed(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	requests, adds := 0, 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		requests++
		drop := strings.HasSuffix(r.URL.Path, "/tasks.task.add") && adds == 0
		if strings.HasSuffix(r.URL.Path, "/tasks.task.add") {
			adds++
		}
		mu.Unlock()
		if drop {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"result":{"item":{"id":7}}}`)
	}))
	defer srv.Close()
	h, err := b24.FromWebhookURL(srv.URL+"/rest/1/s3cr3tK3y/", b24.WithHTTPClient(srv.Client()), b24.WithTimeout(5*time.Second),
		b24.WithRestrictionParams(b24.RestrictionParams{Retry: b24.RetryPolicy{MaxAttempts: 3,
			BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// The first call leaves a kept-alive connection that the write reuses.
	if _, err := h.V3().Call(ctx, "tasks.task.get", map[string]any{"id": 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.V3().Call(ctx, "tasks.task.add", map[string]any{"fields": map[string]any{"title": "x"}}); err != nil {
		t.Fatalf("write: %v", err)
	}
	st := h.Stats()
	mu.Lock()
	defer mu.Unlock()
	if int64(requests) != st.Requests || st.Retries != 1 || adds != 2 {
		t.Errorf("portal received %d requests (%d adds); Stats.Requests = %d, Retries = %d; want 3 (2 adds), 3, 1",
			requests, adds, st.Requests, st.Retries)
	}
}

// TestHTTP2RedirectNotFollowed: a redirect over HTTP/2 is an error after
// one request, as over HTTP/1.1 (the secret is in the path).
func TestHTTP2RedirectNotFollowed(t *testing.T) {
	t.Parallel()
	s := b24test.NewServer(t, b24test.WithHTTP2(), b24test.WithoutLimits(), b24test.WithLatency(b24test.Latency{}))
	h := s.Hook()
	s.FailNext("crm.deal.add", 1, b24test.FaultMoved)
	_, err := h.Call(t.Context(), "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "x"}})
	var re *b24.RedirectError
	if !errors.As(err, &re) || errors.Is(err, b24.ErrAmbiguous) {
		t.Fatalf("err = %v, want a *RedirectError", err)
	}
	if a, st := s.Audit(), h.Stats(); a.Requests != 1 || st.Requests != 1 {
		t.Errorf("the portal received %d requests, Stats counts %d; want 1, 1", a.Requests, st.Requests)
	}
}
