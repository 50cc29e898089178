// Package reltest holds what the reliability suites of every module share
// (reliability/, redislimit's and cmd/b24's): the suite's knobs, its
// secret, its fault mix, its figures line and the leak check. It is test
// support: only tests import it.
package reltest

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// The suite's knobs (RELIABILITY.md): B24REL_SEEDS="1,2,3" replaces the
// default seeds, B24REL_SCALE=10 multiplies every record count,
// B24REL_RUNS=20 sets the number of seeded kill -9 runs.

// DefaultSeed is the seed of a run without B24REL_SEEDS.
const DefaultSeed = 20260417

// Secret is the webhook secret of the suite's hooks: long and unusual
// enough that finding it anywhere is a leak.
const Secret = "Rel1abSecretQ7xZ9kWm"

// Seeds returns the fault seeds to run, each printed in the test log so
// that a failure replays with B24REL_SEEDS=<seed>.
func Seeds(t testing.TB) []uint64 {
	t.Helper()
	v := os.Getenv("B24REL_SEEDS")
	if v == "" {
		return []uint64{DefaultSeed}
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

// Scaled multiplies a record count by B24REL_SCALE (default 1).
func Scaled(t testing.TB, n int) int {
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

// EnvInt reads a positive integer variable, def when unset.
func EnvInt(t testing.TB, name string, def int) int {
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

// FaultRate is the share of requests that fail in the soak.
const FaultRate = 0.05

// SoakFaults spreads 5 % of requests over the mixed faults: 503
// before execution, HTML 502, reset after execution, truncated body after
// execution, an answer slower than the client's timeout, and with
// internal, 500 after execution.
func SoakFaults(seed uint64, internal bool) b24test.FaultRates {
	kinds := []b24test.Fault{b24test.FaultUnavailable, b24test.FaultBadGateway, b24test.FaultReset,
		b24test.FaultTruncated, b24test.FaultSlow}
	if internal {
		kinds = append(kinds, b24test.FaultInternal)
	}
	r := map[b24test.Fault]float64{}
	for _, k := range kinds {
		r[k] = FaultRate / float64(len(kinds))
	}
	return b24test.FaultRates{Seed: seed, Rates: r}
}

// CreateFaults spreads 30 % of requests over eight kinds: the seven of the
// update figure (503, HTML 502, reset, truncated, slow, 500, GOAWAY) and
// the late run (the method runs after a client with a short timeout gave
// up): the exactly-once creates' soak.
func CreateFaults(seed uint64) b24test.FaultRates {
	kinds := []b24test.Fault{b24test.FaultUnavailable, b24test.FaultBadGateway, b24test.FaultReset, b24test.FaultTruncated,
		b24test.FaultSlow, b24test.FaultInternal, b24test.FaultGoAway, b24test.FaultLateRun}
	r := map[b24test.Fault]float64{}
	for _, k := range kinds {
		r[k] = 0.30 / float64(len(kinds))
	}
	return b24test.FaultRates{Seed: seed, Rates: r}
}

// Figures logs a run's measured figures on one line, "figures: k=v ...",
// sorted by key: RELIABILITY.md quotes them from a -v run.
func Figures(t testing.TB, scenario string, kv map[string]any) {
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
