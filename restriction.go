package b24

import (
	"errors"
	"fmt"
	"time"

	"github.com/b24go/b24/limit"
)

// RestrictionParams are a Hook's pacing and retry parameters, the JS SDK's
// restriction parameters: the limits its limiter follows (package limit) and
// the retry policy. A zero field takes its default (DefaultRestrictionParams);
// the merged set is validated when a Hook is built or changed, and an invalid
// one is rejected whole.
type RestrictionParams struct {
	limit.Params
	Retry RetryPolicy
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

// defaultRetry returns the retry defaults: 3 attempts, backoff from 1 s
// to 30 s, refusals waited out for up to 10 min, a 60 s request cut-off.
func defaultRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 30 * time.Second,
		MaxRefusalWait: 10 * time.Minute, RequestCutoff: DefaultRequestCutoff}
}

// DefaultRestrictionParams returns a Hook's parameters when none are given:
// limit.StandardPlan and the defaults of RetryPolicy.
func DefaultRestrictionParams() RestrictionParams {
	return RestrictionParams{Params: limit.StandardPlan(), Retry: defaultRetry()}
}

// Merge returns p with every zero field taken from defaults (field by field).
func (p RestrictionParams) Merge(defaults RestrictionParams) RestrictionParams {
	p.Params = p.Params.Merge(defaults.Params)
	r, d := &p.Retry, defaults.Retry
	for _, f := range []struct{ v, d *time.Duration }{{&r.BaseDelay, &d.BaseDelay}, {&r.MaxDelay, &d.MaxDelay},
		{&r.MaxRefusalWait, &d.MaxRefusalWait}, {&r.RequestCutoff, &d.RequestCutoff}} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = d.MaxAttempts
	}
	return p
}

// Scaled returns p for a portal whose clock runs k times faster (the fake
// portal's time scale): the limits as limit.Params.Scaled, every retry
// duration divided by k.
func (p RestrictionParams) Scaled(k float64) RestrictionParams {
	if k <= 0 || k == 1 {
		return p
	}
	p.Params = p.Params.Scaled(k)
	r := &p.Retry
	for _, d := range []*time.Duration{&r.BaseDelay, &r.MaxDelay, &r.MaxRefusalWait, &r.RequestCutoff} {
		*d = time.Duration(float64(*d) / k)
	}
	return p
}

// Validate reports the invalid fields of p, which must be complete (see Merge).
func (p RestrictionParams) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := p.Params.Validate(); err != nil {
		errs = append(errs, err)
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
