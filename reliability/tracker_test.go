package reliability

import (
	"testing"

	"github.com/b24go/b24/b24test"
)

// tracker follows the fake portal's request log across snapshots, which
// keep only the last 10,000 requests: poll it at least that often.
type tracker struct {
	seen     int
	faults   map[string]map[string]int // method -> fault -> count
	replayed map[string]int            // method -> replayed answers
}

func newTracker() *tracker {
	return &tracker{faults: map[string]map[string]int{}, replayed: map[string]int{}}
}

func (tr *tracker) poll(t testing.TB, a b24test.Audit) {
	t.Helper()
	fresh := a.Requests - tr.seen
	if fresh > len(a.Log) {
		t.Fatalf("the audit log lost %d requests between two polls: poll more often", fresh-len(a.Log))
	}
	for _, r := range a.Log[len(a.Log)-fresh:] {
		if r.Fault != "" {
			m := tr.faults[r.Method]
			if m == nil {
				m = map[string]int{}
				tr.faults[r.Method] = m
			}
			m[r.Fault]++
		}
		if r.Replayed {
			tr.replayed[r.Method]++
		}
	}
	tr.seen = a.Requests
}

// of returns the fault counts of method ("" adds up every method).
func (tr *tracker) of(method string) map[string]int {
	if method != "" {
		if tr.faults[method] == nil {
			return map[string]int{}
		}
		return tr.faults[method]
	}
	all := map[string]int{}
	for _, m := range tr.faults {
		for k, v := range m {
			all[k] += v
		}
	}
	return all
}
