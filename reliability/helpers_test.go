package reliability

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// afterExecution lists the faults that strike after the method ran.
var afterExecution = []string{"internal", "reset", "truncated", "slow"}

// sum adds the counts of names.
func sum(m map[string]int, names ...string) int {
	n := 0
	for _, k := range names {
		n += m[k]
	}
	return n
}

// total adds every count.
func total[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// overTLS serves srv's handler from an httptest TLS server on 127.0.0.1, so
// that resets and truncated bodies are real TCP events, and returns a hook
// for it (the fake's limits, time scale applied) and a wait that returns
// once every request has been answered and recorded in the audit (a slow
// answer is recorded only after the client gave up on it).
func overTLS(t *testing.T, srv *b24test.Server, opts ...b24.Option) (*b24.Hook, func()) {
	t.Helper()
	var inflight sync.WaitGroup
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inflight.Add(1)
		defer inflight.Done()
		srv.ServeHTTP(w, r)
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	u := strings.Replace(srv.WebhookURL(), srv.URL(), ts.URL, 1)
	opts = append([]b24.Option{b24.WithHTTPClient(ts.Client()), b24.WithRestrictionParams(srv.RestrictionParams()),
		b24.WithTimeout(time.Duration(float64(b24.DefaultTimeout) / srv.TimeScale()))}, opts...)
	h, err := b24.FromWebhookURL(u, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, inflight.Wait
}
