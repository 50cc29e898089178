package b24

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/b24go/b24/internal/redact"
)

// TokenSource gives an application's OAuth access tokens to a Hook built
// by NewApp. Package github.com/b24go/b24/oauth implements it (refresh
// before expiry, one refresh at a time, rotated tokens saved before use).
// Implementations must be safe for concurrent use.
type TokenSource interface {
	// Token returns a live access token, refreshing it when due.
	Token(ctx context.Context) (string, error)
	// Expired tells the source the portal answered expired_token to token:
	// the next Token must not return it.
	Expired(token string)
	// ClientID returns the application's client id (the key of its operating budgets).
	ClientID() string
	// Secrets returns every value to redact: the tokens and the client secret.
	Secrets() []string
}

// NewApp builds a Hook that calls the portal at portalURL (an https origin)
// as an application: each request carries Authorization: Bearer <token>
// from ts, on /rest/<method> (v2) and /rest/api/<method> (REST 3.0). Every
// Hook capability works the same. An expired_token answer (the call did not
// run) makes ts drop the token, and the call is sent once more.
func NewApp(portalURL string, ts TokenSource, opts ...Option) (*Hook, error) {
	if ts == nil {
		return nil, invalidf("NewApp: nil TokenSource")
	}
	host, err := parsePortalURL(portalURL)
	if err != nil {
		return nil, err
	}
	return newHook(webhook{host: host, app: ts}, opts)
}

// ClientID returns the application's client id (NewApp), or "" for a
// webhook. With Portal and UserID it says whose data a stored file holds:
// journals, checkpoints and synced databases refuse another one's.
func (h *Hook) ClientID() string {
	if h.app == nil {
		return ""
	}
	return h.app.ClientID()
}

// appCredential is the operating budget key of an application on a portal.
func appCredential(host string, ts TokenSource) string {
	sum := sha256.Sum256([]byte(host + "\x00app\x00" + ts.ClientID()))
	return hex.EncodeToString(sum[:16])
}

// authorize adds the application's access token to req and returns it;
// a webhook's requests carry their secret in the path already.
func (h *Hook) authorize(ctx context.Context, req *http.Request, method string) (string, error) {
	if h.app == nil {
		return "", nil
	}
	tok, err := h.app.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("b24: %s: %w: %w", method, ErrNoToken, scrubErr(err, h.redact))
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return tok, nil
}

// secrets returns what the Hook redacts: the webhook secret, or the
// application's tokens and client secret.
func (h *Hook) secrets() []string {
	if h.app != nil {
		return h.app.Secrets()
	}
	return []string{h.secret.Reveal()}
}

// redact removes every echo of the secrets from s: in any letter case,
// percent-encoded or JSON-escaped (redact.Find).
func (h *Hook) redact(s string) string {
	for _, sec := range h.secrets() {
		s = redact.String(s, sec)
	}
	return s
}

// redactBody returns body with every echo of the secrets replaced, or body
// itself when it holds none (the usual case: one scan, no copy). The
// replacement keeps the body valid JSON.
func (h *Hook) redactBody(body []byte) []byte {
	for _, sec := range h.secrets() {
		body = redact.Bytes(body, sec)
	}
	return body
}

// redactHeader returns a copy of hdr with the secrets' echoes masked.
func (h *Hook) redactHeader(hdr http.Header) http.Header {
	for _, sec := range h.secrets() {
		hdr = redact.Header(hdr, sec)
	}
	return hdr
}
