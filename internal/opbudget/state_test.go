package opbudget

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestStateRoundTrip: a ledger written out as State (through JSON, as
// redislimit stores it) and restored admits, waits and learns exactly as the
// original: the same admission, the same time it fits, the same cost from
// the next answer.
func TestStateRoundTrip(t *testing.T) {
	l := New(testParams)
	for i := range 6 {
		tk, ok, _ := l.Admit(at(float64(i)))
		if !ok {
			t.Fatalf("request %d not admitted", i)
		}
		l.Settle(tk)
		l.Observe(Answer{Start: at(float64(i)), Finish: at(float64(i) + 0.5), Operating: time.Duration(i+1) * 7 * sec, MaxCost: 5 * sec})
	}
	l.Observe(Answer{Start: at(6), Finish: at(6.5), Operating: 50 * sec}) // others' spend too
	raw, err := json.Marshal(l.State(at(7)))
	if err != nil {
		t.Fatal(err)
	}
	var s State
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	r := Restore(testParams, s)
	if got, want := r.State(at(7)).Own, l.State(at(7)).Own; !reflect.DeepEqual(got, want) || want[0].Early == 0 {
		t.Fatalf("own entries restored %+v, want %+v (with their earliest slots)", got, want)
	}
	for _, now := range []float64{7, 30, 61, 70} {
		_, ok1, at1 := l.Admit(at(now))
		_, ok2, at2 := r.Admit(at(now))
		if ok1 != ok2 || !at1.Equal(at2) {
			t.Fatalf("at %v: original (%v, %v), restored (%v, %v)", now, ok1, at1, ok2, at2)
		}
	}
	a := Answer{Start: at(70), Finish: at(70.5), Operating: 30 * sec}
	if c1, c2 := l.Observe(a), r.Observe(a); c1 != c2 || l.Recorded(at(71)) != r.Recorded(at(71)) {
		t.Fatalf("after the same answer: cost %v vs %v, recorded %v vs %v", c1, c2, l.Recorded(at(71)), r.Recorded(at(71)))
	}
}

// TestRestoreClamps: figures out of range in a stored state (a faulty
// writer) are clamped: negative counts and costs read as 0, costs above the
// limit as the limit.
func TestRestoreClamps(t *testing.T) {
	r := Restore(testParams, State{CostMean: -5, CostDev: int64(1000 * sec), CostN: -3, Flying: -1, InFlight: -sec,
		Own: []Entry{{Slot: 0, Cost: int64(1000 * sec)}, {Slot: 0, Cost: -7}}})
	if n, d := r.InFlight(); n != 0 || d != 0 {
		t.Fatalf("in flight %d, %v", n, d)
	}
	if got := r.Recorded(at(1)); got != testParams.Limit {
		t.Fatalf("recorded %v, want the limit %v", got, testParams.Limit)
	}
	if r.cost.mean != 0 || r.cost.dev != testParams.Limit || r.cost.n != 0 {
		t.Fatalf("cost %+v", r.cost)
	}
}

// TestCompact: entries of one slot stored before the horizon merge into one
// (the record stays a few entries a slot however many requests it holds),
// later ones stay apart, and what the ledger counts does not change: the
// recorded time, and the cost the next answer (finishing after the
// horizon) shows.
func TestCompact(t *testing.T) {
	build := func() *Ledger {
		l := New(testParams)
		l.cost.learn(sec)
		for i := range 20 {
			s := float64(i) * 0.5 // slots 0 and 1 (6 s each)
			l.Observe(Answer{Start: at(s), Finish: at(s + 0.4), Operating: time.Duration(i+1) * sec})
		}
		return l
	}
	l, c := build(), build()
	c.Compact(at(9)) // the answers finished by 9 s: slot 0's 12 and slot 1's 6
	if len(c.own) != 2+2 {
		t.Fatalf("%d own entries after Compact, want 4 (one per slot before the horizon, two after): %+v", len(c.own), c.own)
	}
	if l.Recorded(at(10)) != c.Recorded(at(10)) {
		t.Fatalf("recorded %v, compacted %v", l.Recorded(at(10)), c.Recorded(at(10)))
	}
	a := Answer{Start: at(10), Finish: at(10.2), Operating: 22 * sec}
	if c1, c2 := l.Observe(a), c.Observe(a); c1 != c2 {
		t.Fatalf("cost learnt %v, after Compact %v", c1, c2)
	}
}
