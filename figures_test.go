package b24

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/limit"
)

// TestTimingLenient: a garbled figure of the time block is taken as absent;
// it never costs the answer it came with.
func TestTimingLenient(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		block     string
		op, reset *float64
		start     float64
	}{
		{`{"start":1,"operating":1.5,"operating_reset_at":1769500530}`, f(1.5), f(1769500530), 1},
		{`{"start":"1769499930","operating":"480.5","operating_reset_at":" 1769500530 "}`, f(480.5), f(1769500530), 1769499930},
		{`{"operating":"NaN","operating_reset_at":"NaN"}`, nil, nil, 0},
		{`{"operating":"Inf","operating_reset_at":"-Infinity"}`, nil, nil, 0},
		{`{"operating":1e400,"operating_reset_at":-1e400}`, nil, nil, 0},
		{`{"operating":true,"operating_reset_at":{},"start":[]}`, nil, nil, 0},
		{`{"operating":null,"operating_reset_at":"soon","start":"x","finish":1e999}`, nil, nil, 0},
		{`{"operating":-5,"operating_reset_at":-1}`, f(-5), f(-1), 0},
		{`[]`, nil, nil, 0},
		{`"garbage"`, nil, nil, 0},
	} {
		t.Run(tc.block, func(t *testing.T) {
			body := `{"result":{"ID":"1"},"time":` + tc.block + `}`
			r, err := decodeEnvelope([]byte(body), 200, http.Header{}, "crm.deal.get", APIv2, "r", nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if string(r.Result) != `{"ID":"1"}` {
				t.Fatalf("result %s", r.Result)
			}
			if !strings.HasPrefix(tc.block, "{") {
				if r.Time != nil {
					t.Fatalf("time %+v from a block that is not an object", *r.Time)
				}
				return
			}
			same := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
			if !same(r.Time.Operating, tc.op) || !same(r.Time.OperatingResetAt, tc.reset) || r.Time.Start != tc.start {
				t.Fatalf("time %+v", *r.Time)
			}
		})
	}
}

// TestTimingOverflow: figures a duration or a time cannot hold are not reported.
func TestTimingOverflow(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	for _, v := range []float64{1e10, 1e300, -1} {
		if d, ok := (&Timing{Operating: f(v)}).OperatingDuration(); ok {
			t.Errorf("operating %v reported as %v", v, d)
		}
	}
	for _, v := range []float64{1 << 53, 1e300, 0, -5} {
		if at, ok := (&Timing{OperatingResetAt: f(v)}).ResetAt(); ok {
			t.Errorf("reset %v reported as %v", v, at)
		}
	}
	if d, ok := (&Timing{Operating: f(480.5)}).OperatingDuration(); !ok || d != 480500*time.Millisecond {
		t.Errorf("480.5 s read as %v, %v", d, ok)
	}
}

// TestAbsurdFiguresUsableWithinWindow: after one answer with absurd figures
// for a method whose budget is nearly spent, the method is called again
// within the window, and the answer itself is delivered.
func TestAbsurdFiguresUsableWithinWindow(t *testing.T) {
	t.Parallel()
	const w = 600 * time.Second
	tenYears := func(now time.Time) string { return fmt.Sprint(now.Add(10 * 365 * 24 * time.Hour).Unix()) }
	for _, tc := range []struct {
		name  string
		block func(now time.Time) string // the time block of the first answer
		next  time.Duration              // when the next call goes
	}{
		{"sane reset in 30 s", func(now time.Time) string {
			return fmt.Sprintf(`{"operating":479,"operating_reset_at":%d}`, now.Add(30*time.Second).Unix())
		}, 30 * time.Second},
		{"reset ten years ahead", func(now time.Time) string {
			return `{"operating":479,"operating_reset_at":` + tenYears(now) + `}`
		}, w},
		{"reset in milliseconds", func(now time.Time) string {
			return fmt.Sprintf(`{"operating":479,"operating_reset_at":%d}`, now.Add(30*time.Second).UnixMilli())
		}, 30 * time.Second},
		{"reset in milliseconds, as a string", func(now time.Time) string {
			return fmt.Sprintf(`{"operating":"479","operating_reset_at":"%d"}`, now.Add(30*time.Second).UnixMilli())
		}, 30 * time.Second},
		{"reset 1e300", func(time.Time) string { return `{"operating":479,"operating_reset_at":1e300}` }, 0},
		{"reset NaN", func(time.Time) string { return `{"operating":479,"operating_reset_at":"NaN"}` }, 0},
		{"reset negative", func(time.Time) string { return `{"operating":479,"operating_reset_at":-1769500530}` }, 0},
		{"operating NaN", func(now time.Time) string {
			return `{"operating":"NaN","operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"operating huge", func(now time.Time) string {
			return `{"operating":1e300,"operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"operating in milliseconds", func(now time.Time) string {
			return `{"operating":479000,"operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"operating negative", func(now time.Time) string {
			return `{"operating":-479,"operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"start and finish absurd", func(now time.Time) string {
			return fmt.Sprintf(`{"start":"x","finish":1e400,"duration":-1,"operating":1,"operating_reset_at":%d}`, now.Unix())
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ts := &timedSteps{start: time.Now()}
				first := func(req *http.Request) (*http.Response, error) {
					return answer(200, `{"result":{"ID":"1"},"time":`+tc.block(time.Now())+`}`)(req)
				}
				tr := &scriptTransport{steps: ts.wrap([]func(*http.Request) (*http.Response, error){first, answer(200, okBody)})}
				h := scriptedHook(t, tr)
				ctx, cancel := context.WithTimeout(t.Context(), 2*w)
				defer cancel()
				for i := range 2 {
					resp, err := h.Call(ctx, "crm.deal.get", nil)
					if err != nil || resp.Attempts != 1 || string(resp.Result) != `{"ID":"1"}` {
						t.Fatalf("call %d: %v, %+v", i, err, resp)
					}
				}
				if ts.at[1] != tc.next {
					t.Fatalf("second call at %v, want %v", ts.at[1], tc.next)
				}
			})
		})
	}
}

// TestRetryAfterAbsurd: a refusal's Retry-After is honoured up to the
// window, and ignored when it is not a number of seconds or a date.
func TestRetryAfterAbsurd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		next  time.Duration // when the retry goes, after a 429 (Window/60 without a usable header)
	}{
		{"30", 30 * time.Second},
		{"86400", time.Minute},
		{"9223372036854775807", time.Minute},
		{"99999999999999999999", time.Second},
		{"-5", time.Second},
		{"1e9", time.Second},
		{"NaN", time.Second},
		{"Fri, 31 Dec 9999 23:59:59 GMT", time.Minute},
		{"Sat, 01 Jan 2000 00:00:20 GMT", 20 * time.Second},
	} {
		t.Run(tc.value, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ts := &timedSteps{start: time.Now()}
				refused := answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"x"}`, "Retry-After", tc.value)
				tr := &scriptTransport{steps: ts.wrap([]func(*http.Request) (*http.Response, error){refused, answer(200, okBody)})}
				h := scriptedHook(t, tr, WithLimiter(foreignLimiter{}), WithRestrictionParams(RestrictionParams{Params: limit.Params{Operating: limit.OperatingLimit{Limit: 48 * time.Second, Window: time.Minute, Margin: time.Second}}}))
				resp, err := h.Call(t.Context(), "crm.deal.get", nil)
				if err != nil || resp.Attempts != 2 {
					t.Fatalf("%v, %+v", err, resp)
				}
				if ts.at[1] != tc.next {
					t.Fatalf("retried at %v, want %v", ts.at[1], tc.next)
				}
			})
		})
	}
}
