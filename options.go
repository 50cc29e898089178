package b24

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/b24go/b24/limit"
)

// Defaults and bounds of a Hook's options, and the SDK's version.
const (
	// DefaultTimeout bounds one HTTP attempt. It is above the portal's own
	// 60 s cut-off, so that the portal, not the client, ends a slow request.
	DefaultTimeout = 90 * time.Second
	// DefaultMaxResponseSize bounds a response body: room for 2,500 full CRM
	// rows (a chained batch of 50 list pages).
	DefaultMaxResponseSize = 64 << 20
	// Version is the SDK's version, sent in the User-Agent header.
	Version = "0.1.0"
	// MaxConcurrency is the largest WithConcurrency.
	MaxConcurrency = 64
	// MaxLastErrors is how many errors Stats.LastErrors keeps.
	MaxLastErrors = 100
	// MaxPageSize is the largest WithPageSize: the portal's REST v3 maximum.
	MaxPageSize = 1000
)

// Option configures a Hook at construction. Options validate their input: New
// and FromWebhookURL fail with a clear error on a bad value.
type Option func(*config) error

type config struct {
	httpClient      *http.Client
	logger          *slog.Logger
	params          RestrictionParams
	limiter         limit.Limiter
	userAgent       string
	timeout         time.Duration
	maxResponseSize int64
}

// WithHTTPClient sets the HTTP client whose transport carries the requests.
// The client is copied, never modified; its redirect policy is replaced in
// the copy, because a webhook's secret must not follow a redirect to another
// host.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return invalidOption("WithHTTPClient", "nil", "a client is required")
		}
		cp := *c
		cfg.httpClient = &cp
		return nil
	}
}

// WithLogger sets the structured logger. The default discards everything.
// Debug: one line per attempt; Warn: retries, long waits and a call giving
// up after retrying. The secret and request parameters are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			return invalidOption("WithLogger", "nil", "a logger is required")
		}
		cfg.logger = l
		return nil
	}
}

// WithRestrictionParams sets the pacing and retry parameters. Zero fields take
// the defaults of StandardPlan; the result is validated.
func WithRestrictionParams(p RestrictionParams) Option {
	return func(cfg *config) error {
		m := p.Merge(DefaultRestrictionParams())
		if err := m.Validate(); err != nil {
			return fmt.Errorf("%w: WithRestrictionParams: %w", ErrInvalidOption, err)
		}
		cfg.params = m
		return nil
	}
}

// WithLimiter sets the limiter that paces requests. Give several hooks of one
// portal the same limiter so that they share its budget; give hooks in
// several processes a redislimit.Limiter. By default each Hook builds its own
// in-memory limiter from its restriction parameters.
func WithLimiter(l limit.Limiter) Option {
	return func(cfg *config) error {
		if l == nil {
			return invalidOption("WithLimiter", "nil", "a limiter is required")
		}
		cfg.limiter = l
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default "b24-go/<Version>").
func WithUserAgent(ua string) Option {
	return func(cfg *config) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return invalidOption("WithUserAgent", fmt.Sprintf("%q", ua), "empty or multi-line user agent")
		}
		cfg.userAgent = ua
		return nil
	}
}

// WithTimeout bounds each HTTP attempt (default DefaultTimeout). The context
// passed to a call bounds the whole call, waits and retries included.
func WithTimeout(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return invalidOption("WithTimeout", d, "must be positive")
		}
		cfg.timeout = d
		return nil
	}
}

// WithMaxResponseSize bounds the size of a response body (default
// DefaultMaxResponseSize). A larger body fails the call with ErrResponseTooLarge.
func WithMaxResponseSize(n int64) Option {
	return func(cfg *config) error {
		if n < 1024 {
			return invalidOption("WithMaxResponseSize", n, "at least 1024 bytes")
		}
		cfg.maxResponseSize = n
		return nil
	}
}

// CallOption configures one call. A bad value fails the call with an error
// wrapping ErrInvalidOption before anything is sent.
type CallOption func(*callConfig) error

type callConfig struct {
	timeout        time.Duration
	requestID      string
	idempotent     bool
	idempotencyKey string
	onSend         func(time.Time) // told when each attempt is sent (BatchByChunk's read-back)
}

// withOnSend tells f when each attempt of the call is sent, after any
// function set before.
func withOnSend(f func(time.Time)) CallOption {
	return func(c *callConfig) error {
		if prev := c.onSend; prev != nil {
			c.onSend = func(t time.Time) { prev(t); f(t) }
		} else {
			c.onSend = f
		}
		return nil
	}
}

// WithOnSend calls f, in the calling goroutine, right before each attempt
// of the call is sent (after the limiter's wait), with the time: the
// portal's request cut-off runs from it, so a journal that records it knows
// when a lost write may still be running. It must not be nil.
func WithOnSend(f func(time.Time)) CallOption {
	if f == nil {
		return func(*callConfig) error { return invalidOption("WithOnSend", "nil", "a function is required") }
	}
	return withOnSend(f)
}

// applyCallOptions applies opts to cc; nil options are skipped.
func applyCallOptions(cc *callConfig, opts []CallOption) error {
	for _, o := range opts {
		if o != nil {
			if err := o(cc); err != nil {
				return err
			}
		}
	}
	return nil
}

// WithCallTimeout bounds each attempt of this call, instead of the hook's
// timeout. It must be positive.
func WithCallTimeout(d time.Duration) CallOption {
	return func(c *callConfig) error {
		if d <= 0 {
			return invalidOption("WithCallTimeout", d, "must be positive")
		}
		c.timeout = d
		return nil
	}
}

// WithRequestID sets the X-Request-ID of this call (default: a new UUIDv7).
// Every attempt of the call carries the same id. It must be 1-128 printable
// ASCII characters.
func WithRequestID(id string) CallOption {
	return func(c *callConfig) error {
		if err := checkHeaderToken("WithRequestID", id); err != nil {
			return err
		}
		c.requestID = id
		return nil
	}
}

// WithIdempotent(true) marks the call safe to repeat: it is retried after
// failures that may have happened after the portal ran it, like a read.
func WithIdempotent(on bool) CallOption {
	return func(c *callConfig) error { c.idempotent = on; return nil }
}

// WithIdempotencyKey sets the Idempotency-Key of a REST v3 write (default: a
// new UUIDv7 per call). Every retry of the call reuses it, so the portal runs
// the write at most once. Ignored on REST v2, which has no such header. It
// must be 1-128 printable ASCII characters.
func WithIdempotencyKey(key string) CallOption {
	return func(c *callConfig) error {
		if err := checkHeaderToken("WithIdempotencyKey", key); err != nil {
			return err
		}
		c.idempotencyKey = key
		return nil
	}
}

// checkHeaderToken accepts 1-128 printable ASCII characters (a header value).
func checkHeaderToken(name, v string) error {
	if v == "" || len(v) > 128 {
		return invalidOption(name, fmt.Sprintf("%q", v), "must be 1-128 characters")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return invalidOption(name, fmt.Sprintf("%q", v), "must be printable ASCII")
		}
	}
	return nil
}

// invalidOption reports a bad value of the option named name.
func invalidOption(name string, value any, why string) error {
	return fmt.Errorf("%w: %s(%v): %s", ErrInvalidOption, name, value, why)
}

// ConcurrencyOption is the one parallelism option, both a ListOption and a
// BatchOption (see WithConcurrency).
type ConcurrencyOption struct{ n int }

// WithConcurrency sets how many requests of a list walk or a BatchByChunk
// may be in flight at once; it must be in [1, MaxConcurrency].
//
// For a list walk (default 1) the walk first probes the smallest and
// largest id of the range (one request), then cuts the range into shards
// sized by the density of ids it observes, and walks n of them
// concurrently. Rows still arrive in id order unless WithUnordered(true);
// memory stays bounded by a window of about 2n shards.
//
// For BatchByChunk (default DefaultChunkConcurrency; 1 is sequential) it
// keeps the request bucket busy when a request takes longer than the
// bucket's drain interval. On the Standard plan, batches of 50 writes keep
// the bucket busy from 8.
//
// Every request is paced by the hook's one limiter, so more concurrency
// never earns a refusal; above about 4 a list walk gets no faster.
func WithConcurrency(n int) ConcurrencyOption { return ConcurrencyOption{n} }

func (o ConcurrencyOption) check() error {
	if o.n < 1 || o.n > MaxConcurrency {
		return invalidOption("WithConcurrency", o.n, fmt.Sprintf("must be in [1, %d]", MaxConcurrency))
	}
	return nil
}

func (o ConcurrencyOption) applyList(c *listConfig) error {
	if err := o.check(); err != nil {
		return err
	}
	c.walk.Shards = o.n
	return nil
}

func (o ConcurrencyOption) applyBatch(c *batchConfig) error {
	if err := o.check(); err != nil {
		return err
	}
	c.concurrency = o.n
	return nil
}

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
