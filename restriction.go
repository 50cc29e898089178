package b24

import (
	"errors"
	"fmt"
	"time"
)

// RestrictionParams configure how a Hook paces and retries its requests: the
// counterpart of the JS SDK's restriction parameters (rate limit, operating
// limit, adaptive delay, retries).
//
// A zero field means "the default": Merge fills it from StandardPlan, so a
// zero Operating.Margin or Retry.MaxRefusalWait takes the default (5 s, 10
// min) although Validate accepts 0; for none, set a tiny value such as
// time.Nanosecond (with a MaxRefusalWait of 1 ns a refused call is sent once
// more, after the limiter's wait, and then given up). Values are
// validated when a Hook is built (WithRestrictionParams) or changed
// (Hook.SetRestrictionParams); an invalid set is rejected whole.
type RestrictionParams struct {
	RateLimit RateLimit
	Operating OperatingLimit
	Adaptive  AdaptiveDelay
	Retry     RetryPolicy
}

// RateLimit mirrors the portal's request bucket: Burst requests at once, then
// Drain requests a second.
//
// The bucket is the portal's, shared by every integration that calls it;
// other clients drain it without sharing this limiter. Unless Fixed, the
// in-memory limiter adapts to them as the reference SDK's RateLimiter does:
// when 5 requests it admitted are refused with 503 QUERY_LIMIT_EXCEEDED
// within RefusalWindow, it takes the capacity left to it to be lower and
// multiplies its burst and drain rate by 0.8 (not below 5 requests and
// 30 requests per RefusalWindow, that is 0.5 a second with the default
// window, nor below Burst and Drain themselves); after 20 requests accepted
// since the last refusal, with at most 2 refusals within RefusalWindow, it
// multiplies them by 1.1, up to Burst and Drain. See NewLimiter.
type RateLimit struct {
	Burst int     // X: 50 on most plans, 250 on Enterprise
	Drain float64 // Y, requests a second: 2 on most plans, 5 on Enterprise
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
	// BatchBilledAsBatch charges a whole batch to the method "batch", taking the
	// largest operating figure of the envelope and its sub-results (they repeat
	// the same running figure; they are never summed). Current cloud portals
	// bill this way.
	BatchBilledAsBatch BatchBilling = iota
	// BatchBilledPerCommand charges each command to its own method, as the
	// documentation and older portals describe.
	BatchBilledPerCommand
)

// OperatingLimit mirrors the portal's per-method budget of server time.
type OperatingLimit struct {
	Limit  time.Duration // L: 480 s
	Window time.Duration // W: 600 s
	// Margin is kept free below Limit, so that a call that crosses the limit
	// after the last report does not earn a 429. Default 5 s.
	Margin       time.Duration
	BatchBilling BatchBilling
}

// AdaptiveDelay slows calls of a method down as its operating budget fills,
// before the limit is reached (the reference SDK's AdaptiveDelayer).
//
// It is off by default, unlike in the reference SDK. There it is the only
// guard against crossing the limit with calls in flight; here every call in
// flight holds a reservation of its expected cost, so a limiter's own calls
// never earn a 429 (see NewLimiter), and the delay would only slow a job that
// fits in the budget: a 1,000,000-row export using 94 % of it took 12 % longer
// with the delay on (bench/README.md). Turn it on to leave the last part of a
// method's budget to other clients of the same webhook that do not share the
// limiter (another program, another machine without redislimit), or use
// BatchProcessingPlan, which turns it on from half the budget.
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

// RetryPolicy bounds retries. Refusals before execution (503
// QUERY_LIMIT_EXCEEDED, any 429) are waited out and retried without using up
// attempts, for at most MaxRefusalWait in total (a list walk's commands
// refused inside a batch too, counted from the first refusal); other retryable failures use
// attempts. The wait before retry n (1-based) is drawn uniformly between half
// and all of min(MaxDelay, BaseDelay×2^(n−1)): 0.5–1 s, then 1–2 s, 2–4 s, ...
// by default. A Retry-After header wins when sent (capped at the larger of
// MaxRefusalWait and MaxDelay; after a refusal, at Operating.Window).
type RetryPolicy struct {
	MaxAttempts    int           // attempts in total, including the first; default 3
	BaseDelay      time.Duration // default 1 s
	MaxDelay       time.Duration // default 30 s
	MaxRefusalWait time.Duration // default 10 min
	// RequestCutoff is the portal's request wall time (default 60 s): a
	// batch's ambiguous writes are read back only after it has passed
	// since the request was sent (BatchByChunk; WithRequestCutoff wins).
	RequestCutoff time.Duration
}

// StandardPlan returns the defaults for every plan but Enterprise: bucket 50,
// 2 requests a second, lowered after repeated 503s over 60 s (see RateLimit),
// 480 s of operating time per 600 s. The adaptive delay's figures are the
// reference SDK's (from 80 %, coefficient 0.01, at most 7 s), but it is off
// (see AdaptiveDelay).
func StandardPlan() RestrictionParams {
	return RestrictionParams{
		RateLimit: RateLimit{Burst: 50, Drain: 2, RefusalWindow: time.Minute},
		Operating: OperatingLimit{Limit: 480 * time.Second, Window: 600 * time.Second, Margin: 5 * time.Second},
		Adaptive:  AdaptiveDelay{Threshold: 0.8, Coefficient: 0.01, MaxDelay: 7 * time.Second},
		Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 30 * time.Second, MaxRefusalWait: 10 * time.Minute,
			RequestCutoff: DefaultRequestCutoff},
	}
}

// EnterprisePlan returns the Enterprise defaults: bucket 250, 5 requests a
// second; the operating budget is the same as on other plans.
func EnterprisePlan() RestrictionParams {
	p := StandardPlan()
	p.RateLimit.Burst, p.RateLimit.Drain = 250, 5
	return p
}

// BatchProcessingPlan returns the reference SDK's preset for background bulk
// work that shares its webhook with other clients: a bucket of 30 drained at
// 1 request a second, the adaptive delay on from 50 % of a method's budget
// (coefficient 0.015, at most 10 s), and 5 attempts.
func BatchProcessingPlan() RestrictionParams {
	p := StandardPlan()
	p.RateLimit.Burst, p.RateLimit.Drain = 30, 1
	p.Adaptive = AdaptiveDelay{Enabled: true, Threshold: 0.5, Coefficient: 0.015, MaxDelay: 10 * time.Second}
	p.Retry.MaxAttempts = 5
	return p
}

// RealtimePlan returns the reference SDK's preset for interactive calls: the
// Standard limits, no adaptive delay, and a single attempt (a failure is
// reported at once instead of retried). Refusals before execution (503, 429)
// are still waited out within Retry.MaxRefusalWait.
func RealtimePlan() RestrictionParams {
	p := StandardPlan()
	p.Adaptive = AdaptiveDelay{Threshold: 1, Coefficient: 0.001, MaxDelay: 480 * time.Second}
	p.Retry.MaxAttempts = 1
	return p
}

// PlanByName returns the preset for a plan name: "enterprise" gives
// EnterprisePlan, any other name (standard, professional, basic, ...) gives
// StandardPlan, as the reference SDK does.
func PlanByName(name string) RestrictionParams {
	if name == "enterprise" || name == "Enterprise" || name == "ENTERPRISE" {
		return EnterprisePlan()
	}
	return StandardPlan()
}

// Merge returns p with every zero field taken from defaults (field by field,
// so a partial nested value keeps the other defaults).
func (p RestrictionParams) Merge(defaults RestrictionParams) RestrictionParams {
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
	orDefault(&p.Retry.MaxAttempts, d.Retry.MaxAttempts)
	orDefault(&p.Retry.BaseDelay, d.Retry.BaseDelay)
	orDefault(&p.Retry.MaxDelay, d.Retry.MaxDelay)
	orDefault(&p.Retry.MaxRefusalWait, d.Retry.MaxRefusalWait)
	orDefault(&p.Retry.RequestCutoff, d.Retry.RequestCutoff)
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
func (p RestrictionParams) Scaled(k float64) RestrictionParams {
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
	p.Retry.BaseDelay = div(p.Retry.BaseDelay)
	p.Retry.MaxDelay = div(p.Retry.MaxDelay)
	p.Retry.MaxRefusalWait = div(p.Retry.MaxRefusalWait)
	p.Retry.RequestCutoff = div(p.Retry.RequestCutoff)
	return p
}

// Validate reports the first invalid field of p, which must be complete (see Merge).
func (p RestrictionParams) Validate() error {
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
	if p.Operating.BatchBilling != BatchBilledAsBatch && p.Operating.BatchBilling != BatchBilledPerCommand {
		bad("unknown batch billing %d", p.Operating.BatchBilling)
	}
	if !(p.Adaptive.Threshold > 0 && p.Adaptive.Threshold <= 1) {
		bad("adaptive threshold must be in (0, 1], got %v", p.Adaptive.Threshold)
	}
	if !(p.Adaptive.Coefficient > 0) || p.Adaptive.MaxDelay < 0 {
		bad("adaptive coefficient must be positive and max delay at least 0")
	}
	if p.Retry.MaxAttempts < 1 {
		bad("retry max attempts must be at least 1, got %d", p.Retry.MaxAttempts)
	}
	if p.Retry.BaseDelay <= 0 || p.Retry.MaxDelay < p.Retry.BaseDelay {
		bad("retry delays must satisfy 0 < base <= max, got %v and %v", p.Retry.BaseDelay, p.Retry.MaxDelay)
	}
	if p.Retry.MaxRefusalWait < 0 {
		bad("retry max refusal wait must be at least 0, got %v", p.Retry.MaxRefusalWait)
	}
	if p.Retry.RequestCutoff < 0 {
		bad("request cut-off must be at least 0, got %v", p.Retry.RequestCutoff)
	}
	if len(errs) > 0 {
		return fmt.Errorf("b24: invalid restriction params: %w", errors.Join(errs...))
	}
	return nil
}
