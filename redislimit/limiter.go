package redislimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/opbudget"
	"github.com/b24go/b24/internal/wait"
	"github.com/b24go/b24/limit"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is wrapped by the error Acquire returns when Redis cannot be
// reached or does not answer in time (and no fallback was asked for).
var ErrUnavailable = errors.New("redislimit: the shared limiter's Redis is unavailable")

// Defaults of the options.
const (
	// DefaultPrefix starts every key the limiter writes.
	DefaultPrefix = "b24:lim:"
	// DefaultTimeout bounds each round trip to Redis.
	DefaultTimeout = time.Second
	// DefaultReservationTTL is how long the operating reservation of a call in
	// flight is kept when its permit is never released (its process died):
	// longer than a request may last (the hook's default timeout is 90 s).
	DefaultReservationTTL = 2 * time.Minute
)

// fallbackRetry is how long a limiter that fell back to its local limiter
// waits before it tries Redis again.
const fallbackRetry = 5 * time.Second

// Option configures a Limiter.
type Option func(*Limiter) error

// WithPrefix sets the prefix of every key (default DefaultPrefix). Limiters
// that share a budget must use the same prefix. It must not contain '{' or
// '}' (the keys of one portal carry the hash tag {portal}).
func WithPrefix(prefix string) Option {
	return func(l *Limiter) error {
		if strings.ContainsAny(prefix, "{}") {
			return fmt.Errorf("%w: redislimit: WithPrefix: the prefix must not contain '{' or '}', got %q", b24.ErrInvalidOption, prefix)
		}
		l.prefix = prefix
		return nil
	}
}

// WithFallback makes the limiter fall back to an in-memory limiter
// (limit.New with the same parameters) while Redis is unavailable,
// instead of failing. A warning is logged once when Redis becomes
// unavailable; Redis is tried again every few seconds. The processes then no
// longer share their budgets, so the portal may refuse some requests (the
// hook waits and retries those).
func WithFallback() Option {
	return func(l *Limiter) error {
		l.fallback = true
		return nil
	}
}

// WithLogger sets the logger of the fallback warning (default: none).
func WithLogger(log *slog.Logger) Option {
	return func(l *Limiter) error {
		if log == nil {
			return fmt.Errorf("%w: redislimit: WithLogger: nil logger", b24.ErrInvalidOption)
		}
		l.log = log
		return nil
	}
}

// WithTimeout bounds each round trip to Redis (default DefaultTimeout). When
// Redis does not answer in time, Acquire fails with ErrUnavailable (or falls
// back). The context given to Acquire bounds it too.
func WithTimeout(d time.Duration) Option {
	return func(l *Limiter) error {
		if d <= 0 {
			return fmt.Errorf("%w: redislimit: WithTimeout: must be positive, got %v", b24.ErrInvalidOption, d)
		}
		l.timeout = d
		return nil
	}
}

// WithReservationTTL sets how long the reservation of a call in flight lasts
// when its permit is never released, for example because its process died
// (default DefaultReservationTTL). Keep it above the longest request. A
// reservation lasts a day at most, as every key the limiter writes.
func WithReservationTTL(d time.Duration) Option {
	return func(l *Limiter) error {
		if d < time.Millisecond {
			return fmt.Errorf("%w: redislimit: WithReservationTTL: at least 1ms, got %v", b24.ErrInvalidOption, d)
		}
		l.resTTL = d
		return nil
	}
}

// Limiter is a limit.Limiter whose budgets live in Redis, shared by every
// process (and every Limiter) that uses the same Redis and key prefix. It is
// safe for concurrent use.
type Limiter struct {
	rdb      redis.UniversalClient
	direct   bool // rdb honours context deadlines: no goroutine needed to bound a call
	owned    bool // Close closes rdb (NewFromURL)
	prefix   string
	fallback bool
	log      *slog.Logger
	timeout  time.Duration
	resTTL   time.Duration
	retry    time.Duration // fallbackRetry; tests shorten it

	params atomic.Pointer[limit.Params]
	local  limit.Limiter

	fbMu    sync.Mutex
	fbUntil time.Time // while in the future, requests go to local
	fbOn    bool      // in an outage (the warning was logged)

	waits, waitTime, rateRefusals, opRefusals atomic.Int64
	adaptiveDelays, adaptiveTime              atomic.Int64

	mu        sync.Mutex
	changed   chan struct{} // closed when a permit of this process is settled
	operating map[opKey]time.Duration
	views     map[string]view            // per budget key: the last version seen (operating.go)
	clocks    map[string]*opbudget.Clock // per portal and credential: the portal's clock

	// stripes serialise this process's read-admit-commit cycles on one
	// budget (by the hash of its keys), so that the goroutines of a process
	// do not make each other's commits stale: only processes contend.
	stripes [64]sync.Mutex
	seed    maphash.Seed

	tokenPrefix string
	tokenSeq    atomic.Uint64
}

type opKey struct{ portal, credential, method string }

// New returns a Limiter on client with the restriction parameters p (zero
// fields take the limit.StandardPlan defaults). It does not contact Redis: use
// Ping to check the connection at start-up. Give it to hooks with
// b24.WithLimiter.
//
// All processes sharing a budget should use the same parameters: each one
// applies its own to the shared state.
func New(client redis.UniversalClient, p limit.Params, opts ...Option) (*Limiter, error) {
	if client == nil {
		return nil, errors.New("redislimit: nil Redis client")
	}
	m := p.Merge(limit.StandardPlan())
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("redislimit: %w", err)
	}
	l := &Limiter{
		rdb: client, direct: honoursContext(client), prefix: DefaultPrefix, log: slog.New(slog.DiscardHandler),
		timeout: DefaultTimeout, resTTL: DefaultReservationTTL, retry: fallbackRetry,
		changed: make(chan struct{}), operating: map[opKey]time.Duration{},
		views: map[string]view{}, clocks: map[string]*opbudget.Clock{}, seed: maphash.MakeSeed(),
		tokenPrefix: hex.EncodeToString(id[:]) + ":",
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("redislimit: nil Option")
		}
		if err := opt(l); err != nil {
			return nil, err
		}
	}
	local, err := limit.New(m)
	if err != nil {
		return nil, err
	}
	l.local = local
	l.params.Store(&m)
	return l, nil
}

// NewFromURL connects to the Redis named by a URL (redis://[user:password@]host:port/db,
// rediss:// for TLS, unix://path) and returns a Limiter on it, with the
// connection's timeouts set to the limiter's timeout. Close closes the
// connection. The errors never contain the URL (it may hold a password).
func NewFromURL(rawURL string, p limit.Params, opts ...Option) (*Limiter, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		// ParseURL's errors may quote the URL, password included.
		return nil, errors.New("redislimit: invalid Redis URL: expected redis://[user:password@]host:port[/db], rediss://... or unix://path")
	}
	probe := &Limiter{timeout: DefaultTimeout}
	for _, opt := range opts {
		if opt != nil {
			_ = opt(probe)
		}
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = probe.timeout, probe.timeout, probe.timeout
	o.ContextTimeoutEnabled = true
	client := redis.NewClient(o)
	l, err := New(client, p, opts...)
	if err != nil {
		client.Close()
		return nil, err
	}
	l.owned = true
	return l, nil
}

// Close closes the Redis connection when the Limiter opened it (NewFromURL);
// a client given to New is left to its owner.
func (l *Limiter) Close() error {
	if l.owned {
		return l.rdb.Close()
	}
	return nil
}

// Ping checks that Redis answers, within the limiter's timeout.
func (l *Limiter) Ping(ctx context.Context) error {
	_, err := l.do(ctx, func(ctx context.Context) (any, error) { return l.rdb.Ping(ctx).Result() })
	return err
}

// SetParams changes the limits for later requests (b24.Hook.SetRestrictionParams
// calls it). Zero fields take the limit.StandardPlan defaults.
func (l *Limiter) SetParams(p limit.Params) error {
	m := p.Merge(limit.StandardPlan())
	if err := m.Validate(); err != nil {
		return err
	}
	if s, ok := l.local.(interface {
		SetParams(limit.Params) error
	}); ok {
		if err := s.SetParams(m); err != nil {
			return err
		}
	}
	l.params.Store(&m)
	l.broadcast()
	return nil
}

// Params returns the parameters in force.
func (l *Limiter) Params() limit.Params { return *l.params.Load() }

// Stats returns this process's figures: its own waits (adaptive delays among
// them) and the refusals it reported (the fallback limiter's included), and
// the last operating figure it learnt per method. Buckets are those of the in-memory fallback (nil
// until it is used): the shared bucket keeps Burst and Drain. A Hook's Stats
// include them.
func (l *Limiter) Stats() limit.Stats {
	st := limit.Stats{
		Waits: l.waits.Load(), WaitTime: time.Duration(l.waitTime.Load()),
		RateRefusals: l.rateRefusals.Load(), OpRefusals: l.opRefusals.Load(),
		AdaptiveDelays: l.adaptiveDelays.Load(), AdaptiveDelayTime: time.Duration(l.adaptiveTime.Load()),
		Operating: map[string]time.Duration{},
	}
	l.mu.Lock()
	for k, v := range l.operating {
		if v > st.Operating[k.method] {
			st.Operating[k.method] = v
		}
	}
	l.mu.Unlock()
	if s, ok := l.local.(interface{ Stats() limit.Stats }); ok {
		ls := s.Stats()
		st.Waits += ls.Waits
		st.WaitTime += ls.WaitTime
		st.RateRefusals += ls.RateRefusals
		st.OpRefusals += ls.OpRefusals
		st.AdaptiveDelays += ls.AdaptiveDelays
		st.AdaptiveDelayTime += ls.AdaptiveDelayTime
		st.Buckets = ls.Buckets
		for m, v := range ls.Operating {
			if v > st.Operating[m] {
				st.Operating[m] = v
			}
		}
	}
	return st
}

// keys are the Redis keys of one request.
type keys struct {
	all     []string // bucket, then the state of each method
	methods []string
	units   []int // per method: the commands billed to it (limit.Request.Units)
	portal  string
	cred    string
}

// braces replaces the hash-tag delimiters in a portal name.
var braces = strings.NewReplacer("{", "_", "}", "_")

func (l *Limiter) keysFor(req limit.Request) keys {
	tag := l.prefix + "{" + braces.Replace(req.Portal) + "}:"
	k := keys{all: make([]string, 0, 1+len(req.Methods)), methods: req.Methods, portal: req.Portal, cred: req.Credential}
	k.all = append(k.all, tag+"r")
	for i, m := range req.Methods {
		u := 1
		if i < len(req.Units) {
			u = max(req.Units[i], 1)
		}
		k.units = append(k.units, u)
		k.all = append(k.all, tag+"o:"+req.Credential+":"+m)
	}
	return k
}

func (l *Limiter) newToken() string {
	return l.tokenPrefix + strconv.FormatUint(l.tokenSeq.Add(1), 36)
}

// Acquire implements limit.Limiter: it waits until the request may be sent
// under the shared budgets, or ctx ends, or Redis fails (ErrUnavailable,
// unless WithFallback).
func (l *Limiter) Acquire(ctx context.Context, req limit.Request) (limit.Permit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.inFallback() {
		return l.local.Acquire(ctx, req)
	}
	p, err := l.acquire(ctx, req)
	if err == nil {
		if l.fallback {
			l.endFallback()
		}
		return p, nil
	}
	if ctx.Err() == nil && l.fallback && errors.Is(err, ErrUnavailable) {
		l.startFallback(err)
		return l.local.Acquire(ctx, req)
	}
	return nil, err
}

func (l *Limiter) acquire(ctx context.Context, req limit.Request) (limit.Permit, error) {
	k := l.keysFor(req)
	token := l.newToken()
	start := time.Now()
	waited, reserved := false, false
	for {
		p := l.params.Load()
		wake := l.wakeChan()
		var code int64
		var wait time.Duration
		var err error
		if !reserved {
			code, wait, err = l.attempt(ctx, k, token, p)
		} else {
			code, wait, err = l.evalCode(ctx, takeScript, k.all[:1], bucketT(p), clientBurst(p))
		}
		if err != nil {
			if reserved {
				l.cancel(k, token)
			}
			return nil, err
		}
		switch code {
		case codeOK:
			var held time.Duration
			if waited {
				held = time.Since(start)
				l.waits.Add(1)
				l.waitTime.Add(int64(held))
			}
			return &permit{l: l, k: k, token: token, waited: held}, nil
		case codeStale:
			continue // another process wrote first: decide again on its state
		case codeWaitOp:
			// Another process may release the budget earlier: look again
			// after the poll interval at most.
			err = sleepCtx(ctx, min(wait, pollInterval(p)), wake)
		case codeAdaptive:
			reserved = true
			from := time.Now()
			err = sleepCtx(ctx, wait, nil)
			l.adaptiveDelays.Add(1)
			l.adaptiveTime.Add(int64(time.Since(from)))
		case codeWaitBucket:
			reserved = true
			err = sleepCtx(ctx, wait, nil)
		default:
			err = fmt.Errorf("redislimit: unexpected answer %d from the acquire script", code)
		}
		waited = true
		if err != nil {
			if reserved {
				l.cancel(k, token)
			}
			return nil, err
		}
	}
}

// bucketT is the emission interval 1/Drain in microseconds.
func bucketT(p *limit.Params) float64 { return 1e6 / p.RateLimit.Drain }

// clientBurst keeps one request of headroom below the portal's bucket size
// for network jitter, as limit.New does.
func clientBurst(p *limit.Params) int { return max(1, p.RateLimit.Burst-1) }

// pollInterval bounds a wait for an operating budget, which another process
// may free before the computed time: Window/600 (1 s on the real portal).
func pollInterval(p *limit.Params) time.Duration {
	return min(max(p.Operating.Window/600, 10*time.Millisecond), time.Second)
}

func us(d time.Duration) int64 { return d.Microseconds() }

// evalCode runs a script answering {code, wait µs}.
func (l *Limiter) evalCode(ctx context.Context, s *redis.Script, keys []string, args ...any) (int64, time.Duration, error) {
	v, err := l.do(ctx, func(ctx context.Context) (any, error) { return s.Run(ctx, l.rdb, keys, args...).Int64Slice() })
	if err != nil {
		return 0, 0, err
	}
	r := v.([]int64)
	if len(r) != 2 {
		return 0, 0, fmt.Errorf("redislimit: unexpected answer %v from a script", r)
	}
	return r[0], time.Duration(r[1]) * time.Microsecond, nil
}

// honoursContext tells whether a go-redis client ends a command when its
// context's deadline passes (ContextTimeoutEnabled); by default it waits for
// its own read timeout instead.
func honoursContext(c redis.UniversalClient) bool {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// do runs one Redis round trip, bounded by ctx and by the limiter's timeout.
// When the client ignores context deadlines, the call runs in a goroutine of
// its own, abandoned (to end at the client's read timeout) when the time is up.
func (l *Limiter) do(ctx context.Context, f func(context.Context) (any, error)) (any, error) {
	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	var v any
	var err error
	if l.direct {
		v, err = f(cctx)
	} else {
		type result struct {
			v   any
			err error
		}
		ch := make(chan result, 1)
		go func() {
			v, err := f(cctx)
			ch <- result{v, err}
		}()
		select {
		case r := <-ch:
			v, err = r.v, r.err
		case <-cctx.Done():
			err = cctx.Err()
		}
	}
	switch {
	case err == nil:
		return v, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case cctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("%w: no answer within %v", ErrUnavailable, l.timeout)
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
}

// cancel hands back the reservations of a permit that will not be used.
func (l *Limiter) cancel(k keys, token string) {
	l.settle(k, token, nil)
}

// releaseFailed notes a release that Redis did not take: the reservations
// expire by themselves; a lost refusal only costs another refusal. Acquire
// reports the outage.
func (l *Limiter) releaseFailed(err error) {
	if l.fallback {
		l.startFallback(err)
	} else {
		l.log.Debug("redislimit: releasing a permit failed", slog.String("error", err.Error()))
	}
}

type permit struct {
	l      *Limiter
	k      keys
	token  string
	waited time.Duration
	once   sync.Once
}

// Waited implements limit.WaitReporter: how long Acquire held the caller back.
func (p *permit) Waited() time.Duration { return p.waited }

// Release implements limit.Permit.
func (p *permit) Release(o limit.Outcome) {
	p.once.Do(func() {
		switch o.Refused {
		case limit.RefusedRate:
			p.l.rateRefusals.Add(1)
		case limit.RefusedOperating:
			p.l.opRefusals.Add(1)
		}
		p.l.settle(p.k, p.token, &o)
	})
}

func (l *Limiter) wakeChan() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

func (l *Limiter) broadcast() {
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

func (l *Limiter) inFallback() bool {
	if !l.fallback {
		return false
	}
	l.fbMu.Lock()
	defer l.fbMu.Unlock()
	return time.Now().Before(l.fbUntil)
}

// startFallback switches to the local limiter for a while; the warning is
// logged once per outage (until Redis answers again).
func (l *Limiter) startFallback(err error) {
	l.fbMu.Lock()
	defer l.fbMu.Unlock()
	l.fbUntil = time.Now().Add(l.retry)
	if !l.fbOn {
		l.fbOn = true
		l.log.Warn("redislimit: Redis is unavailable; pacing requests with a local limiter, so budgets are no longer shared between processes",
			slog.String("error", err.Error()))
	}
}

// endFallback notes that Redis answers again.
func (l *Limiter) endFallback() {
	l.fbMu.Lock()
	defer l.fbMu.Unlock()
	if l.fbOn {
		l.fbOn = false
		l.log.Info("redislimit: Redis is available again; budgets are shared again")
	}
}

// sleepCtx waits for d, until wake is closed, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	return wait.For(ctx, d, wake)
}
