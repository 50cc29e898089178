package redislimit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/limit"
	"github.com/b24go/b24/redislimit/redistest"
	"github.com/redis/go-redis/v9"
)

// dumpKeys returns every key under prefix with its type and its whole
// content, as text.
func dumpKeys(t *testing.T, c *redis.Client, prefix string) (string, map[string]int) {
	t.Helper()
	ctx := context.Background()
	var buf strings.Builder
	types := map[string]int{}
	for _, k := range keysUnder(t, c, prefix) {
		typ := c.Type(ctx, k).Val()
		if typ == "none" {
			continue // expired since the scan (a bucket's key lives until it is full again)
		}
		types[typ]++
		fmt.Fprintf(&buf, "%s (%s):", k, typ)
		switch typ {
		case "string":
			fmt.Fprintf(&buf, " %s", c.Get(ctx, k).Val())
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				fmt.Fprintf(&buf, " %s=%s", f, v)
			}
		case "zset":
			for _, z := range c.ZRangeWithScores(ctx, k, 0, -1).Val() {
				fmt.Fprintf(&buf, " %v=%v", z.Member, z.Score)
			}
		default:
			t.Fatalf("key %s has unexpected type %s", k, typ)
		}
		buf.WriteByte('\n')
	}
	return buf.String(), types
}

// fakePortal answers like a portal: the first call of crm.deal.list is
// refused with 503, the first of crm.contact.list with 429, and every answer
// carries an operating figure.
func fakePortal(t *testing.T) *httptest.Server {
	var mu sync.Mutex
	seen := map[string]int{}
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		mu.Lock()
		seen[m]++
		n := seen[m]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case m == "crm.deal.list" && n == 1:
			w.WriteHeader(503)
			io.WriteString(w, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`)
			return
		case m == "crm.contact.list" && n == 1:
			w.WriteHeader(429)
			io.WriteString(w, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`)
			return
		}
		now := float64(time.Now().UnixMilli()) / 1000
		fmt.Fprintf(w, `{"result":[{"ID":"1"}],"total":1,"time":{"start":%.3f,"finish":%.3f,"duration":0.01,"processing":0.01,"operating":%.3f,"operating_reset_at":%.3f}}`,
			now, now, 0.2*float64(n), now+6)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestNoSecretInRedis drives a real Hook against a fake portal through the
// shared limiter (successes, a 503 and a 429), then reads back every key and
// value the limiter wrote: none may hold the webhook secret.
func TestNoSecretInRedis(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	ts := fakePortal(t)
	const secret = "Zq7s3cr3t.webhook~token_4f9a"
	webhookURL := "https://" + ts.Listener.Addr().String() + "/rest/7/" + secret + "/"
	l := newTestLimiter(t, c, prefix, scaled())
	h, err := b24.FromWebhookURL(webhookURL, b24.WithLimiter(l), b24.WithHTTPClient(ts.Client()),
		b24.WithRestrictionParams(b24.RestrictionParams{Params: scaled()}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range []string{"crm.deal.list", "crm.contact.list", "crm.deal.list", "user.current"} {
		if _, err := h.Call(ctx, m, map[string]any{"select": []string{"ID"}}); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
	}
	// A call in flight too: its reservation is in Redis.
	p := acquire(t, l, limit.Request{Portal: h.Portal(), Credential: h.CredentialHash(), Methods: []string{"crm.deal.get"}})
	defer p.Release(limit.Outcome{})

	forms := []string{secret, url.PathEscape(secret), url.QueryEscape(secret), webhookURL, "/rest/7/"}
	leak := func(dump string) string {
		for _, bad := range forms {
			if strings.Contains(dump, bad) {
				return bad
			}
		}
		return ""
	}
	// The scan must be able to see a leak: plant one, then remove it.
	c.HSet(ctx, prefix+"canary", "v", "x"+url.QueryEscape(secret)+"x")
	if canary, _ := dumpKeys(t, c, prefix); leak(canary) == "" {
		t.Fatalf("the scan does not see a planted secret:\n%s", canary)
	}
	c.Del(ctx, prefix+"canary")

	dump, types := dumpKeys(t, c, prefix)
	// (The bucket's key may have expired already: it lives until the bucket is full again.)
	if types["hash"] == 0 || !strings.Contains(dump, `"r":[{"i"`) {
		t.Fatalf("expected operating states and a reservation in Redis, got %v:\n%s", types, dump)
	}
	if !strings.Contains(dump, h.CredentialHash()) {
		t.Fatalf("the keys are not those of the hook's credential %s:\n%s", h.CredentialHash(), dump)
	}
	if bad := leak(dump); bad != "" {
		t.Fatalf("Redis holds %q:\n%s", bad, dump)
	}
	st := h.Stats()
	if st.Limiter == nil || st.Limiter.RateRefusals != 1 || st.Limiter.OpRefusals != 1 || st.Limiter.Operating["crm.deal.list"] == 0 {
		t.Fatalf("hook's Stats().Limiter = %+v, want one refusal of each kind and the operating figures", st.Limiter)
	}
	if err := h.SetRestrictionParams(b24.RestrictionParams{Params: bucketParams(7, 300)}); err != nil || l.Params().RateLimit.Burst != 7 {
		t.Fatalf("SetRestrictionParams did not reach the limiter: %v, burst %d", err, l.Params().RateLimit.Burst)
	}
}

// TestKeysExpire checks that every key the limiter writes has an expiry, and
// that all of them are gone soon after the activity stops. The keys are those
// the limiter's commands named (keyRecorder), not those a SCAN finds later:
// a bucket key lives a few milliseconds at this scale, and a loaded machine
// saw it expire before the SCAN (1 run in 30 at load 11).
func TestKeysExpire(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	p := limit.StandardPlan().Scaled(1000) // window 600 ms
	rec := &keyRecorder{}
	lc := redis.NewClient(&redis.Options{Addr: redistest.Addr(t)})
	lc.AddHook(rec)
	l := newTestLimiter(t, lc, prefix, p, WithReservationTTL(200*time.Millisecond))
	req := opReq("cred-ttl")
	report(t, l, req, 100*time.Millisecond, time.Now().Add(100*time.Millisecond))
	acquire(t, l, req).Release(limit.Outcome{Sent: true, Refused: limit.RefusedOperating, RefusedMethod: method})
	acquire(t, l, portalOnly).Release(limit.Outcome{Sent: true, Refused: limit.RefusedRate})
	other := req
	other.Methods = []string{"crm.contact.list"}
	acquire(t, l, other) // never released

	ctx := context.Background()
	ks := rec.keys()
	if len(ks) < 4 {
		t.Fatalf("keys %v, want buckets, operating states and reservations", ks)
	}
	for _, k := range ks {
		// go-redis reports PTTL -1 (no expiry) and -2 (gone) as -1ns and -2ns.
		// A short-lived key (the bucket's) may reach 0 or be gone by the time
		// it is asked on a busy machine: that is an expiry too.
		ttl := c.PTTL(ctx, k).Val()
		if ttl == -1 || ttl > 2*p.Operating.Window {
			t.Errorf("key %s: TTL %v, want an expiry of at most the window plus the time to the reset", k, ttl)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(keysUnder(t, c, prefix)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("keys still there 3s later: %v", keysUnder(t, c, prefix))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keyRecorder is a go-redis hook that records the keys a client's commands
// name: those of its scripts (EVAL, EVALSHA) and of its single-key commands.
type keyRecorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *keyRecorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []string
	for k := range r.seen {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (r *keyRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *keyRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			r.note(c.Args())
		}
		return next(ctx, cmds)
	}
}

func (r *keyRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.note(cmd.Args())
		return next(ctx, cmd)
	}
}

func (r *keyRecorder) note(args []any) {
	var ks []any
	switch name, _ := args[0].(string); strings.ToLower(name) {
	case "eval", "evalsha", "eval_ro", "evalsha_ro":
		if n, ok := args[2].(int); ok && len(args) >= 3+n {
			ks = args[3 : 3+n]
		}
	case "ping", "hello", "client", "select", "auth", "script":
	default:
		if len(args) > 1 {
			ks = args[1:2]
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	for _, k := range ks {
		r.seen[fmt.Sprint(k)] = true
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentServer accepts connections and never answers: a hung Redis.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func TestRedisDownFailsClosedQuickly(t *testing.T) {
	for _, tc := range []struct {
		name       string
		addr       func(*testing.T) string
		ctxTimeout bool // the client's ContextTimeoutEnabled
	}{
		{"refused", closedAddr, false},
		{"hung", silentServer, false}, // go-redis would wait its 3 s read timeout
		{"hung, client honours contexts", silentServer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := redis.NewClient(&redis.Options{Addr: tc.addr(t), ContextTimeoutEnabled: tc.ctxTimeout})
			defer c.Close()
			l, err := New(c, scaled(), WithTimeout(200*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = l.Acquire(context.Background(), opReq("cred"))
			if d := time.Since(start); !errors.Is(err, ErrUnavailable) || d > time.Second {
				t.Fatalf("Acquire = %v after %v, want ErrUnavailable within ~200ms", err, d)
			}
			if !strings.Contains(err.Error(), "Redis is unavailable") {
				t.Fatalf("unclear error: %v", err)
			}
			if err := l.Ping(context.Background()); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Ping = %v, want ErrUnavailable", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start = time.Now()
			_, err = l.Acquire(ctx, opReq("cred"))
			d := time.Since(start)
			hung := strings.HasPrefix(tc.name, "hung")
			if hung && !errors.Is(err, context.DeadlineExceeded) || err == nil || d > 150*time.Millisecond {
				t.Fatalf("Acquire with a 50ms context = %v after %v, want an error within the context (its own when Redis hangs)", err, d)
			}
		})
	}
}

// logCounter counts log records by level.
type logCounter struct {
	mu     sync.Mutex
	levels map[slog.Level]int
	text   bytes.Buffer
}

func (h *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.levels == nil {
		h.levels = map[slog.Level]int{}
	}
	h.levels[r.Level]++
	h.text.WriteString(r.Message + "\n")
	return nil
}
func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCounter) WithGroup(string) slog.Handler      { return h }
func (h *logCounter) count(l slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.levels[l]
}

func TestFallbackToLocalLimiter(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: closedAddr(t)})
	defer c.Close()
	logs := &logCounter{}
	l, err := New(c, bucketParams(3, 10), WithFallback(), WithLogger(slog.New(logs)), WithTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 4 {
		p, err := l.Acquire(context.Background(), opReq("cred"))
		if err != nil {
			t.Fatalf("Acquire %d with fallback: %v", i+1, err)
		}
		p.Release(limit.Outcome{Sent: true})
	}
	if got := logs.count(slog.LevelWarn); got != 1 {
		t.Fatalf("%d warnings, want exactly one:\n%s", got, logs.text.String())
	}
	// The local limiter paces: burst 3 keeps 2, then 1/Y = 100 ms each.
	if d, st := time.Since(start), l.Stats(); d < 150*time.Millisecond || st.Waits < 1 {
		t.Fatalf("4 requests took %v with %d waits, want the local bucket's pacing", d, st.Waits)
	}
}

// toggleProxy forwards TCP to a target while up, and refuses while down: a
// Redis that goes away and comes back. sent counts the bytes it forwarded to
// the target, each read counted before it is passed on: a client that got
// an answer through the proxy has been counted.
type toggleProxy struct {
	ln     net.Listener
	target string
	up     atomic.Bool
	sent   atomic.Int64
	mu     sync.Mutex
	conns  []net.Conn
}

// countReader counts what it reads into n.
type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func newToggleProxy(t *testing.T, target string) *toggleProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &toggleProxy{ln: ln, target: target}
	p.up.Store(true)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.up.Load() {
				c.Close()
				continue
			}
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if !p.up.Load() { // went down while dialling: setUp(false) closed the others already
				p.mu.Unlock()
				c.Close()
				d.Close()
				continue
			}
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { io.Copy(d, countReader{c, &p.sent}); d.Close() }()
			go func() { io.Copy(c, d); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.setUp(false) })
	return p
}

func (p *toggleProxy) setUp(up bool) {
	p.up.Store(up)
	if !up {
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
		p.mu.Unlock()
	}
}

// TestRedisOutageAndRecovery: while Redis is away, a limiter with the
// fallback paces locally (one warning) and a fail-closed one refuses; once
// the fallback's retry interval has passed after Redis is back, both use
// Redis again (one notice). Whether a step used Redis is read from the
// proxy's count of forwarded bytes, not from the bucket key: that key lives
// one emission interval (5 ms at this scale), so a loaded machine saw it
// expire before the test looked (1 run in 20).
func TestRedisOutageAndRecovery(t *testing.T) {
	needRedis(t)
	proxy := newToggleProxy(t, redistest.Addr(t))
	c := redis.NewClient(&redis.Options{Addr: proxy.ln.Addr().String(), MaxRetries: -1})
	defer c.Close()
	prefix := testPrefix(t)
	logs := &logCounter{}
	fb := newTestLimiter(t, c, prefix, scaled(), WithFallback(), WithLogger(slog.New(logs)), WithTimeout(300*time.Millisecond))
	fb.retry = 50 * time.Millisecond
	closed := newTestLimiter(t, c, prefix, scaled(), WithTimeout(300*time.Millisecond))
	ctx := context.Background()

	// step acquires and releases a permit and reports whether that reached Redis.
	step := func(l *Limiter) (bool, error) {
		before := proxy.sent.Load()
		p, err := l.Acquire(ctx, portalOnly)
		if err == nil {
			p.Release(limit.Outcome{Sent: true})
		}
		return proxy.sent.Load() > before, err
	}
	if used, err := step(fb); err != nil || !used {
		t.Fatalf("through Redis: %v, Redis used: %v", err, used)
	}
	proxy.setUp(false)
	for i := range 3 {
		if used, err := step(fb); err != nil || used {
			t.Fatalf("fallback request %d during the outage: %v, Redis used: %v", i+1, err, used)
		}
		if _, err := step(closed); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("fail-closed request %d during the outage: %v, want ErrUnavailable", i+1, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	if n := logs.count(slog.LevelWarn); n != 1 {
		t.Fatalf("during the outage: %d warnings (want 1)", n)
	}
	proxy.setUp(true)
	// The last failure above was at least this long ago once the sleep
	// returns, however loaded the machine: the retry interval has passed.
	time.Sleep(fb.retry)
	if used, err := step(fb); err != nil || !used {
		t.Fatalf("after the outage: %v, Redis used: %v (want Redis used again)", err, used)
	}
	if _, err := step(closed); err != nil {
		t.Fatalf("fail-closed limiter after the outage: %v", err)
	}
	if logs.count(slog.LevelInfo) != 1 {
		t.Fatalf("want one notice that Redis is back:\n%s", logs.text.String())
	}
}

func TestOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: closedAddr(t)})
	defer c.Close()
	for _, tc := range []struct {
		name string
		opts []Option
		p    limit.Params
		ok   bool
	}{
		{"defaults", nil, limit.Params{}, true},
		{"prefix", []Option{WithPrefix("app1:")}, limit.Params{}, true},
		{"prefix with a brace", []Option{WithPrefix("a{b}:")}, limit.Params{}, false},
		{"zero timeout", []Option{WithTimeout(0)}, limit.Params{}, false},
		{"tiny reservation TTL", []Option{WithReservationTTL(time.Microsecond)}, limit.Params{}, false},
		{"nil logger", []Option{WithLogger(nil)}, limit.Params{}, false},
		{"nil option", []Option{nil}, limit.Params{}, false},
		{"bad params", nil, limit.Params{RateLimit: limit.RateLimit{Drain: -1}}, false},
	} {
		_, err := New(c, tc.p, tc.opts...)
		if (err == nil) != tc.ok {
			t.Errorf("%s: New error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if _, err := New(nil, limit.Params{}); err == nil {
		t.Error("New accepted a nil client")
	}
	if _, err := NewFromURL("redis://user:hunter2@[bad", limit.Params{}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("NewFromURL with a bad URL: %v (must fail without quoting the password)", err)
	}
	l, err := NewFromURL("redis://:pw@"+closedAddr(t)+"/0", limit.Params{}, WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !l.direct {
		t.Error("NewFromURL: the client does not honour context deadlines")
	}
	if err := l.Ping(context.Background()); !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "pw@") {
		t.Errorf("Ping on a closed port = %v", err)
	}
}

func TestKeyLayout(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: closedAddr(t)})
	defer c.Close()
	l, err := New(c, limit.Params{}, WithPrefix("p:"))
	if err != nil {
		t.Fatal(err)
	}
	k := l.keysFor(limit.Request{Portal: "a.bitrix24.com", Credential: "c0ffee", Methods: []string{"batch", "crm.deal.list"}})
	want := []string{"p:{a.bitrix24.com}:r",
		"p:{a.bitrix24.com}:o:c0ffee:batch", "p:{a.bitrix24.com}:o:c0ffee:crm.deal.list"}
	if fmt.Sprint(k.all) != fmt.Sprint(want) {
		t.Fatalf("keys %v, want %v (one hash tag per portal)", k.all, want)
	}
}

func TestSleepCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		if err := sleepCtx(ctx, time.Second, nil); err != nil || time.Since(start) != time.Second {
			t.Fatalf("sleep: %v after %v", err, time.Since(start))
		}
		wake := make(chan struct{})
		time.AfterFunc(100*time.Millisecond, func() { close(wake) })
		start = time.Now()
		if err := sleepCtx(ctx, time.Minute, wake); err != nil || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("woken: %v after %v", err, time.Since(start))
		}
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start = time.Now()
		if err := sleepCtx(cctx, time.Minute, nil); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("cancelled: %v after %v", err, time.Since(start))
		}
		if err := sleepCtx(cctx, 0, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("zero wait on an ended context: %v", err)
		}
	})
}

func TestPollInterval(t *testing.T) {
	for _, tc := range []struct {
		k    float64
		want time.Duration
	}{{1, time.Second}, {10, 100 * time.Millisecond}, {100, 10 * time.Millisecond}, {10000, 10 * time.Millisecond}} {
		p := limit.StandardPlan().Scaled(tc.k)
		if got := pollInterval(&p); got != tc.want {
			t.Errorf("time scale %v: poll %v, want %v", tc.k, got, tc.want)
		}
	}
}
