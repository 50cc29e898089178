package limit

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// slotParams: L 100 s less a margin of 5 s, W 600 s (slots of 60 s).
var slotParams = Params{Operating: OperatingLimit{Limit: 100 * time.Second, Window: 600 * time.Second, Margin: 5 * time.Second}}

// spend runs one call of req1 that lasts d and answers figure (reset, and
// the figure's finish in the portal's clock when not zero).
func spend(t *testing.T, l *localLimiter, d, figure time.Duration, reset, finish time.Time) {
	t.Helper()
	if !finish.IsZero() {
		finish = finish.Add(d)
	}
	call(t, l, d, OperatingReport{Method: "crm.deal.list", Operating: figure, ResetAt: reset, Finish: finish})
}

// call runs one call of req1 that lasts d and answers rep.
func call(t *testing.T, l *localLimiter, d time.Duration, rep OperatingReport) {
	t.Helper()
	p, err := l.Acquire(t.Context(), req1)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	p.Release(Outcome{Sent: true, Elapsed: d, Reports: []OperatingReport{rep}})
}

// TestOperatingWaitsForSlot: with the budget spent, the next call goes the
// moment the oldest slot's window has passed, (slot + 10) × W/10, neither
// at the reported reset (its first call + W, later) nor before; another
// method is not held.
func TestOperatingWaitsForSlot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, slotParams)
		t0 := time.Now() // a slot boundary
		time.Sleep(10 * time.Second)
		spend(t, l, 30*time.Second, 30*time.Second, t0.Add(610*time.Second), time.Time{}) // slot 0
		time.Sleep(t0.Add(70 * time.Second).Sub(time.Now()))
		spend(t, l, 30*time.Second, 60*time.Second, t0.Add(610*time.Second), time.Time{}) // slot 1
		other := req1
		other.Methods = []string{"crm.deal.get"}
		start := time.Now()
		po, err := l.Acquire(t.Context(), other)
		if err != nil || time.Since(start) != 0 {
			t.Fatalf("another method waited: %v", err)
		}
		po.Release(Outcome{})
		// 60 s recorded + a call's reservation (~41 s) > 95 s: wait for slot 0.
		p, err := l.Acquire(t.Context(), req1)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Release(Outcome{})
		if got := time.Since(t0); got != 600*time.Second {
			t.Fatalf("admitted at t0+%v, want t0+10m (slot 0's window passed)", got)
		}
	})
}

// TestOperatingReservations: calls in flight hold their expected cost:
// recorded + in flight stays within L − margin, and a settled call makes room.
func TestOperatingReservations(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, slotParams)
		// Learn a cost of 10 s a call from four answers: 40 s recorded.
		for i := range 4 {
			spend(t, l, 10*time.Second, time.Duration(i+1)*10*time.Second, time.Time{}, time.Time{})
		}
		s := l.op("p.example.com", "crm.deal.list")
		s.mu.Lock()
		c, _ := s.ledger.Cost()
		s.mu.Unlock()
		if c != 10*time.Second {
			t.Fatalf("learned cost %v, want 10s", c)
		}
		var permits []Permit
		for {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			p, err := l.Acquire(ctx, req1)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			permits = append(permits, p)
		}
		// 40 s recorded; each reserves 10 s plus twice its deviation (2.5 s
		// after the first answer, 1.05 s after the fourth): 4 calls of
		// 12.1 s fit in the 55 s left, not 5.
		if len(permits) != 4 {
			t.Fatalf("%d calls in flight, want 4", len(permits))
		}
		s.mu.Lock()
		_, inflight := s.ledger.InFlight()
		rec := s.ledger.Recorded(s.clock.Now(time.Now()))
		s.mu.Unlock()
		if rec+inflight > 95*time.Second {
			t.Fatalf("recorded %v + in flight %v above L − margin", rec, inflight)
		}
		done := make(chan time.Duration)
		start := time.Now()
		go func() {
			p, err := l.Acquire(t.Context(), req1)
			if err == nil {
				p.Release(Outcome{})
			}
			done <- time.Since(start)
		}()
		time.Sleep(3 * time.Second)
		permits[0].Release(Outcome{Sent: true}) // no figure: only the reservation goes
		if d := <-done; d != 3*time.Second {
			t.Fatalf("waiter admitted after %v, want 3s", d)
		}
		for _, p := range permits[1:] {
			p.Release(Outcome{})
		}
	})
}

// TestOperatingRefusalBlocks: after a 429 the method waits for its reset
// when it is ahead, else for the next slot boundary (60 s at W = 600 s).
func TestOperatingRefusalBlocks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		reset time.Duration // reported before the refusal; 0: none
		after time.Duration // into the slot
		want  time.Duration
	}{
		{"no reset: the next slot boundary", 0, 15 * time.Second, 60 * time.Second},
		{"reset ahead", 200 * time.Second, 0, 200 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := testLimiter(t, Params{})
				t0 := time.Now()
				if c.reset > 0 {
					spend(t, l, 0, time.Second, t0.Add(c.reset), time.Time{})
				}
				time.Sleep(c.after)
				start := time.Now()
				p, _ := l.Acquire(t.Context(), req1)
				p.Release(Outcome{Sent: true, Refused: RefusedOperating, RefusedMethod: "crm.deal.list"})
				p, err := l.Acquire(t.Context(), req1)
				if err != nil {
					t.Fatal(err)
				}
				p.Release(Outcome{})
				if d := time.Since(start); d != c.want-c.after {
					t.Fatalf("blocked %v, want %v", d, c.want-c.after)
				}
				if l.Stats().OpRefusals != 1 {
					t.Fatal("429 not counted")
				}
			})
		})
	}
}

// TestOperatingPortalClock: the slots are the portal's: with its clock 30 s
// ahead (measured from each figure's finish), a call of 30 s made at the
// start of a host minute finishes at the start of a portal slot; dated
// there (the latest its start can be: it may have reached the portal late),
// it frees when that slot expires, 630 s later on the host (600 s on the
// host's clock).
func TestOperatingPortalClock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, slotParams)
		t0 := time.Now() // a slot boundary on the host
		off := 30 * time.Second
		// A quick call pins the offset (sent and answered at once), so that
		// the long call's finish is read in the portal's clock.
		spend(t, l, 0, 0, time.Time{}, t0.Add(off))
		spend(t, l, 30*time.Second, 30*time.Second, time.Time{}, t0.Add(off))
		time.Sleep(t0.Add(60 * time.Second).Sub(time.Now()))
		spend(t, l, 30*time.Second, 60*time.Second, time.Time{}, time.Now().Add(off))
		p, err := l.Acquire(t.Context(), req1)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Release(Outcome{})
		if got := time.Since(t0); got != 630*time.Second {
			t.Fatalf("admitted at t0+%v, want t0+10m30s (the portal's slot 1 expired)", got)
		}
	})
}

// TestOperatingDatesByStart: the portal stores a request's time in the
// slot of its start (its time block's "start", truncated to the second).
// Call A starts at t0+50 s, in slot 0, and ends at t0+80 s, in slot 1; with
// B and C after it (80 s recorded) the budget is spent, and the next call goes when A's
// slot expires: at t0+600 s when its start is told, t0+660 s (the slot of
// its finish) when it is not, or not believed (an arrival before the send).
func TestOperatingDatesByStart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		start func(sent time.Time) time.Time // A's reported start
		want  time.Duration
	}{
		{"start told, truncated", func(sent time.Time) time.Time { return sent.Add(400 * time.Millisecond).Truncate(time.Second) }, 600 * time.Second},
		{"no start", func(time.Time) time.Time { return time.Time{} }, 660 * time.Second},
		{"start before the send", func(sent time.Time) time.Time { return sent.Add(-100 * time.Second) }, 660 * time.Second},
		{"start after the finish", func(sent time.Time) time.Time { return sent.Add(45 * time.Second) }, 660 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := testLimiter(t, slotParams)
				t0 := time.Now() // a slot boundary
				time.Sleep(50*time.Second + 300*time.Millisecond)
				for i, call := range []struct{ d, figure time.Duration }{{30, 30}, {20, 50}, {30, 80}} {
					start := time.Now()
					if i == 0 {
						start = c.start(start)
					}
					spendFrom(t, l, call.d*time.Second, call.figure*time.Second, start)
				}
				p, err := l.Acquire(t.Context(), req1)
				if err != nil {
					t.Fatal(err)
				}
				defer p.Release(Outcome{})
				if got := time.Since(t0); got != c.want {
					t.Fatalf("admitted at t0+%v, want t0+%v", got, c.want)
				}
			})
		})
	}
}

// spendFrom runs one call of req1 that lasts d and answers figure, with
// the portal's clock the host's, reporting start (truncated to the second,
// as current portals send it; zero: absent).
func spendFrom(t *testing.T, l *localLimiter, d, figure time.Duration, start time.Time) {
	t.Helper()
	if !start.IsZero() {
		start = start.Truncate(time.Second)
	}
	call(t, l, d, OperatingReport{Method: "crm.deal.list", Operating: figure, Finish: time.Now().Add(d), Start: start})
}

// TestFitUnits: a request's Units scale its reservation (costs are learned
// per command), and Fit tells how many units fit now: all of them before a
// cost is known, the part that fits beside the record and the calls in
// flight, 0 on a spent budget.
func TestFitUnits(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, slotParams)
		req := req1
		req.Units = []int{10}
		if got := l.Fit(req); got != 10 {
			t.Fatalf("Fit before any cost = %d, want 10", got)
		}
		p, err := l.Acquire(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		// 10 commands cost 10 s: 1 s each, reserved 1.5 s (mean + 2 deviations of a quarter).
		p.Release(Outcome{Sent: true, Elapsed: 10 * time.Second, Reports: []OperatingReport{
			{Method: "crm.deal.list", Operating: 10 * time.Second}}})
		req.Units = []int{50}
		big, err := l.Acquire(t.Context(), req) // 75 s reserved beside 10 s recorded
		if err != nil {
			t.Fatal(err)
		}
		// L 95 s less 10 s less 75 s: 10 s, 6 commands of 1.5 s.
		if got := l.Fit(req); got != 6 {
			t.Fatalf("Fit(50) with 10 s left = %d, want 6", got)
		}
		other := req
		other.Methods, other.Units = []string{"crm.deal.get"}, nil
		if got := l.Fit(other); got != 1 {
			t.Fatalf("Fit of another method's single call = %d, want 1", got)
		}
		req.Units = []int{7}
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := l.Acquire(ctx, req); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("7 commands (10.5 s) with 10 s left: %v", err)
		}
		big.Release(Outcome{})
	})
}

// TestLearnUnheldMethod: a batch charged to "batch" whose answer shows
// billing per command (figures for crm.deal.list) teaches crm.deal.list's
// budget its cost per command, so the next batches, charged to it, fly
// together at once instead of one alone while its cost is unknown.
func TestLearnUnheldMethod(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, slotParams)
		batch := req1
		batch.Methods, batch.Units = []string{"batch"}, []int{2}
		p, err := l.Acquire(t.Context(), batch)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		p.Release(Outcome{Sent: true, Elapsed: time.Second, Reports: []OperatingReport{
			{Method: "crm.deal.list", Operating: time.Second}}})
		list := req1
		list.Units = []int{10}
		if got := l.Fit(list); got != 10 {
			t.Fatalf("Fit(10) = %d, want 10", got)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		for i := range 3 {
			p, err := l.Acquire(ctx, list)
			if err != nil {
				t.Fatalf("batch %d of crm.deal.list waited: %v", i, err)
			}
			defer p.Release(Outcome{})
		}
	})
}
