package limit

import (
	"errors"
	"testing"
	"time"
)

// TestPlans: the reference SDK's ParamsFactory presets, but for the adaptive
// delay, which is off unless a preset turns it on (AdaptiveDelay); Merge,
// Scaled and Validate field by field.
func TestPlans(t *testing.T) {
	t.Parallel()
	off := AdaptiveDelay{false, 0.8, 0.01, 7 * time.Second}
	for _, tc := range []struct {
		name     string
		p        Params
		rate     RateLimit
		adaptive AdaptiveDelay
	}{
		{"standard", StandardPlan(), RateLimit{Burst: 50, Drain: 2, RefusalWindow: time.Minute}, off},
		{"enterprise", EnterprisePlan(), RateLimit{Burst: 250, Drain: 5, RefusalWindow: time.Minute}, off},
		{"batch processing", BatchProcessingPlan(), RateLimit{Burst: 30, Drain: 1, RefusalWindow: time.Minute}, AdaptiveDelay{true, 0.5, 0.015, 10 * time.Second}},
		{"realtime", RealtimePlan(), RateLimit{Burst: 50, Drain: 2, RefusalWindow: time.Minute}, AdaptiveDelay{false, 1, 0.001, 480 * time.Second}},
		{"by name: enterprise", PlanByName("enterprise"), RateLimit{Burst: 250, Drain: 5, RefusalWindow: time.Minute}, off},
		{"by name: basic", PlanByName("basic"), RateLimit{Burst: 50, Drain: 2, RefusalWindow: time.Minute}, off},
	} {
		if err := tc.p.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.p.RateLimit != tc.rate || tc.p.Adaptive != tc.adaptive ||
			tc.p.Operating.Limit != 480*time.Second || tc.p.Operating.Window != 600*time.Second {
			t.Errorf("%s: %+v", tc.name, tc.p)
		}
		// A complete preset survives the merge a Hook applies.
		if m := tc.p.Merge(StandardPlan()); m != tc.p {
			t.Errorf("%s: merged into %+v", tc.name, m)
		}
	}
}

// TestParamsMerge: every field is merged, a zero bool included; BatchBilling
// is not (its zero value is a choice).
func TestParamsMerge(t *testing.T) {
	t.Parallel()
	if m := (Params{}).Merge(BatchProcessingPlan()); !m.Adaptive.Enabled {
		t.Error("a zero Enabled does not take the defaults' value")
	}
	if m := (Params{RateLimit: RateLimit{Fixed: true}}).Merge(StandardPlan()); !m.RateLimit.Fixed || m.RateLimit.RefusalWindow != time.Minute {
		t.Errorf("merged rate limit %+v", m.RateLimit)
	}
	full := Params{
		RateLimit: RateLimit{Burst: 7, Drain: 3, Fixed: true, RefusalWindow: 11 * time.Second},
		Operating: OperatingLimit{Limit: 13 * time.Second, Window: 17 * time.Second, Margin: 19 * time.Millisecond, BatchBilling: BatchBilledPerCommand},
		Adaptive:  AdaptiveDelay{Enabled: true, Threshold: 0.3, Coefficient: 0.7, MaxDelay: 23 * time.Millisecond},
	}
	want := full
	want.Operating.BatchBilling = BatchBilledDetect
	if m := (Params{}).Merge(full); m != want {
		t.Errorf("zero params merged into %+v, want %+v", m, want)
	}
	s := StandardPlan().Scaled(10)
	if s.RateLimit != (RateLimit{Burst: 50, Drain: 20, RefusalWindow: 6 * time.Second}) || s.Operating.Limit != 48*time.Second ||
		s.Operating.Window != time.Minute || s.Operating.Margin != 500*time.Millisecond || s.Adaptive.MaxDelay != 700*time.Millisecond {
		t.Fatalf("scaled %+v", s)
	}
}

// TestParamsValidate: each bad field is reported, wrapping ErrInvalidParams.
func TestParamsValidate(t *testing.T) {
	t.Parallel()
	for name, bad := range badParams {
		err := bad.Merge(StandardPlan()).Validate()
		if !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%s: Validate = %v, want ErrInvalidParams", name, err)
		}
	}
}
