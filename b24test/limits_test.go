package b24test

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// bubble runs f under testing/synctest with an in-memory server.
func bubble(t *testing.T, f func(t *testing.T, s *Server), opts ...Option) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(t, append([]Option{InMemory(), WithFamily(testFamily)}, opts...)...)
		f(t, s)
	})
}

func TestRequestBucket(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
		plan  string
		burst int
		wait  time.Duration // to drain one request
	}{
		{"standard", 1, "standard", 50, 500 * time.Millisecond},
		{"enterprise", 1, "enterprise", 250, 200 * time.Millisecond},
		{"standard K=10", 10, "standard", 50, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T, s *Server) {
				for i := 0; i < tt.burst; i++ {
					if r := v2(t, s, "profile", ""); r.status != 200 {
						t.Fatalf("request %d: %d", i, r.status)
					}
				}
				r := v2(t, s, "profile", "")
				if r.status != 503 || r.errCode() != "QUERY_LIMIT_EXCEEDED" {
					t.Fatalf("over the burst: %d %s", r.status, r.raw)
				}
				// The refusal comes before anything else, in the v2 shape,
				// even on v3 and for an unknown method.
				if r := v3(t, s, "test.echo", `{}`); r.status != 503 || r.errCode() != "QUERY_LIMIT_EXCEEDED" {
					t.Fatalf("v3 over the burst: %d %s", r.status, r.raw)
				}
				if r := v2(t, s, "no.such", ""); r.status != 503 {
					t.Fatalf("unknown method over the burst: %d", r.status)
				}
				time.Sleep(tt.wait - time.Millisecond)
				if r := v2(t, s, "profile", ""); r.status != 503 {
					t.Fatalf("admitted before a unit drained: %d", r.status)
				}
				time.Sleep(time.Millisecond)
				if r := v2(t, s, "profile", ""); r.status != 200 {
					t.Fatalf("not admitted after a unit drained: %d", r.status)
				}
				if r := v2(t, s, "profile", ""); r.status != 503 {
					t.Fatalf("second request admitted: %d", r.status)
				}
			}, WithLatency(Latency{}), WithTimeScale(tt.scale), WithPlan(tt.plan))
		})
	}
}

func TestOperatingBudget(t *testing.T) {
	// K = 10: limit 48 s per 60 s, floor 10 ms; test.heavy costs
	// (20 ms + 20 s) / 10 = 2.002 s.
	bubble(t, func(t *testing.T, s *Server) {
		t0 := time.Now()
		var last resp
		for i := 1; i <= 24; i++ {
			last = v2(t, s, "test.heavy", "")
			if last.status != 200 {
				t.Fatalf("call %d: %d %s", i, last.status, last.raw)
			}
			if op := num(t, path(last.body, "time", "operating")); !approx(op, 2.002*float64(i)) {
				t.Fatalf("call %d: operating %v, want %v", i, op, 2.002*float64(i))
			}
			// 2.002 s, written truncated to the second (current portals).
			if p := num(t, path(last.body, "time", "processing")); p != 2 {
				t.Fatalf("processing %v, want 2", p)
			}
		}
		// The oldest slot expires W after the first call that wrote it.
		if got, want := int64(num(t, path(last.body, "time", "operating_reset_at"))), t0.Add(60*time.Second).Unix(); got != want {
			t.Errorf("operating_reset_at %d, want %d", got, want)
		}
		// 48.048 s > 48 s: the next call is refused before it runs.
		r := v2(t, s, "test.heavy", "")
		if r.status != 429 || r.errCode() != "OPERATION_TIME_LIMIT" {
			t.Fatalf("over the budget: %d %s", r.status, r.raw)
		}
		if r := v3(t, s, "test.heavy", `{}`); r.status != 429 || r.errCode() != "BITRIX_REST_V3_EXCEPTION_RATELIMITEXCEPTION" {
			t.Fatalf("v3 over the budget: %d %s", r.status, r.raw)
		}
		// Other methods are not affected; cheap calls (below the floor) are
		// not stored: each reports its own time only.
		for i := 0; i < 2; i++ {
			r = v2(t, s, "test.list", "")
			if r.status != 200 || num(t, path(r.body, "time", "operating")) > 0.01 {
				t.Fatalf("other method, call %d: %d %s", i, r.status, r.raw)
			}
		}
		// The budget comes back when the oldest buckets expire.
		time.Sleep(t0.Add(63 * time.Second).Sub(time.Now()))
		if r := v2(t, s, "test.heavy", ""); r.status != 200 {
			t.Fatalf("after the window: %d %s", r.status, r.raw)
		}
	}, WithTimeScale(10))
}

func TestLatencyModel(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		before := time.Now()
		r := v2(t, s, "test.list", `{"start":50}`)
		// 20 ms + 50 rows × 50 µs + 120 counted × 20 µs + 50 skipped × 2 µs.
		want := 20*time.Millisecond + 50*50*time.Microsecond + 120*20*time.Microsecond + 50*2*time.Microsecond
		if el := time.Since(before); el != want {
			t.Errorf("took %v, want %v", el, want)
		}
		if p := num(t, path(r.body, "time", "processing")); p != want.Seconds() {
			t.Errorf("processing %v, want %v", p, want.Seconds())
		}
		if d := num(t, path(r.body, "time", "duration")); d != want.Seconds() {
			t.Errorf("duration %v, want %v", d, want.Seconds())
		}
		// A write costs 5 ms more; a batch the sum of its commands.
		before = time.Now()
		v2(t, s, "batch", `{"cmd":["test.add","test.add","test.echo"]}`)
		if el, want := time.Since(before), 3*20*time.Millisecond+2*5*time.Millisecond; el != want {
			t.Errorf("batch took %v, want %v", el, want)
		}
	}, WithLegacyTime()) // processing with its fraction, not truncated to the second
	// Time scale 4 divides it.
	bubble(t, func(t *testing.T, s *Server) {
		before := time.Now()
		v2(t, s, "test.add", "")
		if el := time.Since(before); el != 25*time.Millisecond/4 {
			t.Errorf("K=4 write took %v", el)
		}
	}, WithTimeScale(4))
}

func TestCutOff(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		before := time.Now()
		r := v2(t, s, "test.heavy", "") // 1e6 × 100 µs = 100 s
		if r.status != 504 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("status %d %s", r.status, r.raw)
		}
		if el := time.Since(before); el != 60*time.Second {
			t.Errorf("cut off after %v", el)
		}
		// A batch is cut off as well, after the commands that fit.
		before = time.Now()
		r = v2(t, s, "batch", `{"cmd":["test.echo","test.heavy"]}`)
		if r.status != 504 || time.Since(before) != 60*time.Second {
			t.Fatalf("batch: %d after %v", r.status, time.Since(before))
		}
	}, WithLatency(Latency{Request: time.Millisecond, RowCounted: 100 * time.Microsecond}), WithoutLimits())
}

// billingLatency makes test.heavy cost (20 ms + 5 s) / 10 = 0.502 s at K = 10.
var billingLatency = Latency{Request: 20 * time.Millisecond, RowCounted: 5 * time.Microsecond}

func approx(a, b float64) bool { return fmt.Sprintf("%.6f", a) == fmt.Sprintf("%.6f", b) }

func TestBatchBilling(t *testing.T) {
	// K = 10 and an operating limit of 30 s: 3 s once scaled.
	opts := []Option{WithTimeScale(10), WithLatency(billingLatency)}
	t.Run("as batch", func(t *testing.T) {
		bubble(t, func(t *testing.T, s *Server) {
			r := v2(t, s, "batch", `{"cmd":{"a":"test.heavy","b":"test.heavy","c":"test.echo"}}`)
			want := 2*0.502 + 0.002
			for _, k := range []string{"a", "b", "c"} {
				if op := num(t, path(r.body, "result", "result_time", k, "operating")); !approx(op, want) {
					t.Errorf("%s: operating %v, want %v", k, op, want)
				}
			}
			if op := num(t, path(r.body, "time", "operating")); !approx(op, want) {
				t.Errorf("envelope operating %v", op)
			}
			// test.heavy's own budget is untouched.
			r = v2(t, s, "test.heavy", "")
			if op := num(t, path(r.body, "time", "operating")); !approx(op, 0.502) {
				t.Errorf("test.heavy budget %v, want 0.502", op)
			}
		}, append(opts, WithLimits(Limits{OperatingLimit: 30 * time.Second}))...)
	})
	t.Run("per command", func(t *testing.T) {
		bubble(t, func(t *testing.T, s *Server) {
			r := v2(t, s, "batch", `{"cmd":["test.heavy","test.heavy","test.heavy","test.heavy","test.heavy","test.heavy","test.heavy","test.echo"]}`)
			// The check before each command sees only stored time: the
			// whole batch runs (3.514 s > 3 s) and is stored when it ends.
			for i := 0; i < 7; i++ {
				if op := num(t, path(r.body, "result", "result_time", fmt.Sprint(i), "operating")); !approx(op, 0.502*float64(i+1)) {
					t.Errorf("command %d: operating %v", i, op)
				}
			}
			if op := num(t, path(r.body, "time", "operating")); op != 0 {
				t.Errorf("batch's own budget %v, want 0", op)
			}
			r = v2(t, s, "batch", `{"cmd":["test.heavy","test.echo"]}`)
			if got := path(r.body, "result", "result_error", "0", "error"); got != "OPERATION_TIME_LIMIT" {
				t.Errorf("next batch's test.heavy: %v (%s)", got, r.raw)
			}
			if path(r.body, "result", "result", "1") == nil {
				t.Errorf("another method was refused")
			}
		}, append(opts, WithLimits(Limits{OperatingLimit: 30 * time.Second, BatchPerCommand: true}))...)
	})
	t.Run("batch refused as a whole", func(t *testing.T) {
		bubble(t, func(t *testing.T, s *Server) {
			body := `{"cmd":["test.heavy","test.heavy","test.heavy","test.heavy","test.heavy","test.heavy"]}`
			if r := v2(t, s, "batch", body); r.status != 200 {
				t.Fatalf("first batch %d", r.status)
			}
			if r := v2(t, s, "batch", body); r.status != 429 || r.errCode() != "OPERATION_TIME_LIMIT" {
				t.Fatalf("second batch %d %s", r.status, r.raw)
			}
			if r := v3(t, s, "batch", `[{"method":"test.echo"}]`); r.status != 429 || r.errCode() != "BITRIX_REST_V3_EXCEPTION_RATELIMITEXCEPTION" {
				t.Fatalf("v3 batch %d %s", r.status, r.raw)
			}
		}, append(opts, WithLimits(Limits{OperatingLimit: 30 * time.Second}))...)
	})
}
