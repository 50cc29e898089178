package b24test

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// OAuthTokenPath is the fake's OAuth server: the refresh grant
// (grant_type=refresh_token) and the authorization-code grant
// (grant_type=authorization_code), as https://oauth.bitrix.info/oauth/token/
// serves them.
const OAuthTokenPath = "/oauth/token/"

// AccessTTL and RefreshTTL are how long the fake's tokens live at time
// scale 1: an hour for an access token, 180 days for a refresh token (the
// REST docs, "Automatic Renewal of OAuth 2.0 Tokens").
const (
	AccessTTL  = time.Hour
	RefreshTTL = 180 * 24 * time.Hour
	CodeTTL    = 30 * time.Second // an authorization code, valid once
)

// AppTokens are an application's tokens as the fake issued them.
type AppTokens struct {
	AccessToken  string
	RefreshToken string
	Expires      time.Time // the access token's expiry, on the fake's clock
}

// String describes the tokens without them.
func (t AppTokens) String() string {
	return "b24test.AppTokens{expires " + t.Expires.UTC().Format(time.RFC3339) + "}"
}

// GoString implements fmt.GoStringer without the tokens.
func (t AppTokens) GoString() string { return t.String() }

// MarshalJSON describes the tokens without them.
func (t AppTokens) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"expires": t.Expires})
}

// LogValue implements slog.LogValuer without the tokens.
func (t AppTokens) LogValue() slog.Value { return slog.StringValue(t.String()) }

// oauthApps is the fake's OAuth state: one application, its live tokens.
type oauthApps struct {
	mu        sync.Mutex
	clientID  string
	secret    string
	access    map[string]time.Time // access token -> expiry
	refresh   map[string]refreshRec
	refreshes int                  // refresh grants answered with new tokens
	loseNext  int                  // refresh answers to drop after issuing the tokens
	retire    bool                 // RetireOnRefresh: a used refresh token ends at once
	codes     map[string]time.Time // authorization code -> expiry
}

// refreshRec is a live refresh token. A rotated-out token stays valid until
// its successor is first used: a client whose answer was lost can refresh
// again with the token it still holds (docs/oauth.md).
type refreshRec struct {
	expires time.Time
	next    string // the refresh token issued in exchange for this one
	nextAT  string // and the access token
}

// RegisterApp registers the application (client id and secret) and issues
// it a first pair of tokens, as the authorization-code grant or the install
// event would. Calling it again replaces the application.
func (s *Server) RegisterApp(clientID, clientSecret string) AppTokens {
	a := s.apps.Load()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clientID, a.secret = clientID, clientSecret
	a.access, a.refresh, a.refreshes = map[string]time.Time{}, map[string]refreshRec{}, 0
	a.codes = map[string]time.Time{}
	return a.issue(s.clock.Now(), s.scale)
}

// IssueCode returns an authorization code for the registered application,
// as the portal gives one to the application's redirect URI after the
// user allows it: exchanged once (grant_type=authorization_code), and only
// within CodeTTL (on the fake's clock and time scale).
func (s *Server) IssueCode() string {
	a := s.apps.Load()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.codes == nil {
		a.codes = map[string]time.Time{}
	}
	c := randomToken()
	a.codes[c] = s.clock.Now().Add(scaleDur(CodeTTL, s.scale))
	return c
}

// issue makes a new access and refresh token (a.mu held).
func (a *oauthApps) issue(now time.Time, scale float64) AppTokens {
	t := AppTokens{AccessToken: randomToken(), RefreshToken: randomToken(), Expires: now.Add(scaleDur(AccessTTL, scale))}
	a.access[t.AccessToken] = t.Expires
	a.refresh[t.RefreshToken] = refreshRec{expires: now.Add(scaleDur(RefreshTTL, scale))}
	return t
}

// OAuthURL returns the URL of the fake's token endpoint.
func (s *Server) OAuthURL() string { return s.url + OAuthTokenPath }

// ExpireAccessTokens ends the life of every access token now, as an hour
// passing would.
func (s *Server) ExpireAccessTokens() {
	a := s.apps.Load()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.access {
		a.access[k] = time.Time{}
	}
}

// Refreshes returns how many refresh grants issued new tokens.
func (s *Server) Refreshes() int {
	a := s.apps.Load()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refreshes
}

// LoseRefreshAnswers makes the next n refresh grants issue their tokens and
// then drop the connection: the client never reads them.
func (s *Server) LoseRefreshAnswers(n int) {
	a := s.apps.Load()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.loseNext = n
}

// RetireOnRefresh makes a refresh token end as soon as it is exchanged
// (on) instead of when its successor is first used (off, the default). It
// is the stricter server: a client whose refresh answer was lost
// (LoseRefreshAnswers) holds a dead refresh token and can only be
// re-authorized; docs/oauth.md says why the real server's choice is not
// known.
func (s *Server) RetireOnRefresh(on bool) {
	a := s.apps.Load()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.retire = on
}

// PostInstall POSTs the ONAPPINSTALL event of the registered application
// to handlerURL with client (nil: the fake's client), as the portal does
// when the application is installed: a new pair of tokens, the portal's
// domain, member_id (MemberID), user, endpoints and a new
// application_token, which it returns. A status other than 200 is an error.
func (s *Server) PostInstall(ctx context.Context, handlerURL string, client *http.Client) (applicationToken string, err error) {
	a := s.apps.Load()
	a.mu.Lock()
	if a.clientID == "" {
		a.mu.Unlock()
		return "", errors.New("b24test: PostInstall: no application (RegisterApp first)")
	}
	now := s.clock.Now()
	t := a.issue(now, s.scale)
	a.mu.Unlock()
	appToken := randomToken()
	host := strings.TrimPrefix(s.url, "https://")
	form := url.Values{"event": {"ONAPPINSTALL"}, "event_handler_id": {"1"}, "ts": {strconv.FormatInt(now.Unix(), 10)},
		"data[VERSION]": {"1"}, "data[ACTIVE]": {"Y"}, "data[INSTALLED]": {"Y"}, "data[LANGUAGE_ID]": {"en"},
		"auth[access_token]": {t.AccessToken}, "auth[refresh_token]": {t.RefreshToken},
		"auth[expires]": {strconv.FormatInt(t.Expires.Unix(), 10)}, "auth[expires_in]": {strconv.Itoa(int(t.Expires.Sub(now).Seconds()))},
		"auth[scope]": {"crm,user"}, "auth[domain]": {host}, "auth[server_endpoint]": {s.url + "/rest/"}, "auth[status]": {"L"},
		"auth[client_endpoint]": {s.url + "/rest/"}, "auth[member_id]": {MemberID}, "auth[user_id]": {strconv.Itoa(s.cfg.userID)},
		"auth[application_token]": {appToken}}
	if client == nil {
		client = s.client
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, handlerURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("b24test: PostInstall: the handler answered %s", resp.Status)
	}
	return appToken, nil
}

func randomToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// oauthError is an answer of the token endpoint or of REST to a bad token.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// serveOAuth answers the refresh grant: wrong_client for an unknown client
// id or a wrong secret, invalid_grant for an unknown or expired refresh
// token, else new tokens (the refresh token rotated).
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	q := r.Form
	a := s.apps.Load()
	a.mu.Lock()
	grant := q.Get("grant_type")
	if grant != "refresh_token" && grant != "authorization_code" {
		a.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only refresh_token and authorization_code are served")
		return
	}
	if a.clientID == "" || q.Get("client_id") != a.clientID ||
		subtle.ConstantTimeCompare([]byte(q.Get("client_secret")), []byte(a.secret)) != 1 {
		a.mu.Unlock()
		oauthError(w, http.StatusUnauthorized, "wrong_client", "Wrong client")
		return
	}
	now := s.clock.Now()
	if grant == "authorization_code" {
		s.serveCode(w, a, q.Get("code"), now)
		return
	}
	old := q.Get("refresh_token")
	rec, ok := a.refresh[old]
	if !ok || !now.Before(rec.expires) {
		a.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
		return
	}
	if rec.next != "" { // the successor was never used: retire it for a new one
		delete(a.refresh, rec.next)
		delete(a.access, rec.nextAT)
	}
	t := a.issue(now, s.scale)
	rec.next, rec.nextAT = t.RefreshToken, t.AccessToken
	a.refresh[old] = rec
	if a.retire {
		delete(a.refresh, old)
	}
	a.refreshes++
	lose := a.loseNext > 0
	if lose {
		a.loseNext--
	}
	a.mu.Unlock()
	if lose {
		abortConn(w)
		return
	}
	s.writeTokens(w, t, now)
}

// serveCode answers the authorization-code grant (a.mu held, released
// here): invalid_grant for an unknown, used or expired code, else a first
// pair of tokens.
func (s *Server) serveCode(w http.ResponseWriter, a *oauthApps, code string, now time.Time) {
	exp, ok := a.codes[code]
	delete(a.codes, code) // valid once, even when late
	if !ok || !now.Before(exp) {
		a.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid authorization code")
		return
	}
	t := a.issue(now, s.scale)
	a.mu.Unlock()
	s.writeTokens(w, t, now)
}

// writeTokens is the token endpoint's answer with new tokens.
func (s *Server) writeTokens(w http.ResponseWriter, t AppTokens, now time.Time) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": t.AccessToken, "refresh_token": t.RefreshToken,
		"expires": t.Expires.Unix(), "expires_in": int(t.Expires.Sub(now).Seconds()),
		"scope": "app", "domain": "oauth.bitrix.info", "status": "L",
		"client_endpoint": s.url + "/rest/", "server_endpoint": s.url + "/rest/",
		"member_id": MemberID, "user_id": s.cfg.userID,
	})
}

// MemberID is the fake portal's member id: the token endpoint's member_id and
// the default auth[member_id] of its outbound events.
const MemberID = "b24testmember"

// appToken returns the access token of an application request: the
// Authorization: Bearer header or the auth query parameter.
func appToken(r *http.Request) string {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return r.URL.Query().Get("auth")
}

// checkAppToken validates an application's access token: nil when it is
// live; the first use of a rotated token retires its predecessor.
func (s *Server) checkAppToken(tok string) *Error {
	a := s.apps.Load()
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.access[tok]
	if !ok {
		return errInvalidToken
	}
	if !s.clock.Now().Before(exp) {
		return errExpiredToken
	}
	for k, rec := range a.refresh {
		if rec.nextAT == tok { // the successor is in use: the old refresh token ends
			delete(a.refresh, k)
		}
	}
	return nil
}

var (
	errExpiredToken = &Error{Status: 401, Code: "expired_token", Description: "The access token provided has expired.",
		V3Code: "expired_token", V3Message: "The access token provided has expired."}
	errInvalidToken = &Error{Status: 401, Code: "invalid_token", Description: "The access token provided is invalid.",
		V3Code: "invalid_token", V3Message: "The access token provided is invalid."}
)
