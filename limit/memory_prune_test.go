package limit

import (
	"context"
	"fmt"
	"github.com/b24go/b24/internal/opbudget"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// opHorizon is how long an operating state of the default plan must be idle
// before it may be forgotten: Window + Window/10 (its last slot expired)
// + Window/60.
const opHorizon = 670 * time.Second

// use acquires and releases one call of method on portal with outcome o.
func use(t *testing.T, l *localLimiter, portal, method string, o Outcome) {
	t.Helper()
	p, err := l.Acquire(t.Context(), Request{Portal: portal, Credential: "c", Methods: []string{method}})
	if err != nil {
		t.Fatal(err)
	}
	p.Release(o)
}

// traffic makes n calls of new methods on new portals, enough to trigger a sweep.
func traffic(t *testing.T, l *localLimiter, tag string, n int) {
	t.Helper()
	for i := range n {
		use(t, l, fmt.Sprintf("%s-p%d", tag, i), fmt.Sprintf("%s.m%d", tag, i), Outcome{Sent: true})
	}
}

func (l *localLimiter) op(portal, method string) *opState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ops[opKey{portal, "c", method}]
}

func (l *localLimiter) hasOp(portal, method string) bool { return l.op(portal, method) != nil }

func (l *localLimiter) hasBucket(portal string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.buckets[portal]
	return ok
}

func (l *localLimiter) sizes() (buckets, ops int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets), len(l.ops)
}

// TestPruneIdleOperating: operating states idle past opHorizon
// disappear once new traffic sweeps the map; younger ones stay.
func TestPruneIdleOperating(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{})
		t0 := time.Now()
		for i := range 10 {
			m := fmt.Sprintf("old.m%d", i)
			use(t, l, "p", m, report(m, 10*time.Second, t0.Add(time.Minute)))
		}
		time.Sleep(opHorizon - 300*time.Second)
		use(t, l, "p", "recent", report("recent", time.Second, time.Now().Add(time.Minute)))
		time.Sleep(300*time.Second - time.Second) // old: 1 s short of the horizon
		traffic(t, l, "a", 2*pruneMin)
		if !l.hasOp("p", "old.m0") {
			t.Fatal("a state was forgotten before the horizon")
		}
		time.Sleep(time.Second)
		if _, ok := l.Stats().Operating["old.m3"]; !ok {
			t.Fatal("Stats lost a state before the sweep")
		}
		traffic(t, l, "b", 4*pruneMin)
		for i := range 10 {
			if l.hasOp("p", fmt.Sprintf("old.m%d", i)) {
				t.Fatalf("old.m%d survived the horizon", i)
			}
		}
		if !l.hasOp("p", "recent") {
			t.Fatal("a recent state was forgotten")
		}
		st := l.Stats()
		if _, ok := st.Operating["old.m3"]; ok {
			t.Fatal("Stats still shows a forgotten state")
		}
		if st.Operating["recent"] != time.Second {
			t.Fatalf("Stats lost a live state: %v", st.Operating)
		}
		// Buckets idle past Burst/Drain went too: the "a" portals, and p.
		if l.hasBucket("a-p0") || l.hasBucket("p") {
			t.Fatal("an idle full bucket survived")
		}
	})
}

// TestPruneKeepsHeldStates: a state with a call in flight and its waiter
// survive a sweep long past the horizon, and a newcomer shares them. (A
// state blocked after a 429 is blocked at most Window past its last report,
// within the horizon: TestPrunePredicates checks that predicate alone.)
func TestPruneKeepsHeldStates(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{})
		t0 := time.Now()
		// "spent" has learned that a call costs 300 s (a reservation of
		// 450 s, within the 475 s budget): once its record has expired one
		// call goes, the next waits for its answer.
		first := report("spent", 300*time.Second, t0.Add(600*time.Second))
		first.Elapsed = 300 * time.Second
		use(t, l, "p", "spent", first)
		time.Sleep(660 * time.Second)
		reqSpent := Request{Portal: "p", Credential: "c", Methods: []string{"spent"}}
		probe, err := l.Acquire(t.Context(), reqSpent)
		if err != nil {
			t.Fatal(err)
		}
		held := probe.(*localPermit).states[0]
		waiterDone := make(chan time.Time)
		go func() {
			p, err := l.Acquire(context.Background(), reqSpent)
			if err != nil {
				t.Error(err)
			}
			if p.(*localPermit).states[0] != held {
				t.Error("the waiter was left on an orphan state")
			}
			waiterDone <- time.Now()
			p.Release(Outcome{Sent: true})
		}()
		time.Sleep(700 * time.Second)
		traffic(t, l, "a", 4*pruneMin)
		if l.op("p", "spent") != held {
			t.Fatal("a held state was forgotten")
		}
		if !l.hasBucket("p") {
			t.Fatal("the bucket of an unreleased permit was forgotten")
		}
		// The probe's answer wakes the waiter at once.
		released := time.Now()
		probe.Release(report("spent", 0, time.Time{})) // nothing stored: room at once
		if at := <-waiterDone; !at.Equal(released) {
			t.Fatalf("waiter went %v after the probe's answer", at.Sub(released))
		}
	})
}

// TestPrunePredicates checks each condition that keeps an entry, one at a time.
func TestPrunePredicates(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{})
		now := time.Now().Add(time.Hour)
		old := now.Add(-opHorizon)
		opCases := []struct {
			name  string
			edit  func(*opState)
			prune bool
		}{
			{"idle", func(*opState) {}, true},
			{"never reported", func(s *opState) { s.lastReport = time.Time{} }, true},
			{"waiter", func(s *opState) { s.refs = 1 }, false},
			{"in flight", func(s *opState) { s.ledger.Admit(now) }, false},
			{"blocked", func(s *opState) { s.ledger.Refused(now, now.Add(time.Nanosecond)) }, false},
			{"recorded", func(s *opState) {
				s.ledger.Observe(opbudget.Answer{Start: now, Finish: now, Operating: time.Second})
			}, false},
			{"reset ahead", func(s *opState) { s.resetAt = now.Add(time.Nanosecond) }, false},
			{"used recently", func(s *opState) { s.lastUse = old.Add(time.Nanosecond) }, false},
			{"reported recently", func(s *opState) { s.lastReport = old.Add(time.Nanosecond) }, false},
		}
		for _, c := range opCases {
			s := &opState{key: opKey{"p", "c", c.name}, changed: make(chan struct{}),
				known: true, used: 400 * time.Second, resetAt: old, lastUse: old, lastReport: old,
				ledger: opbudget.New(ledgerParams(l.params))}
			c.edit(s)
			l.mu.Lock()
			l.ops = map[opKey]*opState{s.key: s}
			l.pruneOps(now)
			_, kept := l.ops[s.key]
			l.mu.Unlock()
			if kept == c.prune {
				t.Errorf("op %s: kept %v", c.name, kept)
			}
		}

		rl := l.params.RateLimit
		bucketCases := []struct {
			name  string
			edit  func(*bucket)
			prune bool
		}{
			{"idle", func(*bucket) {}, true},
			{"old refusal", func(b *bucket) { b.refusals = []time.Time{now.Add(-rl.RefusalWindow)} }, true},
			{"waiter or permit", func(b *bucket) { b.refs = 1 }, false},
			{"not full", func(b *bucket) { b.lim.ReserveN(now, 1) }, false},
			{"not before", func(b *bucket) { b.notBefore = now.Add(time.Nanosecond) }, false},
			{"recent refusal", func(b *bucket) { b.refusals = []time.Time{now.Add(-rl.RefusalWindow + time.Nanosecond)} }, false},
			{"adapted", func(b *bucket) { b.setLimits(now.Add(-time.Hour), b.burst*adaptDown, b.drain*adaptDown) }, false},
		}
		for _, c := range bucketCases {
			l.mu.Lock()
			l.buckets = map[string]*bucket{}
			b := l.bucketFor(c.name, now.Add(-time.Hour))
			c.edit(b)
			l.pruneBuckets(now)
			_, kept := l.buckets[c.name]
			l.mu.Unlock()
			if kept == c.prune {
				t.Errorf("bucket %s: kept %v", c.name, kept)
			}
		}
	})
}

// pacingScript runs a fixed sequence on portal "p" and returns when each call
// was admitted, relative to its start: a burst through the request bucket, an
// operating budget that fills up, a 429, a 503.
func pacingScript(t *testing.T, l *localLimiter) []time.Duration {
	t.Helper()
	start := time.Now()
	var at []time.Duration
	for i := range 70 {
		p, err := l.Acquire(t.Context(), Request{Portal: "p", Credential: "c", Methods: []string{"m"}})
		if err != nil {
			t.Fatal(err)
		}
		at = append(at, time.Since(start))
		switch i {
		case 30:
			p.Release(Outcome{Sent: true, Refused: RefusedRate})
		case 40:
			p.Release(Outcome{Sent: true, Refused: RefusedOperating, RefusedMethod: "m"})
		default:
			p.Release(report("m", time.Duration(i)*9*time.Second, start.Add(40*time.Second)))
		}
	}
	return at
}

// TestPacingAfterPrune: once an idle portal's entries are forgotten, its
// calls are paced exactly as by a new limiter (the portal's budgets are
// fresh by then too).
func TestPacingAfterPrune(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := Params{Adaptive: AdaptiveDelay{Enabled: true, Threshold: 0.5, Coefficient: 0.1, MaxDelay: 3 * time.Second}}
		fresh := pacingScript(t, testLimiter(t, p))

		l := testLimiter(t, p)
		pacingScript(t, l) // history: estimates, a 429, a 503, a spent budget
		time.Sleep(opHorizon + time.Minute)
		traffic(t, l, "a", 4*pruneMin)
		if l.hasOp("p", "m") || l.hasBucket("p") {
			t.Fatal("the idle portal's entries were not forgotten")
		}
		// The same phase in the portal's slots of 60 s as the fresh run.
		slot := int64(time.Minute)
		time.Sleep(time.Until(time.Unix(0, (time.Now().UnixNano()/slot+1)*slot)))
		again := pacingScript(t, l)
		if fmt.Sprint(again) != fmt.Sprint(fresh) {
			t.Fatalf("pacing after the prune\n%v\nwant (new limiter)\n%v", again, fresh)
		}
	})
}

// TestPruneBounded: 10,000 methods, and 10,000 portals, each used once over a
// long time leave the maps small.
func TestPruneBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{})
		// Two new states a second (one per loop below): at most
		// 2 × (opHorizon/s + 1) are live, and a sweep happens when the map
		// has doubled since the last one. Without pruning: 20,000.
		const bound = 2 * 2 * (int(opHorizon/time.Second) + 2)
		maxBuckets, maxOps := 0, 0
		for i := range 10000 {
			m := fmt.Sprintf("m%d", i)
			use(t, l, "p", m, report(m, time.Second, time.Now().Add(time.Minute)))
			use(t, l, fmt.Sprintf("p%d", i), "x", Outcome{Sent: true})
			b, o := l.sizes()
			maxBuckets, maxOps = max(maxBuckets, b), max(maxOps, o)
			time.Sleep(time.Second)
		}
		// Buckets fill up again after Burst/Drain = 24.5 s.
		if maxBuckets > 2*pruneMin || maxOps > bound {
			t.Fatalf("maps grew to %d buckets, %d operating states", maxBuckets, maxOps)
		}
		t.Logf("at most %d buckets, %d operating states", maxBuckets, maxOps)
	})
}

// TestPruneConcurrent races sweeps with Acquire, Release, Stats and
// SetParams over many portals and methods (run with -race). A held state is
// always the one in the map.
func TestPruneConcurrent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := testLimiter(t, Params{Operating: OperatingLimit{Window: 60 * time.Second, Limit: 48 * time.Second}})
		// check: the states and bucket a permit holds are those in the maps.
		check := func(portal string, methods []string, p Permit) {
			l.mu.Lock()
			for i, s := range p.(*localPermit).states {
				if l.ops[opKey{portal, "c", methods[i]}] != s || s.refs < 1 {
					t.Errorf("held state of %s %s was forgotten", portal, methods[i])
				}
			}
			if l.buckets[portal] != p.(*localPermit).b {
				t.Errorf("bucket of %s was forgotten under a permit", portal)
			}
			l.mu.Unlock()
		}
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(g), 1))
				for range 400 {
					portal := fmt.Sprintf("p%d", r.IntN(200))
					methods := []string{fmt.Sprintf("m%d", r.IntN(500))}
					if r.IntN(4) == 0 {
						methods = append(methods, fmt.Sprintf("m%d", 500+r.IntN(500)))
					}
					ctx, cancel := context.WithTimeout(t.Context(), time.Duration(r.IntN(30))*time.Second)
					p, err := l.Acquire(ctx, Request{Portal: portal, Credential: "c", Methods: methods})
					cancel()
					if err != nil {
						continue
					}
					check(portal, methods, p)
					hold := time.Duration(r.IntN(2000)) * time.Millisecond
					if r.IntN(10) == 0 {
						hold = time.Duration(r.IntN(200)) * time.Second // past the horizon (61 s)
					}
					time.Sleep(hold)
					check(portal, methods, p)
					o := report(methods[0], time.Duration(r.IntN(50))*time.Second, time.Now().Add(time.Duration(r.IntN(60))*time.Second))
					switch r.IntN(20) {
					case 0:
						o = Outcome{Sent: true, Refused: RefusedRate}
					case 1:
						o = Outcome{Sent: true, Refused: RefusedOperating, RefusedMethod: methods[0]}
					case 2:
						o = Outcome{}
					}
					p.Release(o)
					time.Sleep(time.Duration(r.IntN(120)) * time.Second)
				}
			})
		}
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(time.Second):
				}
				_ = l.Stats()
			}
		}()
		go func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				case <-time.After(300 * time.Second):
				}
				burst := 50 + i%2
				if err := l.SetParams(Params{RateLimit: RateLimit{Burst: burst}, Operating: OperatingLimit{Window: 60 * time.Second, Limit: 48 * time.Second}}); err != nil {
					t.Error(err)
				}
			}
		}()
		wg.Wait()
		close(done)
		if l.opSweeps < 10 || l.bucketSweeps < 10 {
			t.Fatalf("only %d sweeps of states, %d of buckets", l.opSweeps, l.bucketSweeps)
		}
		t.Logf("%d sweeps of states, %d of buckets", l.opSweeps, l.bucketSweeps)
		l.mu.Lock()
		defer l.mu.Unlock()
		for k, s := range l.ops {
			s.mu.Lock()
			if n, _ := s.ledger.InFlight(); s.refs != 0 || n != 0 {
				t.Errorf("%v: %d references, %d in flight after the end", k, s.refs, n)
			}
			s.mu.Unlock()
		}
		for portal, b := range l.buckets {
			if b.refs != 0 {
				t.Errorf("bucket %s: %d references after the end", portal, b.refs)
			}
		}
		if len(l.ops) > 20000 {
			t.Fatalf("%d states", len(l.ops))
		}
	})
}
