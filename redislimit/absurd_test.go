package redislimit

import (
	"context"
	"strconv"
	"testing"
	"time"

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

// stateField reads one field of the operating state of method under req.
func stateField(t *testing.T, l *Limiter, req limit.Request, field string) int64 {
	t.Helper()
	k := l.keysFor(req)
	v, err := needRedis(t).HGet(context.Background(), k.all[1], field).Result()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
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
			a := newTestLimiter(t, c, prefix, p)
			b := newTestLimiter(t, c, prefix, p)
			req := opReq("cred-absurd")
			report(t, a, req, 10*time.Millisecond, time.Now().Add(time.Second)) // a state to overwrite
			report(t, a, req, tc.op, tc.reset(time.Now()))
			code, wait, pm := try(t, b, req)
			if tc.wait == 0 && code == codeWaitOp || wait > tc.wait {
				t.Fatalf("code %d, wait %v; want at most %v", code, wait, tc.wait)
			}
			if pm != nil {
				pm.Release(limit.Outcome{})
			}
			maxTTL(t, a, prefix, 2*w)
			// A 429 now blocks every process until the clamped reset at most.
			acquireOrTry(t, a, req).Release(limit.Outcome{Sent: true, Refused: limit.RefusedOperating, RefusedMethod: method})
			if code, wait, _ := try(t, b, req); code == codeWaitOp && wait > w {
				t.Fatalf("after a 429: wait %v, want at most the window %v", wait, w)
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

// TestScriptsClampStoredFigures: a state written with figures far ahead (by a
// process with a skewed clock, an older version, or a caller that skipped
// limit.SaneReport) blocks at most the window, and the release script clamps
// what it stores and its TTL on the server's clock.
func TestScriptsClampStoredFigures(t *testing.T) {
	c := needRedis(t)
	ctx := context.Background()
	p := scaled()
	const w = 6 * time.Second
	prefix := testPrefix(t)
	l := newTestLimiter(t, c, prefix, p)
	req := opReq("cred-stored")
	k := l.keysFor(req)
	far := strconv.FormatInt(time.Now().Add(tenYears).UnixMicro(), 10)
	if err := c.HSet(ctx, k.all[1], "k", "1", "u", "4790000", "r", far, "e", "0", "b", far).Err(); err != nil {
		t.Fatal(err)
	}
	if code, wait, _ := try(t, l, req); code != codeWaitOp || wait > w {
		t.Fatalf("stored reset ten years ahead: code %d wait %v, want to wait at most %v", code, wait, w)
	}
	// The release script, given a report that skipped SaneReport.
	args := []any{"tok", 1, 0, "", 1, int64(1000), us(p.Operating.Limit), us(w), bucketT(&p), clientBurst(&p), method,
		1, method, int64(4790000), far}
	if err := releaseScript.Run(ctx, c, k.all, args...).Err(); err != nil {
		t.Fatal(err)
	}
	limit := time.Now().Add(w + time.Second).UnixMicro()
	if r, b := stateField(t, l, req, "r"), stateField(t, l, req, "b"); r > limit || b > limit {
		t.Fatalf("stored reset %v, block %v ahead; want at most the window", time.Duration(r-time.Now().UnixMicro())*time.Microsecond,
			time.Duration(b-time.Now().UnixMicro())*time.Microsecond)
	}
	maxTTL(t, l, prefix, 2*w)
}

// TestEstimateCappedShared: one answer cannot teach the shared state that a
// call costs more than a tenth of the window.
func TestEstimateCappedShared(t *testing.T) {
	c := needRedis(t)
	p := scaled()
	prefix := testPrefix(t)
	l := newTestLimiter(t, c, prefix, p)
	req := opReq("cred-estimate")
	reset := time.Now().Add(time.Second)
	report(t, l, req, 100*time.Millisecond, reset)
	report(t, l, req, 11*time.Second, reset)
	if e := stateField(t, l, req, "e"); e > 600000 {
		t.Fatalf("estimate %v µs, want at most window/10 (600 ms)", e)
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
	k := l.keysFor(req)
	score, err := c.ZScore(context.Background(), k.all[2], pm.(*permit).token).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ahead := time.Duration(score)*time.Microsecond - time.Duration(time.Now().UnixMicro())*time.Microsecond; ahead > 24*time.Hour {
		t.Errorf("reservation expires %v ahead, want at most a day", ahead)
	}
	pm.Release(limit.Outcome{Sent: true, Refused: limit.RefusedRate})
	maxTTL(t, l, prefix, 24*time.Hour)
}
