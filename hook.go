package b24

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/b24go/b24/limit"
)

// HookParams are the parts of an inbound webhook given separately.
type HookParams struct {
	PortalURL string // the portal's origin, e.g. https://example.bitrix24.com
	UserID    int64  // the id of the user who created the webhook
	Secret    string // the webhook's secret
}

// APIVersion selects REST v2 (/rest/<uid>/<secret>/) or REST 3.0 (/rest/api/<uid>/<secret>/).
type APIVersion int

const (
	APIv2 APIVersion = 2
	APIv3 APIVersion = 3
)

func (v APIVersion) String() string { return "v" + strconv.Itoa(int(v)) }

// Hook is an inbound webhook of a Bitrix24 portal and the client that calls
// its REST API: the Go counterpart of the JavaScript SDK's B24Hook.
//
// A Hook is safe for concurrent use. All its calls share one Limiter, so
// REST v2 and v3 calls draw on the same request bucket and operating budgets.
// The secret never leaves the Hook: printing, logging or JSON-encoding a Hook
// or any value it returns shows "****" in its place.
type Hook struct {
	host       string // normalised host[:port]
	userID     int64
	secret     Secret      // the secret, only ever behind Secret's pointer
	credential string      // hash of the credential, the key of operating budgets
	app        TokenSource // an application's tokens (NewApp); nil for a webhook
	client     *http.Client
	limiter    limit.Limiter
	userAgent  string
	timeout    time.Duration
	maxBody    int64

	params    atomic.Pointer[RestrictionParams]
	logger    atomic.Pointer[slog.Logger]
	closed    atomic.Bool
	noWarning atomic.Bool
	stats     hookStats
	billing   billingMode // retry.go
	v2, v3    *API
}

// FromWebhookURL builds a Hook from an inbound webhook URL,
// https://<portal>/rest/<userId>/<secret>/ (the REST 3.0 form
// https://<portal>/rest/api/<userId>/<secret>/ is accepted too; a Hook always
// serves both versions). A trailing slash is optional. The URL must use https,
// have no query or fragment, and no method name after the secret. Errors wrap
// ErrInvalidWebhook and never contain the secret.
func FromWebhookURL(rawURL string, opts ...Option) (*Hook, error) {
	wh, err := parseWebhookURL(rawURL)
	if err != nil {
		return nil, err
	}
	return newHook(wh, opts)
}

// New builds a Hook from the parts of a webhook. It validates them as
// FromWebhookURL does.
func New(p HookParams, opts ...Option) (*Hook, error) {
	wh, err := parseHookParams(p)
	if err != nil {
		return nil, err
	}
	return newHook(wh, opts)
}

func newHook(wh webhook, opts []Option) (*Hook, error) {
	cfg := config{
		params:          DefaultRestrictionParams(),
		userAgent:       "b24-go/" + Version,
		timeout:         DefaultTimeout,
		maxResponseSize: DefaultMaxResponseSize,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("b24: nil Option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.httpClient == nil {
		// An own transport: parallel walks keep many connections to one
		// portal busy (the default keeps 2 idle per host), and Close must not
		// drop other clients' connections.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		cfg.httpClient = &http.Client{Transport: tr}
	}
	// The secret is in the URL path: following a redirect would send it to
	// whatever host the Location names. Redirects become errors instead.
	cfg.httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	sum := sha256.Sum256([]byte(wh.host + "\x00" + strconv.FormatInt(wh.userID, 10) + "\x00" + wh.secret))
	h := &Hook{
		host:       wh.host,
		userID:     wh.userID,
		secret:     newSecret(wh.secret, redacted),
		credential: hex.EncodeToString(sum[:16]),
		app:        wh.app,
		client:     cfg.httpClient,
		userAgent:  cfg.userAgent,
		timeout:    cfg.timeout,
		maxBody:    cfg.maxResponseSize,
	}
	if wh.app != nil {
		h.credential = appCredential(wh.host, wh.app)
	}
	h.limiter = cfg.limiter
	if h.limiter == nil {
		l, err := limit.New(cfg.params.Params)
		if err != nil {
			return nil, err // the options validated the params: not reached
		}
		h.limiter = l
	}
	p := cfg.params
	h.params.Store(&p)
	h.logger.Store(cfg.logger)
	h.v2 = &API{h: h, version: APIv2, base: h.TargetOriginWithPath(APIv2)}
	h.v3 = &API{h: h, version: APIv3, base: h.TargetOriginWithPath(APIv3)}
	return h, nil
}

// Close releases the Hook's idle connections; later calls fail with ErrClosed.
// It is the counterpart of the JS SDK's destroy(). Calls in flight finish.
func (h *Hook) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	h.client.CloseIdleConnections()
	return nil
}

// V2 returns the REST v2 API (/rest/<uid>/<secret>/), the JS SDK's actions.v2.
func (h *Hook) V2() *API { return h.v2 }

// V3 returns the REST 3.0 API (/rest/api/<uid>/<secret>/), the JS SDK's actions.v3.
func (h *Hook) V3() *API { return h.v3 }

// TargetOrigin returns the portal's origin, https://<host>[:port]. It holds no secret.
func (h *Hook) TargetOrigin() string { return "https://" + h.host }

// TargetOriginWithPath returns the base URL of API version v,
// https://<host>/rest/<uid>/<secret> (v2) or https://<host>/rest/api/<uid>/<secret> (v3),
// as a Secret: it prints redacted, and Reveal returns the URL.
func (h *Hook) TargetOriginWithPath(v APIVersion) Secret {
	prefix := h.TargetOrigin() + "/rest/"
	if v == APIv3 {
		prefix += "api/"
	}
	if h.app != nil { // an application's token travels in a header
		return newSecret(prefix[:len(prefix)-1], prefix[:len(prefix)-1])
	}
	prefix += strconv.FormatInt(h.userID, 10) + "/"
	return newSecret(prefix+h.secret.Reveal(), prefix+redacted)
}

// UserID returns the id of the user the webhook belongs to. For an
// application (NewApp) it is the user its tokens act for when the
// TokenSource knows it (oauth.Source: the token answer's user_id), else 0:
// oauth.UserID asks the portal once.
func (h *Hook) UserID() int64 {
	if u, ok := h.app.(interface{ UserID() int64 }); ok {
		return u.UserID()
	}
	return h.userID
}

// Portal returns the portal's normalised host (with the port, if not 443):
// the key of its request bucket.
func (h *Hook) Portal() string { return h.host }

// CredentialHash returns a hash of the webhook's credential, the key of its
// operating budgets in a Limiter. It cannot be turned back into the secret.
func (h *Hook) CredentialHash() string { return h.credential }

// Logger returns the Hook's logger.
func (h *Hook) Logger() *slog.Logger { return h.logger.Load() }

// SetLogger replaces the Hook's logger for later calls; nil discards logs.
func (h *Hook) SetLogger(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	h.logger.Store(l)
}

// HTTPClient returns a copy of the HTTP client the Hook sends requests with.
// It holds no secret: the Hook adds the webhook path to each request itself.
func (h *Hook) HTTPClient() *http.Client {
	c := *h.client
	return &c
}

// RestrictionParams returns the parameters in force.
func (h *Hook) RestrictionParams() RestrictionParams { return *h.params.Load() }

// SetRestrictionParams replaces the pacing and retry parameters for later
// calls. Zero fields take the defaults of StandardPlan (not the values in
// force); the merged set is validated and applied atomically, or not at all.
// Calls in flight keep the parameters they started with. A limiter given
// with WithLimiter is reconfigured when it has a SetParams method.
func (h *Hook) SetRestrictionParams(p RestrictionParams) error {
	m := p.Merge(DefaultRestrictionParams())
	if err := m.Validate(); err != nil {
		return err
	}
	if c, ok := h.limiter.(interface{ SetParams(limit.Params) error }); ok {
		if err := c.SetParams(m.Params); err != nil {
			return err
		}
	}
	h.params.Store(&m)
	return nil
}

// String returns the Hook's redacted webhook URL.
func (h *Hook) String() string { return "b24.Hook(" + h.TargetOriginWithPath(APIv2).String() + "/)" }

// GoString implements fmt.GoStringer without the secret.
func (h *Hook) GoString() string { return h.String() }

// Format implements fmt.Formatter without the secret, for every verb.
func (h *Hook) Format(f fmt.State, verb rune) { fmt.Fprint(f, h.String()) }

// LogValue implements slog.LogValuer without the secret.
func (h *Hook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("portal", h.host), slog.Int64("user_id", h.userID))
}

// MarshalJSON describes the Hook without the secret.
func (h *Hook) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"portal":%q,"user_id":%d,"webhook":%q}`, h.host, h.userID, h.TargetOriginWithPath(APIv2).String()+"/"), nil
}

// String describes the parameters with the secret redacted.
func (p HookParams) String() string {
	return fmt.Sprintf("b24.HookParams{PortalURL:%q, UserID:%d, Secret:%q}", p.PortalURL, p.UserID, p.shownSecret())
}

// GoString implements fmt.GoStringer without the secret.
func (p HookParams) GoString() string { return p.String() }

// Format implements fmt.Formatter without the secret, for every verb.
func (p HookParams) Format(f fmt.State, verb rune) { fmt.Fprint(f, p.String()) }

// LogValue implements slog.LogValuer without the secret.
func (p HookParams) LogValue() slog.Value {
	return slog.GroupValue(slog.String("portal_url", p.PortalURL), slog.Int64("user_id", p.UserID),
		slog.String("secret", p.shownSecret()))
}

// MarshalJSON writes the parameters with the secret redacted: a HookParams
// never carries its secret into JSON (logs, configuration dumps).
func (p HookParams) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		PortalURL string
		UserID    int64
		Secret    string
	}{p.PortalURL, p.UserID, p.shownSecret()})
}

func (p HookParams) shownSecret() string {
	if p.Secret == "" {
		return ""
	}
	return redacted
}
