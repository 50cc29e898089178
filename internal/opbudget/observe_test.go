package opbudget

import (
	"testing"
	"time"
)

func TestObserve(t *testing.T) {
	type want struct {
		cost          time.Duration
		own, others   time.Duration // recorded at the last answer's finish
		otherExpiry   float64       // of the oldest others' entry; 0: none
		ownExpiryLast float64       // of the newest own entry; 0: none
	}
	cases := []struct {
		name    string
		prior   []entry // own, stored before
		others  []entry
		learned int // answers of 5 s learned before
		answer  Answer
		want    want
	}{
		{name: "first answer: the whole figure is the cost",
			answer: Answer{Start: at(1), Finish: at(6), Operating: 5 * sec},
			want:   want{cost: 5 * sec, own: 5 * sec, ownExpiryLast: 60}},
		{name: "stored in the slot of the start, not of the finish",
			answer: Answer{Start: at(5.9), Finish: at(11), Operating: 5 * sec},
			want:   want{cost: 5 * sec, own: 5 * sec, ownExpiryLast: 60}},
		{name: "at or below the floor: learned, not stored",
			answer: Answer{Start: at(1), Finish: at(1.1), Operating: 100 * time.Millisecond},
			want:   want{cost: 100 * time.Millisecond}},
		{name: "own record subtracted", prior: []entry{{slot: 0, finish: at(3), cost: 7 * sec}},
			answer: Answer{Start: at(4), Finish: at(9), Operating: 12 * sec},
			want:   want{cost: 5 * sec, own: 12 * sec, ownExpiryLast: 60}},
		{name: "own entries stored after the figure was taken do not count",
			prior:  []entry{{slot: 0, finish: at(10), cost: 7 * sec}},
			answer: Answer{Start: at(4), Finish: at(9), Operating: 5 * sec},
			want:   want{cost: 5 * sec, own: 12 * sec, ownExpiryLast: 60}},
		{name: "expired own entries do not count", prior: []entry{{slot: 0, finish: at(3), cost: 7 * sec}},
			answer: Answer{Start: at(58), Finish: at(61), Operating: 3 * sec},
			want:   want{cost: 3 * sec, own: 3 * sec, ownExpiryLast: 114}},
		{name: "figure below the record: the oldest slot goes first (the portal let it expire; what is left frees last)",
			prior:  []entry{{slot: 0, finish: at(1), cost: 10 * sec}},
			others: []entry{{slot: 1, finish: at(7), cost: 4 * sec}},
			answer: Answer{Start: at(8), Finish: at(9), Operating: 13 * sec},
			want:   want{cost: 0, own: 9 * sec, others: 4 * sec, otherExpiry: 66}},
		{name: "figure far below: slot by slot, others' spend first within one",
			prior:  []entry{{slot: 0, finish: at(1), cost: 10 * sec}, {slot: 1, finish: at(7), cost: 10 * sec}},
			others: []entry{{slot: 1, finish: at(7), cost: 4 * sec}},
			answer: Answer{Start: at(8), Finish: at(9), Operating: 12 * sec},
			want:   want{cost: 0, own: 10 * sec, others: 2 * sec, otherExpiry: 66, ownExpiryLast: 66}},
		{name: "figure below the record with a cost known: the request's own time is recorded in its slot",
			// The portal stored the second request in slot 0 and let it expire
			// at 60; the ledger dated it in slot 1 (the latest its start could be).
			learned: 3, prior: []entry{{slot: 0, finish: at(1), cost: 10 * sec}, {slot: 1, finish: at(7), cost: 10 * sec}},
			answer: Answer{Start: at(61), Finish: at(62), Operating: 5 * sec},
			want:   want{cost: 5 * sec, own: 5 * sec, ownExpiryLast: 120}},
		{name: "a residual far above the cost is others' spend, until the finish's slot expires",
			learned: 3, answer: Answer{Start: at(20), Finish: at(25), Operating: 30 * sec},
			want: want{cost: 10 * sec, own: 10 * sec, others: 20 * sec, otherExpiry: 84, ownExpiryLast: 78}},
		{name: "a residual above the request's wall time is others' spend",
			answer: Answer{Start: at(1), Finish: at(3), Operating: 40 * sec, MaxCost: 2 * sec},
			want:   want{cost: 2 * sec, own: 2 * sec, others: 38 * sec, otherExpiry: 60, ownExpiryLast: 60}},
		{name: "a reset older than every own slot moves others' spend back to it",
			learned: 3, prior: []entry{{slot: 2, finish: at(13), cost: 5 * sec}},
			others: []entry{{slot: 4, finish: at(25), cost: 8 * sec}},
			answer: Answer{Start: at(26), Finish: at(27), Operating: 18 * sec, ResetAt: at(6.5 + 60)},
			want:   want{cost: 5 * sec, own: 10 * sec, others: 8 * sec, otherExpiry: 66, ownExpiryLast: 84}},
		{name: "a reset at an own slot proves nothing",
			learned: 3, prior: []entry{{slot: 1, finish: at(7), cost: 5 * sec}},
			others: []entry{{slot: 4, finish: at(25), cost: 8 * sec}},
			answer: Answer{Start: at(26), Finish: at(27), Operating: 18 * sec, ResetAt: at(6.5 + 60)},
			want:   want{cost: 5 * sec, own: 10 * sec, others: 8 * sec, otherExpiry: 84, ownExpiryLast: 84}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := New(testParams)
			for range c.learned {
				l.cost.learn(5 * sec)
			}
			l.cost.dev = 0
			l.own = append(l.own, c.prior...)
			l.others = append(l.others, c.others...)
			if got := l.Observe(c.answer); got != c.want.cost {
				t.Errorf("cost %v, want %v", got, c.want.cost)
			}
			now := c.answer.Finish
			if got := l.live(l.own, now, time.Time{}); got != c.want.own {
				t.Errorf("own %v, want %v", got, c.want.own)
			}
			if got := l.live(l.others, now, time.Time{}); got != c.want.others {
				t.Errorf("others %v, want %v", got, c.want.others)
			}
			if c.want.otherExpiry > 0 {
				if len(l.others) == 0 || !l.Expiry(l.others[0].slot).Equal(at(c.want.otherExpiry)) {
					t.Errorf("others %+v, want the oldest to expire at %v", l.others, c.want.otherExpiry)
				}
			}
			if c.want.ownExpiryLast > 0 {
				if len(l.own) == 0 || !l.Expiry(l.own[len(l.own)-1].slot).Equal(at(c.want.ownExpiryLast)) {
					t.Errorf("own %+v, want the newest to expire at %v", l.own, c.want.ownExpiryLast)
				}
			}
		})
	}
}

func TestCostEstimate(t *testing.T) {
	var c costEstimate
	if _, ok := c.reserve(); ok {
		t.Fatal("a cost is known before any answer")
	}
	c.learn(8 * sec)
	if r, _ := c.reserve(); r != 12*sec {
		t.Fatalf("reserve after one answer of 8 s = %v, want 12s (mean + 2 × 2 s)", r)
	}
	for range 40 {
		c.learn(8 * sec)
	}
	if r, _ := c.reserve(); r < 8*sec || r > 8*sec+10*time.Millisecond {
		t.Fatalf("reserve after steady 8 s = %v, want ~8s", r)
	}
	if own, others := c.attribute(20*sec, 1); own+others != 20*sec || others == 0 {
		t.Fatalf("attribute(20 s) at a steady 8 s = %v + %v, want others' share", own, others)
	}
	if own, others := c.attribute(9*sec, 1); own != 9*sec || others != 0 {
		t.Fatalf("attribute(9 s) = %v + %v, want all own", own, others)
	}
	if own, others := c.attribute(20*sec, 3); own != 20*sec || others != 0 {
		t.Fatalf("attribute(20 s) of 3 commands at 8 s each = %v + %v, want all own", own, others)
	}
}

func TestClock(t *testing.T) {
	host := at(1000)
	var c Clock
	if got := c.Now(host); !got.Equal(host) {
		t.Fatalf("unknown clock: Now = %v, want the host's", got)
	}
	off := 30 * sec
	// Two answers: 200 ms and 50 ms round trips, the figure taken mid-way.
	c.Observe(host, host.Add(200*time.Millisecond), host.Add(off+100*time.Millisecond))
	c.Observe(host.Add(sec), host.Add(sec+50*time.Millisecond), host.Add(sec+off+20*time.Millisecond))
	lo, hi, ok := c.Bounds()
	if !ok || lo != off-30*time.Millisecond || hi != off+20*time.Millisecond {
		t.Fatalf("bounds %v..%v, want %v..%v", lo, hi, off-30*time.Millisecond, off+20*time.Millisecond)
	}
	if lo > off || hi < off {
		t.Fatal("the true offset is outside the bounds")
	}
	p := c.Now(host)
	if p.After(host.Add(off)) {
		t.Fatal("Now reads later than the portal's clock")
	}
	if h := c.Host(p); !h.Equal(host) {
		t.Fatalf("Host(Now(t)) = %v, want t", h)
	}
	// The portal's clock jumps an hour: the bounds restart.
	c.Observe(host.Add(2*sec), host.Add(2*sec+10*time.Millisecond), host.Add(2*sec+time.Hour))
	if lo, _, _ = c.Bounds(); lo < time.Hour-10*time.Millisecond {
		t.Fatalf("after a jump lo = %v, want ~1h", lo)
	}
	// Nonsense is ignored.
	c.Observe(host.Add(sec), host, host)
	c.Observe(host, host.Add(sec), time.Time{})
	if lo2, _, _ := c.Bounds(); lo2 != lo {
		t.Fatal("a reversed or empty observation changed the bounds")
	}
}

func TestDetect(t *testing.T) {
	f := func(m string, s float64) Figure { return Figure{Method: m, Operating: time.Duration(s * float64(sec))} }
	cases := []struct {
		name  string
		top   float64
		topOK bool
		subs  []Figure
		want  Mode
	}{
		{"one command tells nothing", 3, true, []Figure{f("crm.deal.list", 3)}, ModeUnknown},
		{"running figures per method", 0, true, []Figure{f("crm.deal.list", 1), f("crm.deal.list", 2)}, ModePerMethod},
		{"different methods, different figures", 0, false, []Figure{f("a", 1), f("b", 7)}, ModePerMethod},
		{"the batch's figure everywhere", 9, true, []Figure{f("a", 9), f("a", 9), f("b", 9)}, ModeBatch},
		{"same figures, no top figure", 0, false, []Figure{f("a", 9), f("a", 9)}, ModeUnknown},
		{"same figures, top differs", 4, true, []Figure{f("a", 9), f("a", 9)}, ModeUnknown},
		{"all zero", 0, true, []Figure{f("a", 0), f("a", 0)}, ModeUnknown},
	}
	for _, c := range cases {
		top := time.Duration(c.top * float64(sec))
		if got := Detect(top, c.topOK, c.subs); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	var d Detector
	if d.Mode(ModeBatch) != ModeBatch {
		t.Fatal("no answer: not the fallback")
	}
	d.Observe(0, false, []Figure{f("a", 1), f("a", 2)})
	d.Observe(9, true, []Figure{f("a", 9), f("a", 9)})
	if d.Mode(ModeBatch) != ModePerMethod {
		t.Fatal("the first answer that told did not stick")
	}
	d.Force(ModeBatch)
	if d.Mode(ModePerMethod) != ModeBatch {
		t.Fatal("a forced mode did not win")
	}
}

// TestProbeAfterLump: a first answer that finds the budget spent by others
// (more than the request lasted) leaves a lump of unknown age: one request
// goes at the portal's reset, or at once without a reset, and its answer
// shows what freed.
func TestProbeAfterLump(t *testing.T) {
	for _, c := range []struct {
		name    string
		reset   float64 // 0: none
		probeAt float64
	}{
		{"at the reset", 65, 65},
		{"no reset: at once", 0, 31},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := New(testParams)
			a := Answer{Start: at(30), Finish: at(31), Operating: 47 * sec, MaxCost: sec}
			if c.reset > 0 {
				a.ResetAt = at(c.reset)
			}
			l.Observe(a)
			if got := l.live(l.others, at(31), time.Time{}); got != 46*sec {
				t.Fatalf("others %v, want 46s", got)
			}
			if c.probeAt > 31 {
				if _, ok, when := l.Admit(at(31)); ok || !when.Equal(at(c.probeAt)) {
					t.Fatalf("before the probe time: ok %v, look again at %v; want %v", ok, when, c.probeAt)
				}
			}
			tk, ok, _ := l.Admit(at(c.probeAt))
			if !ok {
				t.Fatal("no probe at the probe time")
			}
			if _, ok, _ := l.Admit(at(c.probeAt)); ok {
				t.Fatal("a second request went beside the probe")
			}
			l.Settle(tk)
			// The probe's answer: 20 s stored (others' oldest slot freed), its own 1 s.
			l.Observe(Answer{Start: at(c.probeAt), Finish: at(c.probeAt + 1), Operating: 21 * sec, MaxCost: sec})
			if _, ok, _ := l.Admit(at(c.probeAt + 1)); !ok {
				t.Fatal("not admitted after the probe found room")
			}
		})
	}
}

// TestLearnWeighsUnits: a small request (a shard's last, mostly empty
// pages) moves the learned cost per command in proportion to its size, so
// that the reservation of the next full batch stays near its true cost.
func TestLearnWeighsUnits(t *testing.T) {
	var c costEstimate
	c.learnUnits(20*time.Millisecond, 2) // a probe: before any batch, a full weight
	if c.mean != 20*time.Millisecond {
		t.Fatalf("mean %v after the first request, want 20ms", c.mean)
	}
	for range 20 {
		c.learnUnits(70*time.Millisecond, 50)
	}
	c.learnUnits(20*time.Millisecond, 2)
	if c.mean < 69*time.Millisecond {
		t.Fatalf("mean %v after one 2-command request at 20 ms, want ≥ 69ms", c.mean)
	}
	c.learnUnits(20*time.Millisecond, 50)
	if c.mean > 60*time.Millisecond {
		t.Fatalf("mean %v after a full request at 20 ms, want a quarter of the way", c.mean)
	}
}
