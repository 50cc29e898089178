package b24

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/limit"
)

// TestSetParams applies new limits to later requests.
func TestSetParams(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := scriptedHook(t, &scriptTransport{}, WithRestrictionParams(RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 2, Drain: 1}}}))
		if err := h.SetRestrictionParams(RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: -5}}}); err == nil {
			t.Fatal("invalid params accepted")
		}
		if h.RestrictionParams().RateLimit.Burst != 2 {
			t.Fatal("invalid params partly applied")
		}
		if err := h.SetRestrictionParams(RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 2, Drain: 10}}}); err != nil {
			t.Fatal(err)
		}
		if got := h.RestrictionParams(); got.RateLimit.Drain != 10 || got.Retry.MaxAttempts != 3 {
			t.Fatalf("params %+v not merged with defaults", got)
		}
		start := time.Now()
		for range 4 {
			if _, err := h.Call(t.Context(), "server.time", nil); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Fatalf("4 calls took %v, want 3 × 100ms at the new rate", d)
		}
	})
}

// TestRestrictionParams: a Hook's parameters merge and validate the limits
// and the retry policy together.
func TestRestrictionParams(t *testing.T) {
	t.Parallel()
	d := DefaultRestrictionParams()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Params != limit.StandardPlan() || d.Retry.MaxAttempts != 3 || d.Retry.RequestCutoff != DefaultRequestCutoff {
		t.Fatalf("defaults %+v", d)
	}
	full := RestrictionParams{Params: limit.EnterprisePlan(),
		Retry: RetryPolicy{MaxAttempts: 29, BaseDelay: 31 * time.Millisecond, MaxDelay: 37 * time.Millisecond,
			MaxRefusalWait: 41 * time.Millisecond, RequestCutoff: 43 * time.Millisecond}}
	if m := (RestrictionParams{}).Merge(full); m != full {
		t.Errorf("zero params merged into %+v, want %+v", m, full)
	}
	if m := (RestrictionParams{Retry: RetryPolicy{MaxAttempts: 1}}).Merge(d); m.Retry.MaxAttempts != 1 || m.Retry.BaseDelay != time.Second {
		t.Errorf("partial retry merged into %+v", m.Retry)
	}
	s := d.Scaled(10)
	if s.Params != limit.StandardPlan().Scaled(10) || s.Retry.BaseDelay != 100*time.Millisecond || s.Retry.RequestCutoff != 6*time.Second {
		t.Errorf("scaled %+v", s)
	}
	for _, bad := range []RestrictionParams{
		{Params: limit.Params{RateLimit: limit.RateLimit{Burst: -1}}},
		{Retry: RetryPolicy{MaxAttempts: -1}},
		{Retry: RetryPolicy{BaseDelay: time.Minute, MaxDelay: time.Second}},
		{Retry: RetryPolicy{MaxRefusalWait: -1}}, {Retry: RetryPolicy{RequestCutoff: -1}},
	} {
		if bad.Merge(d).Validate() == nil {
			t.Errorf("accepted %+v", bad)
		}
		if _, err := New(HookParams{PortalURL: "https://p.example.com", UserID: 1, Secret: "s"}, WithRestrictionParams(bad)); err == nil {
			t.Errorf("New accepted %+v", bad)
		}
	}
}
