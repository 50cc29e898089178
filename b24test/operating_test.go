package b24test

import (
	"math"
	"testing"
	"testing/synctest"
	"time"
)

// TestOperatingSlots runs the slot arithmetic of protocol §4.2 on the
// budget itself: limit 10 s per 100 s (slots of 10 s), floor 0.1 s.
func TestOperatingSlots(t *testing.T) {
	type step struct {
		at      time.Duration   // the request's start, since t0 (a slot start)
		took    time.Duration   // it ends (and is stored) at at+took
		calls   []time.Duration // its calls of the one method
		blocked bool            // the check before its first call
		stored  time.Duration   // the stored sum once it ended
	}
	s := time.Second
	ms := time.Millisecond
	tests := []struct {
		name  string
		ban   time.Duration
		steps []step
	}{
		{"floor: 0.1 s is not stored, above is", 0, []step{
			{at: 0, calls: []time.Duration{100 * ms}, stored: 0},
			{at: s, calls: []time.Duration{101 * ms}, stored: 101 * ms},
		}},
		{"floor applies to the request's sum", 0, []step{
			{at: 0, calls: []time.Duration{60 * ms, 60 * ms}, stored: 120 * ms},
			{at: s, calls: []time.Duration{60 * ms}, stored: 120 * ms},
		}},
		{"stored in the slot of the start, counted until 10 slots behind", 0, []step{
			{at: 10*s - ms, took: 2 * s, calls: []time.Duration{s}, stored: s},
			{at: 100*s - ms, stored: s},
			{at: 100 * s, stored: 0},
		}},
		{"a slot starting at its boundary lives 10 slots", 0, []step{
			{at: 10 * s, calls: []time.Duration{s}, stored: s},
			{at: 20 * s, calls: []time.Duration{2 * s}, stored: 3 * s},
			{at: 110*s - ms, stored: 3 * s},
			{at: 110 * s, stored: 2 * s},
			{at: 120 * s, stored: 0},
		}},
		{"the crossing request runs, the next is refused", 0, []step{
			{at: 0, calls: []time.Duration{9 * s}, stored: 9 * s},
			{at: s, calls: []time.Duration{s}, stored: 10 * s}, // at the limit, not above
			{at: 2 * s, calls: []time.Duration{2 * s}, stored: 12 * s},
			{at: 3 * s, blocked: true, stored: 12 * s},
			{at: 100*s - ms, blocked: true, stored: 12 * s},
			{at: 100 * s, stored: 0},
		}},
		{"a ban clears the slots and ends after its time", 30 * s, []step{
			{at: 0, calls: []time.Duration{6 * s}, stored: 6 * s},
			{at: s, calls: []time.Duration{6 * s}, stored: 0},
			{at: 2 * s, blocked: true, stored: 0},
			{at: 31*s - ms, blocked: true, stored: 0},
			{at: 31 * s, calls: []time.Duration{s}, stored: s},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				o := newOperating(Limits{OperatingLimit: 10 * s, OperatingWindow: 100 * s, OperatingFloor: 100 * ms, OperatingBan: tt.ban})
				k := opKey{"apauth:1", "m"}
				width := int64(10 * s)
				t0 := time.Unix(0, (time.Now().UnixNano()/width+1)*width) // a slot boundary
				for i, st := range tt.steps {
					time.Sleep(time.Until(t0.Add(st.at)))
					if got := o.blocked(k, time.Now()); got != st.blocked {
						t.Fatalf("step %d: blocked %v, want %v", i, got, st.blocked)
					}
					q := o.begin(time.Now())
					for _, c := range st.calls {
						q.add(k, c)
					}
					time.Sleep(st.took)
					q.commit(time.Now())
					o.mu.Lock()
					got := o.live(k, time.Now()).sum()
					o.mu.Unlock()
					if got != st.stored {
						t.Fatalf("step %d: stored %v, want %v", i, got, st.stored)
					}
				}
			})
		})
	}
}

// TestOperatingSlotAlive checks the two rules that end a slot: its number
// falls 10 behind, or the first call that wrote it is W old.
func TestOperatingSlotAlive(t *testing.T) {
	o := newOperating(Limits{OperatingLimit: time.Second, OperatingWindow: 100 * time.Second, OperatingFloor: time.Millisecond})
	base := time.Unix(1_000_000, 0) // start of slot 100000
	tests := []struct {
		name  string
		first time.Time
		now   time.Time
		want  bool
	}{
		{"same slot", base, base.Add(time.Second), true},
		{"9 slots behind", base.Add(9 * time.Second), base.Add(99 * time.Second), true},
		{"10 slots behind", base.Add(9 * time.Second), base.Add(100 * time.Second), false},
		{"W old before 10 behind", base.Add(-time.Second), base.Add(99 * time.Second), false},
		{"just under W old", base.Add(-time.Second), base.Add(99*time.Second - 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := opSlot{idx: o.slotOf(base), first: tt.first, sum: time.Second}
			if got := o.alive(s, tt.now); got != tt.want {
				t.Errorf("alive = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBatchWeightAndBan bills batches under "batch" at a weight, and bans a
// key that crossed the limit (K = 1; test.heavy costs 1 s).
func TestBatchWeightAndBan(t *testing.T) {
	lat := WithLatency(Latency{RowCounted: time.Microsecond})
	t.Run("weight 0.5", func(t *testing.T) {
		bubble(t, func(t *testing.T, s *Server) {
			r := v2(t, s, "batch", `{"cmd":{"a":"test.heavy","b":"test.heavy"}}`)
			for _, p := range [][]string{{"time"}, {"result", "result_time", "a"}, {"result", "result_time", "b"}} {
				if op := num(t, path(r.body, append(p, "operating")...)); !approx(op, 1) {
					t.Errorf("%v: operating %v, want 1 (2 s at 0.5)", p, op)
				}
			}
			r = v3(t, s, "batch", `[{"method":"test.heavy"}]`)
			if op := num(t, path(r.body, "time", "operating")); !approx(op, 1.5) {
				t.Errorf("v3 batch: operating %v, want 1.5", op)
			}
		}, lat, WithLimits(Limits{BatchWeight: 0.5}))
	})
	t.Run("weight ignored per command", func(t *testing.T) {
		bubble(t, func(t *testing.T, s *Server) {
			r := v2(t, s, "batch", `{"cmd":{"a":"test.heavy","b":"test.heavy"}}`)
			if op := num(t, path(r.body, "result", "result_time", "b", "operating")); !approx(op, 2) {
				t.Errorf("operating %v, want 2", op)
			}
		}, lat, WithLimits(Limits{BatchWeight: 0.5, BatchPerCommand: true}))
	})
	t.Run("ban", func(t *testing.T) {
		bubble(t, func(t *testing.T, s *Server) {
			for i := 1; i <= 2; i++ { // the second crosses 1.5 s and runs
				if r := v2(t, s, "test.heavy", ""); r.status != 200 {
					t.Fatalf("call %d: %d %s", i, r.status, r.raw)
				}
			}
			t0 := time.Now()
			if r := v2(t, s, "test.heavy", ""); r.status != 429 || r.errCode() != "OPERATION_TIME_LIMIT" {
				t.Fatalf("banned call: %d %s", r.status, r.raw)
			}
			time.Sleep(t0.Add(30*time.Second - time.Millisecond).Sub(time.Now()))
			if r := v2(t, s, "test.heavy", ""); r.status != 429 {
				t.Fatalf("before the ban ended: %d", r.status)
			}
			time.Sleep(time.Millisecond)
			r := v2(t, s, "test.heavy", "")
			if r.status != 200 {
				t.Fatalf("after the ban: %d %s", r.status, r.raw)
			}
			// The ban cleared the slots: only this call is stored.
			if op := num(t, path(r.body, "time", "operating")); !approx(op, 1) {
				t.Errorf("after the ban: operating %v, want 1", op)
			}
		}, lat, WithLimits(Limits{OperatingLimit: 1500 * time.Millisecond, OperatingBan: 30 * time.Second}))
	})
}

// TestOperatingResetAt: operating_reset_at is the oldest live slot's first
// call plus W; with no live slot, the request's start plus W; during a ban,
// the ban's end (limit 10 s per 100 s, slots of 10 s).
func TestOperatingResetAt(t *testing.T) {
	s := time.Second
	type req struct{ at, cost time.Duration }
	tests := []struct {
		name  string
		ban   time.Duration
		prior []req
		at    time.Duration // the request whose figure is read
		want  time.Duration // reset, since t0
	}{
		{"nothing stored: start + W", 0, nil, 5 * s, 105 * s},
		{"below the floor stores nothing", 0, []req{{0, 50 * time.Millisecond}}, 5 * s, 105 * s},
		{"the oldest slot's first call", 0, []req{{3 * s, s}, {15 * s, s}}, 20 * s, 103 * s},
		{"a later call in the same slot keeps its first", 0, []req{{3 * s, s}, {7 * s, s}}, 20 * s, 103 * s},
		{"a dead slot does not count", 0, []req{{3 * s, s}, {15 * s, s}}, 100 * s, 115 * s},
		{"during a ban: its end", 30 * s, []req{{0, 11 * s}}, 12 * s, 30 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				o := newOperating(Limits{OperatingLimit: 10 * s, OperatingWindow: 100 * s, OperatingFloor: 100 * time.Millisecond, OperatingBan: tt.ban})
				k := opKey{"apauth:1", "m"}
				t0 := time.Unix(0, (time.Now().UnixNano()/int64(10*s)+1)*int64(10*s))
				for _, p := range tt.prior {
					time.Sleep(time.Until(t0.Add(p.at)))
					q := o.begin(time.Now())
					q.add(k, p.cost)
					q.commit(time.Now())
				}
				time.Sleep(time.Until(t0.Add(tt.at)))
				_, reset := o.begin(time.Now()).figure(k, time.Now())
				if got := reset.Sub(t0); got != tt.want {
					t.Fatalf("reset at t0+%v, want t0+%v", got, tt.want)
				}
			})
		})
	}
}

// TestOperatingPortalClock: with the portal's clock off the host's, slots
// are numbered in the portal's clock, and the time block reports it. The
// portal runs 30 s ahead; a batch of test.heavy costs 20 s at the start of
// a host minute, i.e. mid-way through a portal slot of 60 s: its slot stops
// counting 570 s later on the host (600 s in the portal's numbering),
// while operating_reset_at says its first call + W (630 s).
func TestOperatingPortalClock(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		t0 := time.Now() // 2000-01-01 00:00:00 UTC: a slot boundary on the host
		r := v2(t, s, "batch", `{"cmd":["test.heavy"]}`)
		if fin := num(t, path(r.body, "time", "finish")); math.Abs(fin-float64(t0.Add(50*time.Second).Unix())) > 0.1 {
			t.Fatalf("finish %v, want the portal's clock (host + 30 s) + 20 s", fin)
		}
		wantReset := float64(t0.Add(630 * time.Second).Unix())
		if reset := num(t, path(r.body, "time", "operating_reset_at")); reset != wantReset {
			t.Fatalf("operating_reset_at %v, want %v", reset, wantReset)
		}
		// The figure is taken when the probe ends, 20 ms after it arrives.
		time.Sleep(time.Until(t0.Add(570*time.Second - 21*time.Millisecond)))
		probe := func() float64 { // a batch below the floor: reads the figure, stores nothing
			return num(t, path(v2(t, s, "batch", `{"cmd":["test.echo"]}`).body, "time", "operating"))
		}
		if op := probe(); op < 20 {
			t.Fatalf("1 ms before the portal slot's end: operating %v, want 20 s stored", op)
		}
		time.Sleep(time.Until(t0.Add(570 * time.Second)))
		if op := probe(); op >= 1 {
			t.Fatalf("at the portal slot's end: operating %v, want nothing stored", op)
		}
	}, WithClockOffset(30*time.Second))
}

// TestOperatingConcurrentOverspend: the check before each call sees the
// stored time only, so requests in flight together all run and overspend
// (protocol §4.2): a client must keep recorded + in flight within L itself.
func TestOperatingConcurrentOverspend(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		done := make(chan resp, 3)
		for range 3 {
			go func() { done <- v2(t, s, "test.heavy", "") }()
		}
		for range 3 {
			if r := <-done; r.status != 200 {
				t.Fatalf("a request in flight was refused: %d %s", r.status, r.raw)
			}
		}
		r := v2(t, s, "test.heavy", "")
		if r.status != 429 {
			t.Fatalf("after 60 s stored against a limit of 30 s: %d", r.status)
		}
	}, WithLimits(Limits{OperatingLimit: 30 * time.Second}))
}
