package opbudget

import (
	"testing"
	"time"
)

const sec = time.Second

// at is portal time s seconds after the epoch.
func at(s float64) time.Time { return time.Unix(0, int64(s*float64(sec))) }

// testParams: L 48 s, W 60 s (slots of 6 s), floor 0.1 s.
var testParams = Params{Limit: 48 * sec, Window: 60 * sec, Floor: 100 * time.Millisecond}

func TestSlotAndExpiry(t *testing.T) {
	l := New(testParams)
	for _, c := range []struct {
		t      float64
		slot   int64
		expiry float64
	}{
		{0, 0, 60}, {5.999, 0, 60}, {6, 1, 66}, {59.9, 9, 114}, {60, 10, 120},
		{-0.5, -1, 54}, {-6, -1, 54}, {-6.1, -2, 48},
	} {
		if got := l.Slot(at(c.t)); got != c.slot {
			t.Errorf("Slot(%v) = %d, want %d", c.t, got, c.slot)
		}
		if got := l.Expiry(c.slot); !got.Equal(at(c.expiry)) {
			t.Errorf("Expiry(%d) = %v, want %v", c.slot, got, at(c.expiry))
		}
	}
}

// learned returns a ledger that has learned cost c (three answers of c
// each, stored at slot 0 and expired by now).
func learned(c time.Duration) *Ledger {
	l := New(testParams)
	for range 3 {
		l.cost.learn(c)
	}
	return l
}

// TestAdmitUnknownCost: before any request settled, a second request of
// unknown cost waits for the first (together they could pass L before the
// portal reports a figure); once one settled with no figure, requests
// reserve 1 ns: any number goes while the record is below L, none once it
// is at L.
func TestAdmitUnknownCost(t *testing.T) {
	l := New(testParams)
	first, ok, _ := l.Admit(at(0))
	if !ok {
		t.Fatal("the first request waits")
	}
	if _, ok, when := l.Admit(at(0)); ok || !when.IsZero() {
		t.Fatalf("a second request of unknown cost before the first settled: admitted %v, at %v", ok, when)
	}
	l.Settle(first)
	for range 20 {
		if tk, ok, _ := l.Admit(at(0)); !ok || tk.Reserved != 1 {
			t.Fatalf("ok %v, reserved %v; want admitted with 1 ns", ok, tk.Reserved)
		}
	}
	l = New(testParams)
	l.Refused(at(0), at(6)) // the record at L until 6 s
	l.blocked = time.Time{}
	if _, ok, when := l.Admit(at(1)); ok || !when.Equal(at(6)) {
		t.Fatalf("admitted %v (fits at %v) with the record at L", ok, when)
	}
}

// TestAdmitFits: recorded + in flight + cost ≤ L, and the time it fits is
// the expiry of the slots that make room, not earlier or later.
func TestAdmitFits(t *testing.T) {
	cases := []struct {
		name     string
		own      []entry // stored
		flying   int     // requests in flight of the learned cost
		now      float64
		ok       bool
		fitsAt   float64 // when !ok; -1: only a settle makes room
		reserved time.Duration
	}{
		{name: "empty", now: 0, ok: true, reserved: 10 * sec},
		{name: "exactly L", own: []entry{{slot: 0, cost: 38 * sec}}, now: 1, ok: true, reserved: 10 * sec},
		{name: "1 ns over", own: []entry{{slot: 0, cost: 38*sec + 1}}, now: 1, fitsAt: 60},
		{name: "in flight count", own: []entry{{slot: 0, cost: 20 * sec}}, flying: 2, now: 1, fitsAt: 60},
		{name: "the oldest slot frees enough", now: 20,
			own: []entry{{slot: 1, cost: 12 * sec}, {slot: 2, cost: 20 * sec}, {slot: 3, cost: 16 * sec}}, fitsAt: 66},
		{name: "two slots must free", now: 20,
			own: []entry{{slot: 1, cost: 5 * sec}, {slot: 2, cost: 20 * sec}, {slot: 3, cost: 23 * sec}}, fitsAt: 72},
		{name: "slot boundary: expired at its expiry", own: []entry{{slot: 0, cost: 48 * sec}}, now: 60, ok: true, reserved: 10 * sec},
		{name: "just before expiry", own: []entry{{slot: 0, cost: 48 * sec}}, now: 59.999, fitsAt: 60},
		{name: "in flight alone too much", flying: 4, now: 0, fitsAt: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := learned(10 * sec)
			l.cost.dev = 0
			l.own = append(l.own, c.own...)
			for range c.flying {
				l.flying++
				l.inflight += 10 * sec
			}
			tk, ok, when := l.Admit(at(c.now))
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v (fits at %v)", ok, c.ok, when)
			}
			if ok {
				if tk.Reserved != c.reserved {
					t.Errorf("reserved %v, want %v", tk.Reserved, c.reserved)
				}
				return
			}
			if c.fitsAt < 0 {
				if !when.IsZero() {
					t.Errorf("fits at %v, want only after a settle", when)
				}
				return
			}
			if !when.Equal(at(c.fitsAt)) {
				t.Errorf("fits at %v, want %v", when.Sub(at(0)), at(c.fitsAt).Sub(at(0)))
			}
		})
	}
}

func TestSettleGivesBack(t *testing.T) {
	l := learned(10 * sec)
	l.cost.dev = 0
	var ts []Ticket
	for range 4 {
		tk, ok, _ := l.Admit(at(0))
		if !ok {
			t.Fatal("not admitted")
		}
		ts = append(ts, tk)
	}
	if _, ok, _ := l.Admit(at(0)); ok {
		t.Fatal("a fifth request of 10 s was admitted with 40 s in flight and L 48 s")
	}
	l.Settle(ts[0])
	if n, d := l.InFlight(); n != 3 || d != 30*sec {
		t.Fatalf("in flight %d, %v; want 3, 30s", n, d)
	}
	if _, ok, _ := l.Admit(at(0)); !ok {
		t.Fatal("not admitted after a settle")
	}
}

func TestRefused(t *testing.T) {
	for _, c := range []struct {
		name       string
		now, until float64
		blocked    float64
	}{
		{"reset ahead", 10, 30, 30},
		{"no reset: next slot boundary", 10, 0, 12},
		{"reset passed: next slot boundary", 13, 12, 18},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := learned(sec)
			var until time.Time
			if c.until > 0 {
				until = at(c.until)
			}
			l.Refused(at(c.now), until)
			if !l.Blocked().Equal(at(c.blocked)) {
				t.Fatalf("blocked until %v, want %v", l.Blocked().Sub(at(0)), c.blocked)
			}
			if _, ok, when := l.Admit(at(c.blocked - 0.001)); ok || !when.Equal(at(c.blocked)) {
				t.Fatalf("admitted %v (at %v) before the block ends", ok, when)
			}
			if got := l.Recorded(at(c.blocked - 0.001)); got != testParams.Limit {
				t.Fatalf("recorded %v during the block, want the limit", got)
			}
			if _, ok, _ := l.Admit(at(c.blocked)); !ok {
				t.Fatal("not admitted when the block ended")
			}
		})
	}
}

func TestAdmitCostAboveLimit(t *testing.T) {
	l := learned(60 * sec) // above L = 48 s
	tk, ok, _ := l.Admit(at(0))
	if !ok || tk.Reserved != testParams.Limit {
		t.Fatalf("ok %v, reserved %v; want one request reserving L", ok, tk.Reserved)
	}
	if _, ok, when := l.Admit(at(0)); ok || !when.IsZero() {
		t.Fatalf("a second request went beside it (ok %v, at %v)", ok, when)
	}
}

// TestAdmitUnits: costs are learned per command, so after a probe of 2
// commands a batch of 50 reserves 25 times the probe's cost (a request's
// cost would reserve the probe's, and 8 such batches in flight could pass L
// unseen); Fit tells how many commands fit in what is left.
func TestAdmitUnits(t *testing.T) {
	l := New(testParams)
	tk, ok, _ := l.AdmitUnits(at(0), 2)
	if !ok {
		t.Fatal("the probe was not admitted")
	}
	l.Settle(tk)
	l.Observe(Answer{Start: at(0), Finish: at(0.2), Operating: 200 * time.Millisecond, Units: 2})
	if c, _ := l.Cost(); c != 100*time.Millisecond {
		t.Fatalf("cost per command %v, want 100ms", c)
	}
	big, ok, _ := l.AdmitUnits(at(0.2), 50)
	if want := 50 * (100*time.Millisecond + 2*25*time.Millisecond); !ok || big.Reserved != want || big.Units != 50 {
		t.Fatalf("a batch of 50: ok %v, reserved %v (units %d); want %v", ok, big.Reserved, big.Units, want)
	}
	// L 48 s less 0.2 s recorded less 7.5 s in flight leaves 40.3 s: 268 commands of 150 ms.
	for _, c := range []struct{ want, fit int }{{50, 50}, {300, 268}} {
		if got := l.Fit(at(0.2), c.want); got != c.fit {
			t.Errorf("Fit(%d) = %d, want %d", c.want, got, c.fit)
		}
	}
	for range 5 {
		if _, ok, _ := l.AdmitUnits(at(0.2), 50); !ok {
			t.Fatal("not admitted")
		}
	}
	// 45 s in flight: 2.8 s left, 18 commands.
	if got := l.Fit(at(0.2), 50); got != 18 {
		t.Fatalf("Fit(50) with 2.8 s left = %d, want 18", got)
	}
	if _, ok, _ := l.AdmitUnits(at(0.2), 50); ok {
		t.Fatal("a batch of 50 was admitted with 2.8 s left")
	}
	if _, ok, _ := l.AdmitUnits(at(0.2), 18); !ok {
		t.Fatal("the 18 commands Fit found room for were not admitted")
	}
	if got := l.Fit(at(0.2), 50); got != 0 {
		t.Fatalf("Fit(50) on a full budget = %d, want 0", got)
	}
	if got := New(testParams).Fit(at(0), 50); got != 50 {
		t.Fatalf("Fit(50) of an unknown cost = %d, want 50", got)
	}
}
