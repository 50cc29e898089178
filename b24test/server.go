package b24test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Option configures a Server.
type Option func(*config) error

type config struct {
	clock       Clock
	clockOffset time.Duration // clock.go
	scale       float64
	limits      Limits
	latency     Latency
	faults      FaultRates
	seed        Seed
	userID      int
	secret      *string // behind a pointer: printing a Server (even %#v of its value) shows an address
	scopes      []string
	addr        string
	inMemory    bool
	location    *time.Location
	movedTo     string
	legacyTime  bool
	extraFamly  []Family
	http2       bool
	resetCode   *uint32
	outbound    []Outbound // outbound.go
}

// WithClock sets the server's clock (default: the time package, which
// testing/synctest fakes).
func WithClock(c Clock) Option {
	return func(cfg *config) error {
		if c == nil {
			return fmt.Errorf("%w: WithClock: nil clock", ErrInvalidOption)
		}
		cfg.clock = c
		return nil
	}
}

// WithTimeScale runs the portal k times faster (default 1): every time
// constant (latencies, the operating limit, window and floor, the slow
// fault's delay, the 60 s cut-off) is divided by k and the request bucket
// drains k times faster; its size is unchanged. Hooks from Server.Hook are
// configured to match. Tests use k = 10 or more to stay fast.
func WithTimeScale(k float64) Option {
	return func(cfg *config) error {
		if !(k > 0) || k > 1e6 {
			return fmt.Errorf("%w: WithTimeScale: must be in (0, 1e6], got %v", ErrInvalidOption, k)
		}
		cfg.scale = k
		return nil
	}
}

// WithLimits sets the portal's limits (default StandardLimits); zero fields
// take the Standard plan's values. They are given at time scale 1.
func WithLimits(l Limits) Option {
	return func(cfg *config) error {
		if l.Burst < 0 || l.Drain < 0 || l.OperatingLimit < 0 || l.OperatingWindow < 0 || l.OperatingFloor < 0 ||
			l.OperatingBan < 0 || l.BatchWeight < 0 || math.IsNaN(l.BatchWeight) || math.IsInf(l.BatchWeight, 0) {
			return fmt.Errorf("%w: WithLimits: negative or non-finite value", ErrInvalidOption)
		}
		cfg.limits = l.withDefaults()
		return nil
	}
}

// WithPlan sets the limits of a plan: "enterprise" or "standard" (any case);
// another name is an invalid option.
func WithPlan(plan string) Option {
	return func(cfg *config) error {
		if p := strings.ToLower(plan); p != "standard" && p != "enterprise" {
			return fmt.Errorf("%w: WithPlan(%q): want \"standard\" or \"enterprise\"", ErrInvalidOption, plan)
		}
		cfg.limits = PlanLimits(plan)
		return nil
	}
}

// WithoutLimits turns the request bucket and the operating budget off.
func WithoutLimits() Option {
	return func(cfg *config) error {
		cfg.limits.Disabled = true
		return nil
	}
}

// WithLatency sets the latency model (default DefaultLatency), at time scale 1.
// Latency{} makes every call instantaneous.
func WithLatency(l Latency) Option {
	return func(cfg *config) error {
		if l.Request < 0 || l.RowReturned < 0 || l.RowCounted < 0 || l.RowSkipped < 0 || l.Write < 0 {
			return fmt.Errorf("%w: WithLatency: negative duration", ErrInvalidOption)
		}
		if l.Spread < 0 || l.Spread > 3 || math.IsNaN(l.Spread) {
			return fmt.Errorf("%w: WithLatency: Spread %v is not within 0..3", ErrInvalidOption, l.Spread)
		}
		cfg.latency = l
		return nil
	}
}

// WithFaults injects faults at random (see FaultRates). Scripted faults are
// added with Server.FailNext.
func WithFaults(fr FaultRates) Option {
	return func(cfg *config) error {
		sum := 0.0
		for f, r := range fr.Rates {
			if f <= NoFault || f >= numFaults || r < 0 || r > 1 {
				return fmt.Errorf("%w: WithFaults: bad rate %v for %v", ErrInvalidOption, r, f)
			}
			sum += r
		}
		if sum > 1 {
			return fmt.Errorf("%w: WithFaults: rates add up to %v > 1", ErrInvalidOption, sum)
		}
		cfg.faults = fr
		return nil
	}
}

// WithSeed sets the seeded data: record counts and the random seed.
func WithSeed(s Seed) Option {
	return func(cfg *config) error {
		if min(s.Deals, s.Leads, s.Contacts, s.Companies, s.Tasks, s.Users) < 0 {
			return fmt.Errorf("%w: WithSeed: negative record count in %+v", ErrInvalidOption, s)
		}
		cfg.seed = s
		return nil
	}
}

// WithWebhook sets the webhook's user id and secret (default: user 1 and a
// random 16-character secret).
func WithWebhook(userID int, secret string) Option {
	return func(cfg *config) error {
		if userID < 1 || !validSecret(secret) {
			return fmt.Errorf("%w: WithWebhook: user id must be positive and the secret 1-64 letters or digits", ErrInvalidOption)
		}
		cfg.userID, cfg.secret = userID, &secret
		return nil
	}
}

// WithScopes sets the webhook's scopes (default: every scope the fake knows).
// A method whose scope is missing answers 401 insufficient_scope.
func WithScopes(scopes ...string) Option {
	return func(cfg *config) error {
		cfg.scopes = append([]string{}, scopes...)
		return nil
	}
}

// WithAddr sets the listening address (default "127.0.0.1:0", a free port).
// The host must be a loopback address.
func WithAddr(addr string) Option {
	return func(cfg *config) error {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("%w: WithAddr: %w", ErrInvalidOption, err)
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%w: WithAddr: %q is not a loopback address", ErrInvalidOption, host)
		}
		cfg.addr = addr
		return nil
	}
}

// InMemory builds a server without a socket: its URL has a host that does
// not resolve, and Client and Hook use the in-memory Transport. Use it for
// tests under testing/synctest, where the network would stop the fake clock.
func InMemory() Option {
	return func(cfg *config) error {
		cfg.inMemory = true
		return nil
	}
}

// WithLocation sets the portal's zone (default UTC+03:00), used in every
// date it writes.
func WithLocation(loc *time.Location) Option {
	return func(cfg *config) error {
		if loc == nil {
			return fmt.Errorf("%w: WithLocation: nil location", ErrInvalidOption)
		}
		cfg.location = loc
		return nil
	}
}

// WithMovedTo sets where the FaultMoved redirect points (default
// "https://moved.b24test.invalid"): the portal's new address, an absolute
// http(s) URL.
func WithMovedTo(base string) Option {
	return func(cfg *config) error {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: WithMovedTo(%q): want an absolute http(s) URL", ErrInvalidOption, base)
		}
		cfg.movedTo = base
		return nil
	}
}

// WithLegacyTime writes the time block as older portals do: "start" as Unix
// seconds with microseconds (1721722262.960948) and "processing" as a float
// (0.0012989044189453125). By default the fake writes both as current
// portals do, as integers truncated to the second (1769499930, 1); "finish",
// "duration", the dates and the operating fields are the same in both forms.
func WithLegacyTime() Option {
	return func(cfg *config) error {
		cfg.legacyTime = true
		return nil
	}
}

// WithFamily adds a method family to this server only: the methods f
// declares (see Method, Handler, Call) are served beside the fake's own; a
// name the fake already serves on the same API is an error from Start.
// For a fixed answer, On is shorter.
func WithFamily(f Family) Option {
	return func(cfg *config) error {
		if f == nil {
			return fmt.Errorf("%w: WithFamily: nil family", ErrInvalidOption)
		}
		cfg.extraFamly = append(cfg.extraFamly, f)
		return nil
	}
}

func validSecret(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// allScopes are the scopes a default webhook holds.
var allScopes = []string{"crm", "task", "tasks", "user", "user_brief", "user_basic", "department"}

// inMemoryHost is the host of an InMemory server's URL.
const inMemoryHost = "b24test.invalid"

// Server is a fake Bitrix24 portal.
type Server struct {
	cfg     config
	clock   Clock
	scale   float64
	limits  Limits // scaled
	latency Latency
	spread  *spreader     // Latency.Spread
	cutoff  time.Duration // scaled 60 s
	data    *Data
	reg     *registry
	bucket  *bucket
	op      *operating
	faults  *faults
	audit   *auditor
	stubs   stubs
	reqSeq  atomic.Int64 // requests to /rest, numbered from 1
	idem    *idemStore
	scopes  map[string]bool
	apps    atomic.Pointer[oauthApps] // oauth.go; behind a pointer: printing a Server shows no token
	hooks   webhooks                  // webhooks.go: AddWebhook's

	srv     *http.Server
	ln      net.Listener
	url     string
	certPEM []byte
	client  *http.Client

	tb testing.TB // set by NewServer

	closeOnce sync.Once
	closeErr  error
	h2wg      sync.WaitGroup // HTTP/2 handlers running
	h2mu      sync.Mutex     // guards h2closed and h2wg.Add
	h2closed  bool

	outboxes []*outbox     // outbound.go
	offline  *offlineQueue // offline.go
}

// NewServer starts a fake portal for a test and stops it when the test ends.
// It fails the test if the server cannot start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("b24test: %v", err)
	}
	s.tb = t
	t.Cleanup(func() { s.Close() })
	return s
}

// Start starts a fake portal; Close stops it.
func Start(opts ...Option) (*Server, error) {
	cfg := config{clock: systemClock{}, scale: 1, limits: StandardLimits(), latency: DefaultLatency(),
		userID: 1, addr: "127.0.0.1:0", movedTo: "https://moved.b24test.invalid"}
	cfg.location = time.FixedZone("", 3*3600)
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.clockOffset != 0 {
		cfg.clock = offsetClock{cfg.clock, cfg.clockOffset}
	}
	if cfg.secret == nil {
		sec := randomSecret()
		cfg.secret = &sec
	}
	if cfg.scopes == nil {
		cfg.scopes = allScopes
	}
	s := &Server{cfg: cfg, clock: cfg.clock, scale: cfg.scale, latency: cfg.latency}
	s.apps.Store(&oauthApps{})
	s.limits = cfg.limits.Scaled(cfg.scale)
	s.cutoff = scaleDur(60*time.Second, cfg.scale)
	s.spread = newSpreader(cfg.latency.Spread, cfg.seed.Seed)
	s.bucket = newBucket(s.limits.Burst, s.limits.Drain)
	s.op = newOperating(s.limits)
	s.faults = newFaults(cfg.faults)
	s.audit = newAuditor()
	s.idem = newIdemStore(scaleDur(24*time.Hour, cfg.scale))
	s.scopes = map[string]bool{}
	for _, sc := range cfg.scopes {
		s.scopes[sc] = true
	}
	now := s.clock.Now().In(cfg.location)
	s.data = &Data{Seed: cfg.seed.withDefaults(), Created: now, Location: cfg.location,
		Clock: func() time.Time { return s.clock.Now().In(cfg.location) }}
	s.offline = newOfflineQueue(cfg.scale)
	reg, err := buildRegistry(s.data, append([]Family{s.systemFamily, s.eventFamily}, cfg.extraFamly...)...)
	if err != nil {
		return nil, err
	}
	s.reg = reg
	s.startOutbound() // outbound.go
	s.onWrites()
	if cfg.inMemory {
		s.url = "https://" + inMemoryHost
		s.client = &http.Client{Transport: s.Transport()}
		return s, nil
	}
	cert, certPEM, err := selfSignedCert(now)
	if err != nil {
		return nil, err
	}
	s.certPEM = certPEM
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("b24test: listen: %w", err)
	}
	s.ln = ln
	s.url = "https://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
		ErrorLog:  log.New(io.Discard, "", 0)}
	if cfg.http2 {
		s.srv.TLSConfig.NextProtos = []string{"h2", "http/1.1"}
		s.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){
			"h2": func(_ *http.Server, c *tls.Conn, _ http.Handler) { s.serveH2(c) },
		}
	}
	s.srv.SetKeepAlivesEnabled(true)
	go s.srv.Serve(tls.NewListener(ln, s.srv.TLSConfig))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		MaxIdleConnsPerHost: 64,
		ForceAttemptHTTP2:   cfg.http2,
	}}
	return s, nil
}

// Close stops the server, waiting for the calls it is serving over
// HTTP/2 (a second call does nothing).
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		for _, b := range s.outboxes {
			b.stop()
		}
		if s.srv != nil {
			s.closeErr = s.srv.Close()
			s.h2mu.Lock()
			s.h2closed = true
			s.h2mu.Unlock()
			s.h2wg.Wait()
		}
		if t, ok := s.client.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
	})
	return s.closeErr
}

// URL returns the server's base URL, "https://127.0.0.1:PORT" (InMemory:
// "https://b24test.invalid").
func (s *Server) URL() string { return s.url }

// WebhookURL returns the REST v2 webhook base URL,
// "https://127.0.0.1:PORT/rest/<user>/<secret>/". It contains the secret.
func (s *Server) WebhookURL() string {
	return s.url + "/rest/" + strconv.Itoa(s.cfg.userID) + "/" + *s.cfg.secret + "/"
}

// WebhookV3URL returns the REST v3 base URL, ".../rest/api/<user>/<secret>/".
func (s *Server) WebhookV3URL() string {
	return s.url + "/rest/api/" + strconv.Itoa(s.cfg.userID) + "/" + *s.cfg.secret + "/"
}

// Client returns an HTTP client that trusts the server's certificate (for an
// InMemory server, one that uses Transport).
func (s *Server) Client() *http.Client { return s.client }

// CertificatePEM returns the server's self-signed certificate in PEM form
// (nil for an InMemory server).
func (s *Server) CertificatePEM() []byte { return append([]byte(nil), s.certPEM...) }

// Limits returns the limits in force, time scale applied.
func (s *Server) Limits() Limits { return s.limits }

// TimeScale returns the time scale K.
func (s *Server) TimeScale() float64 { return s.scale }

// Audit returns a snapshot of what the server saw.
func (s *Server) Audit() Audit { return s.audit.snapshot() }

// FailNext makes the next n calls of method (any case; "" for any request)
// fail with f, each served once. A named method's calls include the
// commands of a batch: a refusal (FaultUnavailable, FaultOverload,
// FaultOperating) then fails that command alone, in result_error; a list
// fault changes its page; any other fault ends the whole request at that
// command, before it runs (502, 302, echo body) or after (500, reset,
// truncated, slow), and the later commands do not run. Scripted faults
// take precedence over random ones; several scripts are served in the
// order they were added. See FailCommand and FailRequest for other targets.
func (s *Server) FailNext(method string, n int, f Fault) {
	if n > 0 && f > NoFault && f < numFaults {
		s.faults.add(method, n, f)
	}
}

// Data returns the data shared by the method families.
func (s *Server) Data() *Data { return s.data }

func randomSecret() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// selfSignedCert makes an ECDSA certificate for 127.0.0.1, ::1 and localhost.
func selfSignedCert(now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "b24test fake portal", Organization: []string{"b24test"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}

// ctxSleep waits d on the server's clock.
func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	return s.clock.Sleep(ctx, d)
}

// sleepUntil waits until t on the server's clock. The latency model sets when
// an answer is due from when the call arrived: the fake's own work overlaps
// the modelled time instead of adding to it, as a real portal's processing is
// part of its time, and a late wake-up is not carried into the next command.
func (s *Server) sleepUntil(ctx context.Context, t time.Time) error {
	return s.clock.Sleep(ctx, t.Sub(s.clock.Now()))
}

// Secret returns the webhook's secret, for a test that checks that it is
// redacted (never found in a log, an error or a file).
func (s *Server) Secret() string { return *s.cfg.secret }
