package b24

// The JavaScript SDK's names, kept for parity with its B24Hook so that code
// and habits carry over (docs/js-sdk.md maps every name). A Go program needs
// none of them: a Hook is ready when built, Call's error says what Ping's -1
// hides, and the secret is a Hook's own.

import (
	"context"
	"log/slog"
	"runtime"
	"time"
)

// IsInit reports whether the Hook is ready for calls: true from construction
// until Close. (The JS SDK's isInit; a Go Hook needs no separate init step.)
func (h *Hook) IsInit() bool { return h != nil && !h.closed.Load() }

// OffClientSideWarning turns off the warning that a webhook must not be used
// in a browser. The warning is only ever logged in GOOS=js builds, where the
// code may run in a browser; elsewhere this is a no-op.
func (h *Hook) OffClientSideWarning() { h.noWarning.Store(true) }

// warnClientSide logs, on every call, that a webhook must not be used where a
// browser may run the code (GOOS=js), unless OffClientSideWarning was called.
// Elsewhere no browser can run this code, and it does nothing.
func warnClientSide(h *Hook) {
	if runtime.GOOS != "js" || h.noWarning.Load() {
		return
	}
	h.Logger().LogAttrs(context.Background(), slog.LevelWarn, "b24: a webhook is for server-side use only; its secret must not be used in browser or mobile code",
		slog.String("code", "CLIENT_SIDE_WARNING"))
}

// Ping measures the round trip of the v2 method server.time, limiter waits
// and retries included (the JS SDK's tools.ping, which returns -1 on failure;
// here the error says why).
func (h *Hook) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if _, err := h.v2.Call(ctx, "server.time", nil); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// HealthCheck reports whether the portal answers server.time with a result
// (the JS SDK's tools.healthCheck). When it does not, the error says why.
func (h *Hook) HealthCheck(ctx context.Context) (bool, error) {
	_, err := h.v2.Call(ctx, "server.time", nil)
	return err == nil, err
}

// AuthData is the synthetic authorisation data of a webhook, as the JS SDK's
// AuthHookManager gives it: a webhook has no OAuth token, so the access token
// is the secret and nothing ever expires.
type AuthData struct {
	AccessToken  Secret // the webhook secret, redacted when shown
	RefreshToken string // always "hook"
	Expires      int64  // always 0
	ExpiresIn    int64  // always 0
	Domain       string // the portal's host
	MemberID     string // the portal's host (a webhook has no member id of its own)
	IsAdmin      bool   // always true, as in the JS SDK
}

// Unique returns prefix + "_" + MemberID: a name unique to the portal (the JS SDK's getUniq).
func (a AuthData) Unique(prefix string) string { return prefix + "_" + a.MemberID }

// Auth returns the Hook's synthetic auth data. Refreshing it is never needed.
// A Hook of an application (NewApp) returns no token here: its tokens are
// its TokenSource's.
func (h *Hook) Auth() AuthData {
	return AuthData{
		AccessToken:  h.secret,
		RefreshToken: "hook",
		Domain:       h.host,
		MemberID:     h.host,
		IsAdmin:      true,
	}
}
