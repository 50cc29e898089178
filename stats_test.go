package b24

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/limit"
)

// after answers with next once d has passed (the fake clock, under synctest).
func after(d time.Duration, next func(*http.Request) (*http.Response, error)) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		time.Sleep(d)
		return next(req)
	}
}

const notFound400 = `{"error":"ERROR_NOT_FOUND","error_description":"Not found"}`

// TestStatsCalls drives sequences of calls through a scripted portal and
// checks the per-call figures: per method, in total, the consecutive errors
// and the last errors.
func TestStatsCalls(t *testing.T) {
	t.Parallel()
	type step = func(*http.Request) (*http.Response, error)
	type callSpec struct {
		method  string
		steps   []step
		timeout time.Duration // the call's context ends after it (0: never)
	}
	ok := func(method string, d time.Duration) callSpec {
		return callSpec{method: method, steps: []step{after(d, answer(200, okBody))}}
	}
	bad := func(method string, d time.Duration) callSpec {
		return callSpec{method: method, steps: []step{after(d, answer(400, notFound400))}}
	}
	type errWant struct {
		method string
		status int
		code   string
		text   string // in the message
	}
	for _, tc := range []struct {
		name        string
		calls       []callSpec
		byMethod    map[string]MethodStats
		consecutive int64
		canceled    int64
		requests    int64
		retries     int64
		errs        []errWant
	}{
		{name: "one success", calls: []callSpec{ok("crm.deal.get", 2*time.Second)},
			byMethod: map[string]MethodStats{"crm.deal.get": {Calls: 1, Duration: 2 * time.Second}}, requests: 1},
		{name: "errors in a row", calls: []callSpec{ok("crm.deal.get", time.Second), bad("crm.deal.get", time.Second), bad("crm.deal.get", 3*time.Second)},
			byMethod:    map[string]MethodStats{"crm.deal.get": {Calls: 3, Errors: 2, ConsecutiveErrors: 2, Duration: 5 * time.Second}},
			consecutive: 2, requests: 3,
			errs: []errWant{{"crm.deal.get", 400, "ERROR_NOT_FOUND", "Not found"}, {"crm.deal.get", 400, "ERROR_NOT_FOUND", "Not found"}}},
		{name: "a success ends the run", calls: []callSpec{bad("crm.deal.get", 0), bad("crm.deal.get", 0), ok("crm.deal.get", 0)},
			byMethod: map[string]MethodStats{"crm.deal.get": {Calls: 3, Errors: 2}}, requests: 3,
			errs: []errWant{{"crm.deal.get", 400, "ERROR_NOT_FOUND", ""}, {"crm.deal.get", 400, "ERROR_NOT_FOUND", ""}}},
		{name: "per method runs", calls: []callSpec{bad("crm.deal.get", 0), bad("crm.deal.get", 0), ok("CRM.Lead.Get", time.Second)},
			byMethod: map[string]MethodStats{"crm.deal.get": {Calls: 2, Errors: 2, ConsecutiveErrors: 2},
				"crm.lead.get": {Calls: 1, Duration: time.Second}},
			requests: 3, errs: []errWant{{"crm.deal.get", 400, "ERROR_NOT_FOUND", ""}, {"crm.deal.get", 400, "ERROR_NOT_FOUND", ""}}},
		{name: "a retried call counts once, with its backoff",
			calls: []callSpec{{method: "crm.deal.get", steps: []step{answer(500, `{"error":"INTERNAL_SERVER_ERROR"}`), answer(200, okBody)}}},
			// The backoff before the second attempt: 0.5–1 s (checked below).
			byMethod: map[string]MethodStats{"crm.deal.get": {Calls: 1}}, requests: 2, retries: 1},
		{name: "a cancelled call is no error", calls: []callSpec{bad("crm.deal.get", 0), {method: "crm.deal.get", steps: []step{hang}, timeout: 3 * time.Second}},
			byMethod:    map[string]MethodStats{"crm.deal.get": {Calls: 2, Errors: 1, Canceled: 1, ConsecutiveErrors: 1, Duration: 3 * time.Second}},
			consecutive: 1, canceled: 1, requests: 2, errs: []errWant{{"crm.deal.get", 400, "ERROR_NOT_FOUND", ""}}},
		{name: "transport error, non-JSON answer, redirect",
			calls: []callSpec{
				{method: "crm.deal.add", steps: []step{fail(syscall.ECONNRESET)}},
				{method: "crm.deal.add", steps: []step{answer(200, "<html>hi</html>", "Content-Type", "text/html")}},
				{method: "crm.deal.add", steps: []step{answer(302, "", "Location", "https://elsewhere.example.net/x")}},
			},
			byMethod:    map[string]MethodStats{"crm.deal.add": {Calls: 3, Errors: 3, ConsecutiveErrors: 3}},
			consecutive: 3, requests: 3,
			errs: []errWant{{"crm.deal.add", 0, "", "transport error"}, {"crm.deal.add", 200, "", "outcome unknown"}, {"crm.deal.add", 302, "", "elsewhere.example.net"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var steps []step
				for _, c := range tc.calls {
					steps = append(steps, c.steps...)
				}
				h := scriptedHook(t, &scriptTransport{steps: steps})
				start := time.Now()
				for i, c := range tc.calls {
					ctx := t.Context()
					if c.timeout > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, c.timeout)
						defer cancel()
					}
					_, _ = h.Call(ctx, c.method, nil, WithRequestID("req-"+strconv.Itoa(i)))
				}
				elapsed := time.Since(start)
				st := h.Stats()
				if tc.retries > 0 {
					// Only the backoff's jitter is unknown: take the time measured.
					m := tc.byMethod["crm.deal.get"]
					if d := st.ByMethod["crm.deal.get"].Duration; d < 500*time.Millisecond || d > time.Second || d != elapsed {
						t.Errorf("retried call's duration %v, want its backoff (0.5–1 s) = the time it took (%v)", d, elapsed)
					}
					m.Duration = elapsed
					tc.byMethod = map[string]MethodStats{"crm.deal.get": m}
				}
				if len(st.ByMethod) != len(tc.byMethod) {
					t.Errorf("ByMethod = %+v, want %+v", st.ByMethod, tc.byMethod)
				}
				var calls, errs int64
				var total time.Duration
				for m, want := range tc.byMethod {
					if got := st.ByMethod[m]; got != want {
						t.Errorf("ByMethod[%q] = %+v, want %+v", m, got, want)
					}
					calls, errs, total = calls+want.Calls, errs+want.Errors, total+want.Duration
				}
				if st.Calls != calls || st.CallErrors != errs || st.Canceled != tc.canceled || st.Duration != total ||
					st.ConsecutiveErrors != tc.consecutive || st.Requests != tc.requests || st.Retries != tc.retries {
					t.Errorf("Stats = %+v\nwant calls %d, errors %d, canceled %d, duration %v, consecutive %d, requests %d, retries %d",
						st, calls, errs, tc.canceled, total, tc.consecutive, tc.requests, tc.retries)
				}
				if total != elapsed {
					t.Errorf("the calls' durations add up to %v, the calls took %v", total, elapsed)
				}
				if len(st.LastErrors) != len(tc.errs) {
					t.Fatalf("LastErrors = %+v, want %d", st.LastErrors, len(tc.errs))
				}
				for i, want := range tc.errs {
					got := st.LastErrors[i]
					if got.Method != want.method || got.Status != want.status || got.Code != want.code ||
						!strings.Contains(got.Message, want.text) || got.RequestID == "" || got.Time.Before(start) || got.Time.After(time.Now()) {
						t.Errorf("LastErrors[%d] = %+v, want %+v", i, got, want)
					}
				}
			})
		})
	}
}

// TestStatsLastErrorsBounded: the ring keeps the last MaxLastErrors errors,
// oldest first.
func TestStatsLastErrorsBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const n = MaxLastErrors + 37
		steps := make([]func(*http.Request) (*http.Response, error), n)
		for i := range steps {
			steps[i] = answer(400, notFound400)
		}
		h := scriptedHook(t, &scriptTransport{steps: steps})
		for i := range n {
			if _, err := h.Call(t.Context(), "crm.deal.get", nil, WithRequestID(strconv.Itoa(i))); err == nil {
				t.Fatal("no error")
			}
			time.Sleep(time.Second)
		}
		st := h.Stats()
		if len(st.LastErrors) != MaxLastErrors || st.CallErrors != n || st.ConsecutiveErrors != n {
			t.Fatalf("%d last errors, %d errors, %d consecutive; want %d, %d, %d", len(st.LastErrors), st.CallErrors, st.ConsecutiveErrors, MaxLastErrors, n, n)
		}
		for i, r := range st.LastErrors {
			if want := strconv.Itoa(n - MaxLastErrors + i); r.RequestID != want {
				t.Fatalf("LastErrors[%d] is call %s, want call %s (oldest first)", i, r.RequestID, want)
			}
			if i > 0 && !r.Time.After(st.LastErrors[i-1].Time) {
				t.Fatalf("LastErrors[%d] at %v, not after the one before", i, r.Time)
			}
		}
	})
}

// TestStatsIsACopy: changing a Stats value does not change the Hook's figures.
func TestStatsIsACopy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := scriptedHook(t, &scriptTransport{steps: []func(*http.Request) (*http.Response, error){answer(200, okBody), answer(400, notFound400)}})
		_, _ = h.Call(t.Context(), "crm.deal.get", nil)
		_, _ = h.Call(t.Context(), "crm.deal.get", nil)
		st := h.Stats()
		if len(st.ByMethod) != 1 || len(st.LastErrors) != 1 || len(st.Operating) != 1 {
			t.Fatalf("Stats = %+v, want one method, one error, one operating figure", st)
		}
		st.ByMethod["crm.deal.get"] = MethodStats{Calls: 99}
		st.ByMethod["other"] = MethodStats{}
		st.LastErrors[0].Message = "changed"
		st.LastErrors = append(st.LastErrors[:1], ErrorRecord{})
		st.Operating["crm.deal.get"] = time.Hour
		again := h.Stats()
		if again.ByMethod["crm.deal.get"].Calls != 2 || len(again.ByMethod) != 1 || len(again.LastErrors) != 1 ||
			again.LastErrors[0].Message == "changed" || again.Operating["crm.deal.get"] != 500*time.Millisecond {
			t.Fatalf("the Hook's figures changed through a Stats value: %+v", again)
		}
	})
}

// TestResetStats: ResetStats zeroes the Hook's figures, and leaves the
// limiter (its budgets and its own figures) as it is.
func TestResetStats(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){
			answer(503, `{"error":"QUERY_LIMIT_EXCEEDED"}`), answer(200, okBody), answer(400, notFound400)}}
		h := scriptedHook(t, tr)
		_, _ = h.Call(t.Context(), "crm.deal.get", nil)
		_, _ = h.Call(t.Context(), "crm.deal.get", nil)
		before := h.Stats()
		if before.Calls != 2 || before.Requests != 3 || before.RateRefusals != 1 || before.Limiter == nil || before.Limiter.RateRefusals != 1 ||
			before.Limiter.Operating["crm.deal.get"] == 0 || before.Waits == 0 {
			t.Fatalf("before the reset: %+v, limiter %+v", before, before.Limiter)
		}
		h.ResetStats()
		st := h.Stats()
		lim := st.Limiter
		st.Limiter = nil
		zero := Stats{ByMethod: map[string]MethodStats{}, LastErrors: []ErrorRecord{}, Operating: map[string]time.Duration{}}
		if fmt.Sprintf("%#v", st) != fmt.Sprintf("%#v", zero) {
			t.Errorf("after the reset: %+v, want zero figures", st)
		}
		if lim == nil || lim.RateRefusals != 1 || lim.Waits != before.Limiter.Waits || lim.Operating["crm.deal.get"] != before.Limiter.Operating["crm.deal.get"] {
			t.Errorf("the reset changed the limiter's figures: %+v, was %+v", lim, before.Limiter)
		}
		// Counting starts again from zero.
		_, _ = h.Call(t.Context(), "crm.lead.get", nil)
		st = h.Stats()
		if st.Calls != 1 || st.ByMethod["crm.lead.get"].Calls != 1 || st.Requests != 1 || len(st.ByMethod) != 1 {
			t.Errorf("after the reset and one call: %+v", st)
		}
	})
}

// TestStatsAdaptiveDelay: the limiter reports the calls its adaptive delay
// slowed down, and for how long.
func TestStatsAdaptiveDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		reset := time.Now().Add(60 * time.Second)
		body := fmt.Sprintf(`{"result":{"ID":"1"},"time":{"start":1,"finish":1,"duration":0,"operating":460,"operating_reset_at":%d}}`, reset.Unix())
		tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){answer(200, body), answer(200, body), answer(200, body)}}
		h := scriptedHook(t, tr, WithRestrictionParams(RestrictionParams{Params: limit.Params{Adaptive: limit.AdaptiveDelay{Enabled: true}}}))
		if _, err := h.Call(t.Context(), "crm.deal.get", nil); err != nil {
			t.Fatal(err)
		}
		if st := h.Stats().Limiter; st.AdaptiveDelays != 0 || st.AdaptiveDelayTime != 0 {
			t.Fatalf("adaptive delay before any figure: %+v", st)
		}
		var want time.Duration
		for range 2 {
			// 460 of 480 s, threshold 0.8, coefficient 0.01: the ramp's share
			// of 1 % of the time to the reset.
			ramp := (460.0/480 - 0.8) / 0.2
			want += time.Duration(float64(time.Until(reset)) * 0.01 * ramp).Round(time.Microsecond)
			if _, err := h.Call(t.Context(), "crm.deal.get", nil); err != nil {
				t.Fatal(err)
			}
		}
		st := h.Stats()
		if st.Limiter.AdaptiveDelays != 2 || st.Limiter.AdaptiveDelayTime != want || st.Waits != 2 || st.WaitTime != want {
			t.Fatalf("limiter %+v, hook waits %d (%v); want 2 adaptive delays of %v in all", st.Limiter, st.Waits, st.WaitTime, want)
		}
		if d := st.ByMethod["crm.deal.get"].Duration; d != want {
			t.Errorf("the calls took %v, want their adaptive delays %v", d, want)
		}
		h.ResetStats()
		if st := h.Stats().Limiter; st.AdaptiveDelays != 2 {
			t.Errorf("ResetStats reset the limiter's figures: %+v", st)
		}
	})
}

// TestStatsNeverShowsTheSecret plants the secret where a portal or a proxy
// might echo it (an error's description, a validation row, an HTML page
// quoting the URL, a transport error naming it) and audits the Stats value
// in every verb, JSON and slog.
func TestStatsNeverShowsTheSecret(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		echo := func(status int, format string) func(*http.Request) (*http.Response, error) {
			return func(req *http.Request) (*http.Response, error) {
				u := req.URL.String()
				return answer(status, fmt.Sprintf(format, u, testSecret, req.URL.EscapedPath()), "Content-Type", "text/plain")(req)
			}
		}
		steps := []func(*http.Request) (*http.Response, error){
			echo(400, `{"error":"BAD_%[2]s","error_description":"bad request %[1]s (%[2]s)","argument":"%[2]s"}`),
			echo(400, `{"error":{"code":"X","message":"at %[1]s","validation":[{"field":"%[2]s","message":"%[3]s"}]}}`),
			echo(502, `<html>502: upstream failed for %[1]s and %[3]s</html>`),
			func(req *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("dial %s: %w", req.URL, syscall.ECONNREFUSED)
			},
			answer(302, "", "Location", "https://elsewhere.example.net/rest/1/"+testSecret+"/"),
		}
		h := scriptedHook(t, &scriptTransport{steps: steps},
			WithRestrictionParams(RestrictionParams{Retry: RetryPolicy{MaxAttempts: 1}}))
		for _, m := range []string{"crm.deal.get", "crm.deal.get", "crm.deal.update", "crm.deal.get", "crm.deal.get"} {
			if _, err := h.Call(t.Context(), m, map[string]any{"id": 1}); err == nil {
				t.Fatalf("%s: no error", m)
			}
		}
		st := h.Stats()
		if len(st.LastErrors) != len(steps) {
			t.Fatalf("%d errors recorded, want %d", len(st.LastErrors), len(steps))
		}
		for i, r := range st.LastErrors {
			if !strings.Contains(r.Message, "****") && i < 4 {
				t.Errorf("LastErrors[%d] = %+v: the echoed secret is not shown redacted (the audit would prove nothing)", i, r)
			}
		}
		showEverywhere(t, "stats", st)
		showEverywhere(t, "&stats", &st)
		for i, r := range st.LastErrors {
			showEverywhere(t, "error record "+strconv.Itoa(i), r)
		}
	})
}

// TestStatsConcurrent: many goroutines call and read Stats at once (run
// with -race); the figures add up at the end.
func TestStatsConcurrent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tr := roundTrip(func(req *http.Request) (*http.Response, error) {
			if strings.HasSuffix(req.URL.Path, "/crm.deal.fail") {
				return answer(400, notFound400)(req)
			}
			return answer(200, okBody)(req)
		})
		h, err := FromWebhookURL("https://portal.example.com/rest/1/"+testSecret+"/", WithHTTPClient(&http.Client{Transport: tr}),
			WithRestrictionParams(RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 1000, Drain: 1000}}}))
		if err != nil {
			t.Fatal(err)
		}
		const workers, each = 32, 40
		var wg sync.WaitGroup
		var done atomic.Bool
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					m := "crm.deal.get"
					if (w+i)%4 == 0 {
						m = "crm.deal.fail"
					}
					_, _ = h.Call(t.Context(), m, nil)
				}
			})
		}
		var readers sync.WaitGroup
		for range 4 {
			readers.Go(func() {
				for !done.Load() {
					st := h.Stats()
					if st.CallErrors+st.Canceled > st.Calls || len(st.LastErrors) > MaxLastErrors || st.ConsecutiveErrors > st.CallErrors {
						t.Errorf("inconsistent figures: %+v", st)
						return
					}
					st.ByMethod["x"] = MethodStats{}
					time.Sleep(time.Millisecond)
				}
			})
		}
		wg.Wait()
		done.Store(true)
		readers.Wait()
		st := h.Stats()
		fails := int64(workers * each / 4)
		if st.Calls != workers*each || st.CallErrors != fails || st.Requests != workers*each ||
			st.ByMethod["crm.deal.fail"].Errors != fails || st.ByMethod["crm.deal.get"].Calls != workers*each-fails ||
			len(st.LastErrors) != MaxLastErrors || len(st.ByMethod) != 2 {
			t.Errorf("after %d calls: %+v", workers*each, st)
		}
		// Resets racing with calls and reads.
		var wg2 sync.WaitGroup
		for range 8 {
			wg2.Go(func() {
				for range 20 {
					_, _ = h.Call(t.Context(), "crm.deal.fail", nil)
					h.ResetStats()
					_ = h.Stats()
				}
			})
		}
		wg2.Wait()
		if st := h.Stats(); st.Calls > 8 || st.Calls < 0 {
			t.Errorf("after the last reset: %d calls", st.Calls)
		}
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
