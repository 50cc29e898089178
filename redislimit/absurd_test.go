package redislimit

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/b24go/b24/internal/opbudget"
	"github.com/b24go/b24/limit"
)

const tenYears = 10 * 365 * 24 * time.Hour

// maxTTL fails unless every key under prefix expires within limit.
func maxTTL(t *testing.T, l *Limiter, prefix string, limit time.Duration) {
	t.Helper()
	c := needRedis(t)
	for _, k := range keysUnder(t, c, prefix) {
		if ttl := c.PTTL(context.Background(), k).Val(); ttl == -1 || ttl > limit {
			t.Errorf("key %s: TTL %v, want at most %v", k, ttl, limit)
		}
	}
}

// stateOf reads the shared state of req's first method.
func stateOf(t *testing.T, l *Limiter, req limit.Request) sharedState {
	t.Helper()
	v, err := needRedis(t).HGet(context.Background(), l.keysFor(req).all[1], "s").Result()
	if err != nil {
		t.Fatal(err)
	}
	return decodeState(v)
}

// admitAt returns when the shared ledger of req's first method admits the
// next call, as a process with the host's clock reads it (now if at once).
// The zero time means only a call settling makes room.
func admitAt(t *testing.T, l *Limiter, req limit.Request) time.Time {
	t.Helper()
	now := time.Now()
	b := restore(stateOf(t, l, req), ledgerParams(l.params.Load()), now, l.resTTL)
	if _, ok, at := b.led.Admit(now); !ok {
		return at
	}
	return now
}

// TestAbsurdFiguresCapped: one answer with a budget near the limit and a
// reset ten years ahead (or an absurd figure of another class) blocks the
// method for every process at most the window, and no key it writes lives
// longer than twice the window.
func TestAbsurdFiguresCapped(t *testing.T) {
	c := needRedis(t)
	p := scaled() // limit 4.8 s per 6 s window
	const w = 6 * time.Second
	for _, tc := range []struct {
		name  string
		op    time.Duration
		reset func(now time.Time) time.Time
		wait  time.Duration // at most: 0 means admitted at once
	}{
		{"reset ten years ahead", 4790 * time.Millisecond, func(now time.Time) time.Time { return now.Add(tenYears) }, w},
		{"reset in milliseconds", 4790 * time.Millisecond, func(now time.Time) time.Time { return time.Unix(now.Add(time.Second).UnixMilli(), 0) }, time.Second},
		{"reset 2^52 s", 4790 * time.Millisecond, func(time.Time) time.Time { return time.Unix(1<<52, 0) }, w},
		{"operating huge", 1000 * time.Hour, func(now time.Time) time.Time { return now.Add(tenYears) }, 0},
		{"operating negative", -time.Hour, func(now time.Time) time.Time { return now.Add(tenYears) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := testPrefix(t)
			a := newTestLimiter(t, c, prefix, p, WithReservationTTL(time.Second))
			b := newTestLimiter(t, c, prefix, p, WithReservationTTL(time.Second))
			req := opReq("cred-absurd")
			report(t, a, req, 10*time.Millisecond, time.Now().Add(time.Second)) // a state to overwrite
			report(t, a, req, tc.op, tc.reset(time.Now()))
			code, _, pm := try(t, b, req)
			at := admitAt(t, b, req)
			if tc.wait == 0 && code == codeWaitOp || at.IsZero() || time.Until(at) > tc.wait {
				t.Fatalf("code %d, admitted in %v; want at most %v", code, time.Until(at), tc.wait)
			}
			if pm != nil {
				pm.Release(limit.Outcome{})
			}
			maxTTL(t, a, prefix, 2*w)
			// A 429 now blocks every process until the clamped reset at most.
			acquireOrTry(t, a, req).Release(limit.Outcome{Sent: true, Refused: limit.RefusedOperating, RefusedMethod: method})
			if at := admitAt(t, b, req); at.IsZero() || time.Until(at) > w {
				t.Fatalf("after a 429: admitted in %v, want at most the window %v", time.Until(at), w)
			}
			maxTTL(t, a, prefix, 2*w)
		})
	}
}

// acquireOrTry returns a permit without waiting for the operating budget.
func acquireOrTry(t *testing.T, l *Limiter, req limit.Request) limit.Permit {
	t.Helper()
	if code, _, pm := try(t, l, req); code != codeWaitOp {
		return pm
	}
	return &permit{l: l, k: l.keysFor(req), token: l.newToken()}
}

// TestStoredFiguresClamped: a state written with times far ahead (by a
// process with a skewed clock, an older version, or a faulty one) blocks at
// most the window, or the reservation TTL for a call in flight that never
// ends, and what the next write stores is clamped.
func TestStoredFiguresClamped(t *testing.T) {
	c := needRedis(t)
	ctx := context.Background()
	p := scaled()
	const w = 6 * time.Second
	prefix := testPrefix(t)
	l := newTestLimiter(t, c, prefix, p, WithReservationTTL(time.Second))
	req := opReq("cred-stored")
	k := l.keysFor(req)
	far := time.Now().Add(tenYears)
	st := sharedState{Known: true, Used: int64(4790 * time.Millisecond), Reset: far.UnixNano(),
		Ledger: opbudget.State{Blocked: far, ProbeAt: far, CostN: 1, CostMean: int64(tenYears),
			Own: []opbudget.Entry{{Slot: far.UnixNano() / int64(w/10), Finish: far.UnixNano(), Cost: int64(tenYears)}}},
		Res: []reservation{{Token: "x", Cost: int64(tenYears), From: far.UnixNano(), Until: far.UnixNano()}}}
	blob, _ := json.Marshal(st)
	if err := c.HSet(ctx, k.all[1], "v", 1, "s", blob).Err(); err != nil {
		t.Fatal(err)
	}
	if at := admitAt(t, l, req); at.IsZero() || time.Until(at) > w+3*w/10 {
		t.Fatalf("stored times ten years ahead: admitted in %v, want at most the window", time.Until(at))
	}
	// The limiter's next write stores the clamped figures.
	acquireOrTry(t, l, req).Release(limit.Outcome{})
	got := stateOf(t, l, req)
	horizon := time.Now().Add(w + time.Second)
	if got.Ledger.Blocked.After(horizon) || got.Ledger.ProbeAt.After(horizon) || got.Reset > horizon.UnixNano() {
		t.Fatalf("stored block %v, probe %v, reset %v: want at most the window ahead", got.Ledger.Blocked, got.Ledger.ProbeAt, time.Unix(0, got.Reset))
	}
	for _, r := range got.Res {
		if r.Until > time.Now().Add(2*time.Second).UnixNano() || r.Cost > int64(p.Operating.Limit) {
			t.Fatalf("stored reservation %+v: want at most the TTL ahead and the limit", r)
		}
	}
	maxTTL(t, l, prefix, 2*w)
}

// TestCostCappedByWallTime: one answer cannot teach the shared ledger that a
// call costs more server time than it lasted (its figure's excess is
// others' spend, which frees with its slot).
func TestCostCappedByWallTime(t *testing.T) {
	c := needRedis(t)
	l := newTestLimiter(t, c, testPrefix(t), scaled())
	req := opReq("cred-estimate")
	reportCost(t, l, req, 100*time.Millisecond, 150*time.Millisecond)
	reportCost(t, l, req, 11*time.Second, 50*time.Millisecond)
	if st := stateOf(t, l, req); st.Ledger.CostMean > int64(150*time.Millisecond) {
		t.Fatalf("cost learnt %v, want at most the calls' wall time", time.Duration(st.Ledger.CostMean))
	}
}

// TestTTLsCappedAtADay: no key lives longer than a day, whatever the
// parameters: a drain rate of one request in 27 hours, a reservation TTL
// of two days.
func TestTTLsCappedAtADay(t *testing.T) {
	c := needRedis(t)
	p := scaled()
	p.RateLimit = limit.RateLimit{Burst: 2, Drain: 1e-5, Fixed: true}
	prefix := testPrefix(t)
	l := newTestLimiter(t, c, prefix, p, WithReservationTTL(48*time.Hour))
	req := opReq("cred-day")
	pm := acquire(t, l, req) // held: its reservation stays
	maxTTL(t, l, prefix, 24*time.Hour)
	st := stateOf(t, l, req)
	if len(st.Res) != 1 || time.Until(time.Unix(0, st.Res[0].Until)) > 24*time.Hour {
		t.Errorf("reservations %+v, want one that expires within a day", st.Res)
	}
	pm.Release(limit.Outcome{Sent: true, Refused: limit.RefusedRate})
	maxTTL(t, l, prefix, 24*time.Hour)
}
