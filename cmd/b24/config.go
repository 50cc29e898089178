package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
	"github.com/b24go/b24/limit"
	"github.com/b24go/b24/redislimit"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

// Exit codes (documented in docs/cli.md and in "b24 help").
const (
	exitOK          = 0   // success
	exitAPI         = 1   // an API, network or I/O error
	exitUsage       = 2   // bad usage or configuration (no webhook, malformed URL, bad flag)
	exitPartial     = 3   // update: some rows failed or stayed ambiguous; batch: some commands failed; list: the list changed under an offset walk
	exitInterrupted = 130 // interrupted (Ctrl-C; SIGTERM is 143, SIGHUP 129: signals.go)
)

// cli is what every command receives: the standard streams, the
// environment and the global flags.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            []string
	name           string // "b24 list", for messages
	g              globals
	root           *cobra.Command // this run's command tree (completion, docs, help)

	// hookOpts are added to every hook built by hook (tests, demo).
	hookOpts []b24.Option

	// closers run when the command ends (the Redis limiter's connection).
	closers []func()

	// lines reads stdin line by line (auth add's secrets), once created.
	lines *bufio.Reader

	// appID is the client id of the application hook built; ident the
	// identity whoAmI found.
	appID string
	ident *identity
}

// close runs the closers, last first.
func (c *cli) close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i]()
	}
	c.closers = nil
}

// getenv returns the last value of key in c.env.
func (c *cli) getenv(key string) string {
	v := ""
	for _, kv := range c.env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// globals are the flags every command that talks to a portal accepts.
type globals struct {
	webhookFile string
	profile     string
	plan        string
	burst       int
	drain       float64
	opLimit     time.Duration
	opWindow    time.Duration
	adaptive    bool
	timeout     time.Duration
	timeScale   float64
	logLevel    string
	logFormat   string
	redis       string
	redisFile   string
	redisFB     bool
	api         string
	quiet       bool
}

func (g *globals) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.profile, "profile", "", "use the webhook of the saved profile `NAME` (b24 auth add NAME)")
	fs.StringVar(&g.webhookFile, "webhook-file", "", "read the webhook URL from this `FILE` (default: $B24_WEBHOOK, then $B24_HOOK)")
	fs.StringVar(&g.plan, "plan", "standard", "the portal's `PLAN`, whose limits pace requests: standard or enterprise")
	fs.IntVar(&g.burst, "burst", 0, "request bucket size `N` (default: the plan's, 50 or 250)")
	fs.Float64Var(&g.drain, "drain", 0, "requests drained a second `R` (default: the plan's, 2 or 5)")
	fs.DurationVar(&g.opLimit, "op-limit", 0, "operating budget per method `D` (default 480s)")
	fs.DurationVar(&g.opWindow, "op-window", 0, "operating window `D` (default 600s)")
	fs.BoolVar(&g.adaptive, "adaptive", false, "slow calls of a method down once 80 % of its operating budget is used, leaving the rest to other clients of the webhook")
	fs.DurationVar(&g.timeout, "timeout", 0, "bound on one HTTP attempt `D` (default 90s)")
	fs.Float64Var(&g.timeScale, "time-scale", 1, "`K` of a fake portal run with --time-scale K: divides every limit, delay and timeout")
	fs.StringVar(&g.logLevel, "log-level", "error", "log `level` on stderr: debug, info, warn or error (warn shows retries, debug every request)")
	fs.StringVar(&g.logFormat, "log-format", "text", "log `format`: text or json")
	fs.StringVar(&g.redis, "redis", "", "share the limiter with other processes through Redis at `URL` (redis://[user:password@]host:port/db; default: $B24_REDIS_URL)")
	fs.StringVar(&g.redisFile, "redis-file", "", "read the --redis URL from this `FILE` (mode 0600: it may hold a password)")
	fs.BoolVar(&g.redisFB, "redis-fallback", false, "when Redis does not answer, pace this process alone instead of failing (with --redis)")
	fs.StringVar(&g.api, "api", "v2", "REST `version`: v2 or v3")
	fs.BoolVar(&g.quiet, "quiet", false, "no progress and no summary on stderr")
}

// usageError is a mistake of the user: exit code 2. err, when set, is its
// class (errors.Is).
type usageError struct {
	msg string
	err error
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// validate checks the global flags that can be checked without a portal.
func (g *globals) validate() error {
	if g.plan != "standard" && g.plan != "enterprise" {
		return usagef("--plan must be standard or enterprise, not %q", g.plan)
	}
	if g.burst < 0 || g.drain < 0 || g.opLimit < 0 || g.opWindow < 0 || g.timeout < 0 {
		return usagef("--burst, --drain, --op-limit, --op-window and --timeout must not be negative")
	}
	if g.timeScale <= 0 {
		return usagef("--time-scale must be positive")
	}
	if _, err := parseLevel(g.logLevel); err != nil {
		return err
	}
	if g.logFormat != "text" && g.logFormat != "json" {
		return usagef("--log-format must be text or json, not %q", g.logFormat)
	}
	if g.api != "v2" && g.api != "v3" {
		return usagef("--api must be v2 or v3, not %q", g.api)
	}
	if g.redisFB && g.redis == "" {
		return usagef("--redis-fallback needs --redis URL (or --redis-file, or $B24_REDIS_URL)")
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, usagef("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

// logger returns the slog logger on stderr the flags ask for.
func (c *cli) logger() *slog.Logger {
	level, _ := parseLevel(c.g.logLevel)
	return c.loggerAt(level)
}

// loggerAt is the logger of --log-format at level, whatever --log-level is.
func (c *cli) loggerAt(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if c.g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(c.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(c.stderr, opts))
}

// restriction returns the pacing parameters the flags ask for.
func (g *globals) restriction() (b24.RestrictionParams, error) {
	p := b24.DefaultRestrictionParams()
	p.Params = limit.PlanByName(g.plan)
	if g.burst > 0 {
		p.RateLimit.Burst = g.burst
	}
	if g.drain > 0 {
		p.RateLimit.Drain = g.drain
	}
	if g.opLimit > 0 {
		p.Operating.Limit = g.opLimit
	}
	if g.opWindow > 0 {
		p.Operating.Window = g.opWindow
	}
	p.Adaptive.Enabled = g.adaptive
	if p.Operating.Margin >= p.Operating.Limit {
		p.Operating.Margin = p.Operating.Limit / 10
	}
	// Every figure describes the portal at time scale 1; --time-scale then
	// divides them all, as the fake portal does with its own.
	p = p.Scaled(g.timeScale)
	if err := p.Validate(); err != nil {
		return p, usagef("limits: %v", err)
	}
	return p, nil
}

// webhook returns the URL naming the portal: the webhook URL, or an
// application's portal (webhookSource says from where).
func (c *cli) webhook() (string, error) {
	cr, err := c.webhookSource()
	return cr.portal(), err
}

// httpClient returns a client that trusts the system roots and, when
// SSL_CERT_FILE is set in the command's environment, the certificates of
// that file (how a local "b24 fake" is trusted; there is no insecure switch).
func (c *cli) httpClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if f := c.getenv("SSL_CERT_FILE"); f != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, usagef("SSL_CERT_FILE: %v", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("SSL_CERT_FILE %s holds no PEM certificate", f)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}

// hook builds the Hook the flags and the environment describe. With
// --redis its limiter is shared through Redis; the connection is checked
// here (a clear error at start rather than at the first request) and closed
// when the command ends.
func (c *cli) hook(ctx context.Context) (*b24.Hook, error) {
	if err := c.g.validate(); err != nil {
		return nil, err
	}
	cred, err := c.webhookSource()
	if err != nil {
		return nil, err
	}
	p, err := c.g.restriction()
	if err != nil {
		return nil, err
	}
	hc, err := c.httpClient()
	if err != nil {
		return nil, err
	}
	timeout := c.g.timeout
	if timeout == 0 {
		timeout = time.Duration(float64(b24.DefaultTimeout) / c.g.timeScale)
	}
	opts := []b24.Option{
		b24.WithHTTPClient(hc),
		b24.WithRestrictionParams(p), // the retries read it, with or without --redis
		b24.WithTimeout(timeout),
		b24.WithLogger(c.logger()),
		b24.WithUserAgent("b24-cli/" + b24.Version),
	}
	if c.g.redis != "" {
		l, err := c.redisLimiter(ctx, p, timeout)
		if err != nil {
			return nil, err
		}
		opts = append(opts, b24.WithLimiter(l))
	}
	opts = append(opts, c.hookOpts...)
	h, err := c.newHook(cred, hc, opts)
	if err != nil {
		if errors.Is(err, b24.ErrInvalidWebhook) {
			return nil, usagef("%v", strings.TrimPrefix(err.Error(), "b24: "))
		}
		return nil, err
	}
	return h, nil
}

// redisLimiter connects to --redis and checks that it answers. A malformed
// URL is a usage error (exit 2); a Redis that does not answer is a network
// error (exit 1), unless --redis-fallback lets this process pace itself.
// The limiter keys the operating budget by the webhook's credential hash:
// the secret never reaches Redis.
func (c *cli) redisLimiter(ctx context.Context, p b24.RestrictionParams, timeout time.Duration) (*redislimit.Limiter, error) {
	opts := []redislimit.Option{
		redislimit.WithLogger(c.logger()),
		// A reservation outlives the longest attempt of any process (all
		// of them run with the same scaled timeout), not much longer: the
		// calls of a process that died stop counting soon after.
		redislimit.WithReservationTTL(timeout + timeout/4 + time.Second),
	}
	if c.g.redisFB {
		opts = append(opts, redislimit.WithFallback())
	}
	// As redislimit.NewFromURL builds it, except that a refused connection
	// is not dialled again five times: the error names its cause at once.
	o, err := redis.ParseURL(c.g.redis)
	if err != nil {
		// ParseURL's errors may quote the URL, password included.
		return nil, usagef("--redis: expected redis://[user:password@]host:port[/db], rediss://... or unix://path")
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = redislimit.DefaultTimeout, redislimit.DefaultTimeout, redislimit.DefaultTimeout
	o.ContextTimeoutEnabled = true
	o.DialerRetries = 1
	quietRedis.Do(func() { redis.SetLogger(discardRedisLog{}) }) // its pool logs to the standard logger
	client := redis.NewClient(o)
	l, err := redislimit.New(client, p.Params, opts...)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("--redis: %w", err)
	}
	if err := l.Ping(ctx); err != nil {
		// With --redis-fallback the limiter logs one warning at the first
		// request and paces this process alone until Redis answers.
		if !c.g.redisFB || ctx.Err() != nil {
			client.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("--redis: %s does not answer (%v); the shared limiter fails closed (--redis-fallback paces this process alone instead)", redisAddr(c.g.redis), rootCause(err))
		}
	}
	c.closers = append(c.closers, func() { client.Close() })
	return l, nil
}

var quietRedis sync.Once

// discardRedisLog silences go-redis's own log lines: its errors reach the
// command through the limiter.
type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

// redisAddr returns the host:port (or socket path) of a Redis URL, without
// its user and password.
func redisAddr(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "Redis"
	}
	if u.Scheme == "unix" {
		return u.Path
	}
	return u.Host
}

// rootCause strips the wrapping of a Redis error down to its last part
// ("dial tcp 127.0.0.1:1: connect: connection refused" → "connection refused").
func rootCause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// api returns the REST version --api selects.
func (c *cli) api(h *b24.Hook) *b24.API {
	if c.g.api == "v3" {
		return h.V3()
	}
	return h.V2()
}

// fail prints err as one line and returns its exit code.
func (c *cli) fail(ctx context.Context, err error) int {
	code := exitCode(ctx, err)
	if code == exitBrokenPipe {
		return code // the reader of stdout went away: nothing to say
	}
	if ctx.Err() != nil {
		fmt.Fprintf(c.stderr, "%s: interrupted\n", c.name)
		return code
	}
	msg := cleanCode(strings.TrimPrefix(err.Error(), "b24: "), err)
	msg = strings.ReplaceAll(msg, "\n", " ")
	fmt.Fprintf(c.stderr, "%s: %s\n", c.name, msg)
	return code
}

// exitCode maps an error to the exit code table.
func exitCode(ctx context.Context, err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, syscall.EPIPE):
		return exitBrokenPipe
	case ctx.Err() != nil:
		var se *signalError
		if errors.As(context.Cause(ctx), &se) {
			return se.exitCode()
		}
		return exitInterrupted
	case errors.As(err, &ue), errors.Is(err, b24.ErrInvalidWebhook):
		return exitUsage
	case errors.Is(err, b24.ErrListChanged):
		return exitPartial
	default:
		return exitAPI
	}
}
