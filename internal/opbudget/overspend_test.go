package opbudget

import (
	"testing"
	"time"
)

// TestNeverOverspend: many callers in flight together, costs that do not
// divide L, answers that finish together: the portal's stored time plus
// the calls in flight never passes L at any admit.
func TestNeverOverspend(t *testing.T) {
	cases := []simCase{
		{name: "12 in flight, 2.002 s", costs: repeat(2002*time.Millisecond, 150), concurrency: 12, strict: true},
		{name: "12 in flight, 2.002 s, reversed", costs: repeat(2002*time.Millisecond, 150), concurrency: 12, strict: true, reverse: true},
		{name: "12 in flight, log-normal", costs: logNormal(150, 2*sec, 0.3), concurrency: 12, strict: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, refused := simulate(t, c); refused > 0 {
				t.Errorf("%d calls refused", refused)
			}
		})
	}
}

// TestTruncatedResetFreesNoSooner: operating_reset_at comes truncated to the
// second; with slots of 0.6 s (a window of 6 s) the truncated reset names a
// slot older than the portal's oldest. Others' spend moved there would free
// before the portal frees it; dated by the latest the reset can be, it
// frees with the portal's oldest slot.
func TestTruncatedResetFreesNoSooner(t *testing.T) {
	for _, c := range []struct {
		name   string
		slack  time.Duration
		expiry float64 // of others' spend after the answer
	}{
		{name: "truncated reset, slack 1 s", slack: time.Second, expiry: 14.4}, // the portal's oldest slot: [8.4, 9.0)
		{name: "exact reset", expiry: 13.8},                                    // taken as exact: [7.8, 8.4)
	} {
		t.Run(c.name, func(t *testing.T) {
			l := New(Params{Limit: 4800 * time.Millisecond, Window: 6 * sec, Floor: time.Millisecond})
			for range 3 {
				l.cost.learn(200 * time.Millisecond)
			}
			l.cost.dev = 0
			l.own = []entry{{slot: l.Slot(at(9.1)), finish: at(9.3), cost: 200 * time.Millisecond}}
			l.others = []entry{{slot: l.Slot(at(12)), finish: at(12), cost: 200 * time.Millisecond}}
			// The portal's oldest slot's first call was at 8.84: its reset 14.84, sent as 14.
			l.Observe(Answer{Start: at(12.5), Finish: at(12.7), Operating: 600 * time.Millisecond, ResetAt: at(14), ResetSlack: c.slack})
			if len(l.others) != 1 || !l.Expiry(l.others[0].slot).Equal(at(c.expiry)) {
				t.Fatalf("others %+v, want one entry expiring at %v", l.others, c.expiry)
			}
		})
	}
	if ResetSlackOf(at(14)) != time.Second || ResetSlackOf(at(14.5)) != 0 || ResetSlackOf(time.Time{}) != 0 {
		t.Fatal("ResetSlackOf: want 1 s for a whole second, else 0")
	}
}

// TestAnswerTimes: a request is dated at the latest its start can be, its
// finish (a request may reach the portal well after it was sent), and an
// answer without a usable finish at the bounds of the clock.
func TestAnswerTimes(t *testing.T) {
	var c Clock
	c.Observe(at(100), at(100.3), at(100.2)) // offset within [-0.1 s, 0.2 s]
	if f, s := c.AnswerTimes(at(200.2), at(200.3)); !f.Equal(at(200.2)) || !s.Equal(at(200.2)) {
		t.Errorf("finish %v start %v, want both the finish", f, s)
	}
	for _, fin := range []time.Time{{}, at(201)} { // absent; later than the answer came
		if f, s := c.AnswerTimes(fin, at(200.3)); !f.Equal(at(200.2)) || !s.Equal(at(200.5)) {
			t.Errorf("finish %v: got %v, %v; want the clock's bounds at receipt", fin, f, s)
		}
	}
}
