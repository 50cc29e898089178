package reliability

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// The suite's knobs (RELIABILITY.md): B24REL_SEEDS="1,2,3" replaces the
// default seeds, B24REL_SCALE=10 multiplies every record count,
// B24REL_RUNS=20 sets the number of seeded kill -9 runs.

// defaultSeed is the seed of a run without B24REL_SEEDS.
const defaultSeed = 20260417

// seeds returns the fault seeds to run, each printed in the test log so
// that a failure replays with B24REL_SEEDS=<seed>.
func seeds(t testing.TB) []uint64 {
	t.Helper()
	v := os.Getenv("B24REL_SEEDS")
	if v == "" {
		return []uint64{defaultSeed}
	}
	var out []uint64
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			t.Fatalf("B24REL_SEEDS: %q is not a seed", f)
		}
		out = append(out, n)
	}
	return out
}

// scaled multiplies a record count by B24REL_SCALE (default 1).
func scaled(t testing.TB, n int) int {
	t.Helper()
	v := os.Getenv("B24REL_SCALE")
	if v == "" {
		return n
	}
	k, err := strconv.ParseFloat(v, 64)
	if err != nil || k <= 0 {
		t.Fatalf("B24REL_SCALE: %q is not a positive number", v)
	}
	return max(1, int(float64(n)*k))
}

// envInt reads a positive integer variable, def when unset.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s: %q is not a positive integer", name, v)
	}
	return n
}

// faultRate is the share of requests that fail in the soak.
const faultRate = 0.05

// soakFaults spreads 5 % of requests over the mixed faults: 503
// before execution, HTML 502, reset after execution, truncated body after
// execution, an answer slower than the client's timeout, and with
// internal, 500 after execution.
func soakFaults(seed uint64, internal bool) b24test.FaultRates {
	kinds := []b24test.Fault{b24test.FaultUnavailable, b24test.FaultBadGateway, b24test.FaultReset,
		b24test.FaultTruncated, b24test.FaultSlow}
	if internal {
		kinds = append(kinds, b24test.FaultInternal)
	}
	r := map[b24test.Fault]float64{}
	for _, k := range kinds {
		r[k] = faultRate / float64(len(kinds))
	}
	return b24test.FaultRates{Seed: seed, Rates: r}
}

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

// figures logs a run's measured figures on one line, "figures: k=v ...",
// sorted by key: RELIABILITY.md quotes them from a -v run.
func figures(t testing.TB, scenario string, kv map[string]any) {
	t.Helper()
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "figures: %s", scenario)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, kv[k])
	}
	t.Log(b.String())
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

// testSecret is the webhook secret of the suite's hooks: long and unusual
// enough that finding it anywhere is a leak.
const testSecret = "Rel1abSecretQ7xZ9kWm"
