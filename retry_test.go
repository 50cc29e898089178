package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/limit"
)

// foreignLimiter is a Limiter from outside the package: it holds every call
// back for hold and learns nothing from refusals (hold 0: a limiter that
// never holds back, like a custom one or a redislimit whose refusal got lost).
type foreignLimiter struct{ hold time.Duration }

func (f foreignLimiter) Acquire(ctx context.Context, _ limit.Request) (limit.Permit, error) {
	if f.hold > 0 {
		if err := sleepCtx(ctx, f.hold); err != nil {
			return nil, err
		}
	}
	return foreignPermit{}, nil
}

type foreignPermit struct{}

func (foreignPermit) Release(limit.Outcome) {}

// timedSteps answers each request with the next step and notes when it came.
type timedSteps struct {
	mu    sync.Mutex
	start time.Time
	at    []time.Duration
}

func (s *timedSteps) wrap(steps []func(*http.Request) (*http.Response, error)) []func(*http.Request) (*http.Response, error) {
	out := make([]func(*http.Request) (*http.Response, error), len(steps))
	for i, step := range steps {
		out[i] = func(r *http.Request) (*http.Response, error) {
			s.mu.Lock()
			s.at = append(s.at, time.Since(s.start))
			s.mu.Unlock()
			return step(r)
		}
	}
	return out
}

func repeat(n int, step func(*http.Request) (*http.Response, error)) []func(*http.Request) (*http.Response, error) {
	out := make([]func(*http.Request) (*http.Response, error), n)
	for i := range out {
		out[i] = step
	}
	return out
}

func seconds(ss ...float64) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

var (
	refused503   = answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`)
	refused429   = answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`)
	refused429RA = answer(429, `{"error":"RATE_LIMITED","error_description":"Too many requests","retryAfter":3}`, "Retry-After", "3")
	refused503RA = answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, "Retry-After", "7")
	plain429     = answer(429, "Too Many Requests", "Content-Type", "text/plain")
	ok200        = answer(200, okBody)
)

// TestRefusalFloor: after a refusal the next attempt waits at least a floor
// when the limiter does not hold the call back itself (Retry-After when sent,
// else 1/Drain after a 503 and Window/60 after a 429); that wait counts toward
// MaxRefusalWait, ends with ctx, and uses up no attempt.
func TestRefusalFloor(t *testing.T) {
	t.Parallel()
	then := func(steps []func(*http.Request) (*http.Response, error), last ...func(*http.Request) (*http.Response, error)) []func(*http.Request) (*http.Response, error) {
		return append(steps, last...)
	}
	for _, tc := range []struct {
		name    string
		limiter limit.Limiter // nil: the built-in one
		retry   RetryPolicy
		method  string
		timeout time.Duration
		steps   []func(*http.Request) (*http.Response, error)
		at      []time.Duration // when each request was sent
		err     error           // nil: success
	}{
		{name: "503, limiter that never holds back: 1/Drain", limiter: foreignLimiter{},
			steps: then(repeat(3, refused503), ok200), at: seconds(0, 0.5, 1, 1.5)},
		{name: "429, limiter that never holds back: Window/60", limiter: foreignLimiter{}, method: "crm.deal.add",
			steps: then(repeat(2, refused429), ok200), at: seconds(0, 10, 20)},
		{name: "non-JSON 429, limiter that never holds back", limiter: foreignLimiter{},
			steps: then(repeat(1, plain429), ok200), at: seconds(0, 10)},
		{name: "429 with Retry-After, limiter that never holds back", limiter: foreignLimiter{},
			steps: then(repeat(2, refused429RA), ok200), at: seconds(0, 3, 6)},
		{name: "limiter that holds back briefly: still the floor", limiter: foreignLimiter{hold: 5 * time.Millisecond},
			steps: then(repeat(1, refused503), ok200), at: seconds(0.005, 0.505)},
		{name: "503, built-in limiter: its own 1/Drain", steps: then(repeat(2, refused503), ok200), at: seconds(0, 0.5, 1)},
		{name: "429, built-in limiter: the next slot boundary (W/10 from one)", steps: then(repeat(1, refused429), ok200), at: seconds(0, 60)},
		{name: "503 with Retry-After, built-in limiter: Retry-After wins", steps: then(repeat(1, refused503RA), ok200), at: seconds(0, 7)},
		{name: "refusals use up no attempt", limiter: foreignLimiter{}, retry: RetryPolicy{MaxAttempts: 1},
			steps: then(repeat(3, plain429), ok200), at: seconds(0, 10, 20, 30)},
		{name: "refusal wait bounded, limiter that never holds back", limiter: foreignLimiter{},
			retry: RetryPolicy{MaxRefusalWait: 2 * time.Second},
			steps: repeat(1000, refused503), at: seconds(0, 0.5, 1, 1.5, 2), err: ErrQueryLimitExceeded},
		{name: "floor capped by MaxRefusalWait", limiter: foreignLimiter{},
			retry: RetryPolicy{MaxRefusalWait: 15 * time.Second},
			steps: repeat(1000, refused429), at: seconds(0, 10, 15), err: ErrOperationTimeLimit},
		{name: "MaxRefusalWait of 1ns: one more request", retry: RetryPolicy{MaxRefusalWait: time.Nanosecond},
			steps: repeat(1000, refused503), at: seconds(0, 0.5), err: ErrQueryLimitExceeded},
		{name: "floor ends with ctx", limiter: foreignLimiter{}, timeout: 3 * time.Second,
			steps: repeat(1000, refused429), at: seconds(0), err: context.DeadlineExceeded},
		{name: "Retry-After ends with ctx", timeout: 3 * time.Second,
			steps: repeat(1000, refused503RA), at: seconds(0), err: context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ts := &timedSteps{start: time.Now()}
				tr := &scriptTransport{steps: ts.wrap(tc.steps)}
				opts := []Option{WithRestrictionParams(RestrictionParams{Retry: tc.retry})}
				if tc.limiter != nil {
					opts = append(opts, WithLimiter(tc.limiter))
				}
				h := scriptedHook(t, tr, opts...)
				ctx := t.Context()
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				method := tc.method
				if method == "" {
					method = "crm.deal.get"
				}
				resp, err := h.Call(ctx, method, nil)
				switch {
				case tc.err == nil && (err != nil || resp.Attempts != len(tc.at)):
					t.Fatalf("err = %v, resp %+v; want success after %d requests", err, resp, len(tc.at))
				case tc.err != nil && !errors.Is(err, tc.err):
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if errors.Is(err, ErrAmbiguous) {
					t.Fatalf("err = %v: a refused call did not run", err)
				}
				ts.mu.Lock()
				at := ts.at
				ts.mu.Unlock()
				if len(at) != len(tc.at) {
					if len(at) > 12 {
						at = at[:12]
					}
					t.Fatalf("%d requests at %v..., want %d at %v", len(ts.at), at, len(tc.at), tc.at)
				}
				for i := range at {
					if at[i] != tc.at[i] {
						t.Fatalf("requests at %v, want %v", at, tc.at)
					}
				}
			})
		})
	}
}

// TestStatsWaits: Stats.Waits counts the calls the limiter held back, not
// every call; the "b24 limiter wait" warning marks the waits of 1 s or more.
func TestStatsWaits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		limiter  limit.Limiter // nil: the built-in one with params
		params   RestrictionParams
		calls    int
		waits    int64
		waitTime time.Duration
		warnings int
	}{
		{name: "built-in, within the burst", calls: 3},
		{name: "built-in, past the burst", params: RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 2, Drain: 2}}},
			calls: 3, waits: 2, waitTime: time.Second},
		{name: "built-in, long waits", params: RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 2, Drain: 0.5}}},
			calls: 3, waits: 2, waitTime: 4 * time.Second, warnings: 2},
		{name: "foreign, no wait", limiter: foreignLimiter{}, calls: 3},
		{name: "foreign, below the threshold", limiter: foreignLimiter{hold: 5 * time.Millisecond}, calls: 3},
		{name: "foreign, above the threshold", limiter: foreignLimiter{hold: 50 * time.Millisecond},
			calls: 3, waits: 3, waitTime: 150 * time.Millisecond},
		{name: "foreign, long waits", limiter: foreignLimiter{hold: 2 * time.Second},
			calls: 2, waits: 2, waitTime: 4 * time.Second, warnings: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var buf bytes.Buffer
				opts := []Option{WithRestrictionParams(tc.params), WithLogger(slog.New(slog.NewJSONHandler(&buf, nil)))}
				if tc.limiter != nil {
					opts = append(opts, WithLimiter(tc.limiter))
				}
				h := scriptedHook(t, &scriptTransport{}, opts...)
				for range tc.calls {
					if _, err := h.Call(t.Context(), "crm.deal.get", nil); err != nil {
						t.Fatal(err)
					}
				}
				st := h.Stats()
				if st.Waits != tc.waits || st.WaitTime != tc.waitTime {
					t.Fatalf("Waits %d, WaitTime %v; want %d, %v", st.Waits, st.WaitTime, tc.waits, tc.waitTime)
				}
				if n := strings.Count(buf.String(), `"msg":"b24 limiter wait"`); n != tc.warnings {
					t.Fatalf("%d limiter wait warnings, want %d:\n%s", n, tc.warnings, buf.String())
				}
			})
		})
	}
}

// TestStatsWaitsRealClock: on the real clock Acquire always takes some time;
// a call the built-in limiter admits at once is still no wait.
func TestStatsWaitsRealClock(t *testing.T) {
	t.Parallel()
	h := scriptedHook(t, &scriptTransport{})
	for range 5 {
		if _, err := h.Call(t.Context(), "crm.deal.get", nil); err != nil {
			t.Fatal(err)
		}
	}
	if st := h.Stats(); st.Waits != 0 || st.WaitTime != 0 {
		t.Fatalf("Waits %d, WaitTime %v for calls within the burst, want none", st.Waits, st.WaitTime)
	}
}

// TestGiveUpLogged: a call that gives up after retrying, or when its attempts
// or its refusal wait run out, logs one warning with the method, the attempts
// and the error, and never the secret.
func TestGiveUpLogged(t *testing.T) {
	t.Parallel()
	bad502 := answer(502, "<html>502 at /rest/1/"+testSecret+"/crm.deal.get</html>", "Content-Type", "text/html")
	for _, tc := range []struct {
		name     string
		method   string
		retry    RetryPolicy
		steps    []func(*http.Request) (*http.Response, error)
		logged   bool
		attempts int
	}{
		{name: "attempts exhausted", steps: repeat(5, bad502), logged: true, attempts: 3},
		{name: "one attempt only", retry: RetryPolicy{MaxAttempts: 1}, steps: repeat(5, bad502), logged: true, attempts: 1},
		{name: "refusal wait exhausted", retry: RetryPolicy{MaxRefusalWait: 2 * time.Second}, steps: repeat(100, refused503), logged: true, attempts: 0},
		{name: "fatal after a retry", steps: append(repeat(1, bad502), answer(400, `{"error":"ERROR_CORE","error_description":"bad"}`)), logged: true, attempts: 2},
		{name: "fatal at once", steps: repeat(1, answer(400, `{"error":"ERROR_CORE","error_description":"bad"}`))},
		{name: "ambiguous write at once", method: "crm.deal.add", steps: repeat(1, bad502)},
		{name: "success after retries", steps: append(repeat(2, bad502), ok200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var buf bytes.Buffer
				h := scriptedHook(t, &scriptTransport{steps: tc.steps}, WithRestrictionParams(RestrictionParams{Retry: tc.retry}),
					WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
				method := tc.method
				if method == "" {
					method = "crm.deal.get"
				}
				_, callErr := h.Call(t.Context(), method, nil, WithRequestID("rid-9"))
				var recs []map[string]any
				for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
					var rec map[string]any
					if err := json.Unmarshal([]byte(line), &rec); err != nil {
						t.Fatalf("bad log line %q", line)
					}
					if rec["msg"] == "b24 giving up" {
						recs = append(recs, rec)
					}
				}
				if strings.Contains(buf.String(), testSecret) {
					t.Fatalf("log contains the secret:\n%s", buf.String())
				}
				if !tc.logged {
					if len(recs) != 0 {
						t.Fatalf("logged %v, want no give-up record", recs)
					}
					return
				}
				if len(recs) != 1 {
					t.Fatalf("%d give-up records, want 1:\n%s", len(recs), buf.String())
				}
				r := recs[0]
				if r["level"] != "WARN" && r["level"] != "ERROR" {
					t.Errorf("level %v, want WARN or ERROR", r["level"])
				}
				if r["method"] != method || r["attempts"] != float64(tc.attempts) || r["request_id"] != "rid-9" {
					t.Errorf("record %v, want method %s and %d attempts", r, method, tc.attempts)
				}
				if callErr == nil || r["error"] != callErr.Error() {
					t.Errorf("record error %v, want the call's error %v", r["error"], callErr)
				}
			})
		})
	}
}
