package limit

import (
	"errors"
	"fmt"
	"time"
)

// Params are the limits a Limiter paces requests by: the portal's request
// bucket, its operating budget, and an optional adaptive delay. A zero field
// means "the default": Merge fills it from StandardPlan. Validate reports a
// bad value; New and SetParams reject an invalid set whole.
type Params struct {
	RateLimit RateLimit
	Operating OperatingLimit
	Adaptive  AdaptiveDelay
}

// RateLimit mirrors the portal's request bucket: Burst requests at once, then
// Drain requests a second. Unless Fixed, the in-memory limiter lowers both
// after repeated 503s, as the reference SDK does, because other clients
// drain the same bucket (docs/limits.md).
type RateLimit struct {
	Burst int     // the bucket's size: 50 on most plans, 250 on Enterprise
	Drain float64 // requests a second: 2 on most plans, 5 on Enterprise
	// Fixed keeps Burst and Drain whatever the refusals (no adaptation):
	// for a portal no other client calls, or a test that injects 503s and
	// measures throughput. The zero value adapts, as the reference SDK does.
	Fixed bool
	// RefusalWindow is how long a refusal counts toward lowering the
	// limits; Scaled divides it. Default 60 s.
	RefusalWindow time.Duration
}

// BatchBilling says which operating budget a batch is charged to.
type BatchBilling int

const (
	// BatchBilledDetect (the zero value) finds the billing from the answers:
	// sub-results with different figures are billed per command, sub-results
	// that all carry the envelope's figure as a batch. Until an answer tells,
	// a batch is charged to "batch".
	BatchBilledDetect BatchBilling = iota
	// BatchBilledAsBatch charges a whole batch to the method "batch", taking the
	// largest operating figure of the envelope and its sub-results (they repeat
	// the same running figure; they are never summed). Current cloud portals
	// bill this way.
	BatchBilledAsBatch
	// BatchBilledPerCommand charges each command to its own method, as the
	// documentation and older portals describe.
	BatchBilledPerCommand
)

// OperatingLimit mirrors the portal's per-method budget of server time.
type OperatingLimit struct {
	Limit  time.Duration // server time allowed per window: 480 s
	Window time.Duration // the sliding window: 600 s
	// Margin is kept free below Limit, so that a call that crosses the limit
	// after the last report does not earn a 429. Default 5 s.
	Margin       time.Duration
	BatchBilling BatchBilling
}

// AdaptiveDelay slows calls of a method down as its operating budget fills
// (the reference SDK's AdaptiveDelayer). It is off by default: every call in
// flight here holds a reservation of its expected cost, so the limiter's own
// calls never cross the limit; turn it on to leave the last part of a budget
// to other clients of the webhook that do not share the limiter.
type AdaptiveDelay struct {
	Enabled bool
	// Threshold is the fraction of Limit (0 < Threshold <= 1) above which each
	// call of the method waits Coefficient × (time until the budget's reset) ×
	// a ramp that grows linearly from 0 at the threshold to 1 at the limit, at
	// most MaxDelay. Defaults 0.8, 0.01 and 7 s.
	Threshold   float64
	Coefficient float64
	MaxDelay    time.Duration
}

// StandardPlan returns the defaults for every plan but Enterprise: bucket 50,
// 2 requests a second, 480 s of operating time per 600 s. The adaptive
// delay's figures are the reference SDK's, but it is off (see AdaptiveDelay).
func StandardPlan() Params {
	return Params{
		RateLimit: RateLimit{Burst: 50, Drain: 2, RefusalWindow: time.Minute},
		Operating: OperatingLimit{Limit: 480 * time.Second, Window: 600 * time.Second, Margin: 5 * time.Second},
		Adaptive:  AdaptiveDelay{Threshold: 0.8, Coefficient: 0.01, MaxDelay: 7 * time.Second},
	}
}

// EnterprisePlan returns the Enterprise defaults: bucket 250, 5 requests a
// second; the operating budget is the same as on other plans.
func EnterprisePlan() Params {
	p := StandardPlan()
	p.RateLimit.Burst, p.RateLimit.Drain = 250, 5
	return p
}

// BatchProcessingPlan returns the reference SDK's preset for background bulk
// work that shares its webhook with other clients: a bucket of 30 drained at
// 1 request a second, the adaptive delay on from 50 % of a method's budget
// (coefficient 0.015, at most 10 s). The reference SDK's preset also makes 5
// attempts: that is b24.RetryPolicy's part.
func BatchProcessingPlan() Params {
	p := StandardPlan()
	p.RateLimit.Burst, p.RateLimit.Drain = 30, 1
	p.Adaptive = AdaptiveDelay{Enabled: true, Threshold: 0.5, Coefficient: 0.015, MaxDelay: 10 * time.Second}
	return p
}

// RealtimePlan returns the reference SDK's preset for interactive calls: the
// Standard limits and no adaptive delay. Its single attempt is
// b24.RetryPolicy's part (MaxAttempts: 1).
func RealtimePlan() Params {
	p := StandardPlan()
	p.Adaptive = AdaptiveDelay{Threshold: 1, Coefficient: 0.001, MaxDelay: 480 * time.Second}
	return p
}

// PlanByName returns the preset for a plan name: "enterprise" gives
// EnterprisePlan, any other name (standard, professional, basic, ...) gives
// StandardPlan, as the reference SDK does.
func PlanByName(name string) Params {
	if name == "enterprise" || name == "Enterprise" || name == "ENTERPRISE" {
		return EnterprisePlan()
	}
	return StandardPlan()
}

// Merge returns p with every zero field taken from defaults (field by field,
// so a partial nested value keeps the other defaults).
func (p Params) Merge(defaults Params) Params {
	d := defaults
	orDefault(&p.RateLimit.Burst, d.RateLimit.Burst)
	orDefault(&p.RateLimit.Drain, d.RateLimit.Drain)
	orDefault(&p.RateLimit.Fixed, d.RateLimit.Fixed)
	orDefault(&p.RateLimit.RefusalWindow, d.RateLimit.RefusalWindow)
	orDefault(&p.Operating.Limit, d.Operating.Limit)
	orDefault(&p.Operating.Window, d.Operating.Window)
	orDefault(&p.Operating.Margin, d.Operating.Margin)
	orDefault(&p.Adaptive.Enabled, d.Adaptive.Enabled)
	orDefault(&p.Adaptive.Threshold, d.Adaptive.Threshold)
	orDefault(&p.Adaptive.Coefficient, d.Adaptive.Coefficient)
	orDefault(&p.Adaptive.MaxDelay, d.Adaptive.MaxDelay)
	return p
}

// orDefault sets *v to d when *v is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Scaled returns p for a portal whose clock runs k times faster (the fake
// portal's time scale): every duration is divided by k and the drain rate
// multiplied by k; the bucket size is unchanged.
func (p Params) Scaled(k float64) Params {
	if k <= 0 || k == 1 {
		return p
	}
	div := func(d time.Duration) time.Duration { return time.Duration(float64(d) / k) }
	p.RateLimit.Drain *= k
	p.RateLimit.RefusalWindow = div(p.RateLimit.RefusalWindow)
	p.Operating.Limit = div(p.Operating.Limit)
	p.Operating.Window = div(p.Operating.Window)
	p.Operating.Margin = div(p.Operating.Margin)
	p.Adaptive.MaxDelay = div(p.Adaptive.MaxDelay)
	return p
}

// ErrInvalidParams is wrapped by the error of New, SetParams and Validate
// for limits that are out of range (errors.Is).
var ErrInvalidParams = errors.New("limit: invalid params")

// Validate reports the invalid fields of p, which must be complete (see Merge).
func (p Params) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.RateLimit.Burst < 1 {
		bad("rate limit burst must be at least 1, got %d", p.RateLimit.Burst)
	}
	if !(p.RateLimit.Drain > 0) || p.RateLimit.Drain > 1e6 {
		bad("rate limit drain must be a positive number of requests a second, at most 1e6, got %v", p.RateLimit.Drain)
	}
	if p.RateLimit.RefusalWindow <= 0 {
		bad("rate limit refusal window must be positive, got %v", p.RateLimit.RefusalWindow)
	}
	if p.Operating.Limit <= 0 || p.Operating.Window <= 0 {
		bad("operating limit and window must be positive, got %v per %v", p.Operating.Limit, p.Operating.Window)
	}
	if p.Operating.Margin < 0 || p.Operating.Margin >= p.Operating.Limit {
		bad("operating margin must be at least 0 and below the limit, got %v", p.Operating.Margin)
	}
	if p.Operating.BatchBilling < BatchBilledDetect || p.Operating.BatchBilling > BatchBilledPerCommand {
		bad("unknown batch billing %d", p.Operating.BatchBilling)
	}
	if !(p.Adaptive.Threshold > 0 && p.Adaptive.Threshold <= 1) {
		bad("adaptive threshold must be in (0, 1], got %v", p.Adaptive.Threshold)
	}
	if !(p.Adaptive.Coefficient > 0) || p.Adaptive.MaxDelay < 0 {
		bad("adaptive coefficient must be positive and max delay at least 0")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidParams, errors.Join(errs...))
	}
	return nil
}
