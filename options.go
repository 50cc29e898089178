package b24

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/b24go/b24/limit"
)

// Defaults of a Hook's options.
const (
	// DefaultTimeout bounds one HTTP attempt. It is above the portal's own
	// 60 s cut-off, so that the portal, not the client, ends a slow request.
	DefaultTimeout = 90 * time.Second
	// DefaultMaxResponseSize bounds a response body: room for 2,500 full CRM
	// rows (a chained batch of 50 list pages).
	DefaultMaxResponseSize = 64 << 20
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
