package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/reltest"
)

// endless is a response body: an envelope that opens a string and then
// sends filler for size bytes (size < 0: forever). It counts what it served.
type endless struct {
	size   int64
	served atomic.Int64
	head   string
}

func (e *endless) Read(p []byte) (int, error) {
	off := e.served.Load()
	if e.size >= 0 && off >= e.size {
		return 0, io.EOF
	}
	n := len(p)
	if e.size >= 0 {
		n = int(min(int64(n), e.size-off))
	}
	for i := range n {
		if o := off + int64(i); o < int64(len(e.head)) {
			p[i] = e.head[o]
		} else {
			p[i] = 'a'
		}
	}
	e.served.Add(int64(n))
	return n, nil
}

// bodyTransport answers every request with 200 and a body from mk.
type bodyTransport func(*http.Request) io.Reader

func (f bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, ContentLength: -1,
		Body: io.NopCloser(f(r)), Request: r}, nil
}

// measure runs f and returns the bytes allocated during it.
func measure(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// TestResponseCutAtMaximum answers with 200 MB, and with a body that never
// ends, and checks that the call stops reading at the configured maximum
// (the default 64 MiB, and 4 MiB) with an error that says so, is not
// retried, and allocates a bounded amount (at most 2.25 times the maximum;
// reading the whole body would take 200 MB).
func TestResponseCutAtMaximum(t *testing.T) {
	const body200MB = 200 << 20
	for _, tc := range []struct {
		name string
		max  int64 // 0: default
		size int64 // -1: never ends
	}{
		{"200MB default maximum", 0, body200MB},
		{"200MB 4MiB maximum", 4 << 20, body200MB},
		{"endless 4MiB maximum", 4 << 20, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			var bodies []*endless
			opts := []b24.Option{b24.WithHTTPClient(&http.Client{Transport: bodyTransport(func(*http.Request) io.Reader {
				e := &endless{size: tc.size, head: `{"result":"`}
				bodies = append(bodies, e)
				return e
			})})}
			if max > 0 {
				opts = append(opts, b24.WithMaxResponseSize(max))
			} else {
				max = b24.DefaultMaxResponseSize
			}
			h, err := b24.FromWebhookURL("https://portal.example.com/rest/1/"+reltest.Secret+"/", opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			var callErr error
			alloc := measure(func() { _, callErr = h.Call(t.Context(), "crm.deal.list", nil) })
			if !errors.Is(callErr, b24.ErrResponseTooLarge) {
				t.Fatalf("error = %v, want ErrResponseTooLarge", callErr)
			}
			var re *b24.ResponseError
			if !errors.As(callErr, &re) || !strings.Contains(callErr.Error(), "too large") ||
				!strings.Contains(callErr.Error(), fmt.Sprint(max)) {
				t.Errorf("the error does not say the body was over the maximum of %d bytes: %v", max, callErr)
			}
			if len(bodies) != 1 {
				t.Errorf("%d requests: a body over the maximum must not be asked for again", len(bodies))
			}
			if served := bodies[0].served.Load(); served > max+1 {
				t.Errorf("read %d bytes, maximum %d", served, max)
			}
			if alloc > uint64(2*max+max/4) {
				t.Errorf("allocated %d MiB for a maximum of %d MiB", alloc>>20, max>>20)
			}
			reltest.Figures(t, "big-response", map[string]any{"case": strings.ReplaceAll(tc.name, " ", "_"), "max": max,
				"read": bodies[0].served.Load(), "allocated": alloc})
		})
	}
}

// TestResponseCutOverTCP streams a body without end from a real server on
// 127.0.0.1: the client stops at its maximum and hangs up, and the server's
// writes then fail, so neither side runs on.
func TestResponseCutOverTCP(t *testing.T) {
	t.Parallel()
	var written atomic.Int64
	handlerDone := make(chan struct{})
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"result":"`)
		chunk := []byte(strings.Repeat("a", 64<<10))
		for written.Load() < 1<<30 { // bounded: 1 GiB
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer ts.Close()
	const max = 2 << 20
	h, err := b24.FromWebhookURL(ts.URL+"/rest/1/"+reltest.Secret+"/", b24.WithHTTPClient(ts.Client()), b24.WithMaxResponseSize(max))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Call(t.Context(), "crm.deal.list", nil)
	if !errors.Is(err, b24.ErrResponseTooLarge) {
		t.Fatalf("error = %v, want ErrResponseTooLarge", err)
	}
	<-handlerDone
	if w := written.Load(); w >= 1<<30 {
		t.Errorf("the server wrote %d bytes: the client did not hang up", w)
	}
}

// TestResponseStalls answers with headers and then a body that never sends
// another byte: each attempt ends at the hook's timeout, the call at its
// retries, in fake time.
func TestResponseStalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var requests atomic.Int64
		h, err := b24.FromWebhookURL("https://portal.example.com/rest/1/"+reltest.Secret+"/",
			b24.WithTimeout(5*time.Second),
			b24.WithHTTPClient(&http.Client{Transport: bodyTransport(func(r *http.Request) io.Reader {
				requests.Add(1)
				return io.MultiReader(strings.NewReader(`{"result":[`), stall{r.Context()})
			})}))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		start := time.Now()
		_, err = h.Call(t.Context(), "crm.deal.list", nil)
		var te *b24.TransportError
		if !errors.As(err, &te) || !te.Timeout {
			t.Fatalf("error = %v, want a timeout", err)
		}
		if n := requests.Load(); n != int64(h.RestrictionParams().Retry.MaxAttempts) {
			t.Errorf("%d attempts", n)
		}
		if d := time.Since(start); d > time.Minute {
			t.Errorf("the call took %v", d)
		}
	})
}

// stall is a body that blocks until its request's context ends.
type stall struct{ ctx context.Context }

func (s stall) Read([]byte) (int, error) {
	<-s.ctx.Done()
	return 0, s.ctx.Err()
}
