// Package install reads the requests a Bitrix24 portal makes to an
// application: the ONAPPINSTALL event (and ONAPPUNINSTALL) POSTed to the
// application's handler, and the application page's POST (the install
// page or a placement: AUTH_ID, REFRESH_ID, PLACEMENT, PLACEMENT_OPTIONS).
// Every field is checked: tokens as oauth.ValidToken, the member id, the
// domain, the endpoints (https, on the portal's domain), the expiry.
//
// An application installed on many portals keeps one credential per
// portal, keyed by member_id (Dir): the tokens (an oauth.Store for that
// portal's oauth.Source) and the application_token, which later events
// must carry (Dir.Verify, constant time). An install event may carry no
// tokens (the REST docs' example has none): the portal and its
// application_token are kept, the tokens come later (an authorization code
// exchanged into Dir.Tokens). Handler saves an install's
// credential atomically and refuses a second install of a portal whose
// application_token differs until an uninstall carrying the right token
// removed it: a forged event cannot replace a portal's credential.
//
// Field names follow Bitrix24's REST documentation ("OnAppInstall",
// "Placement": apidocs.bitrix24.com) and the official SDKs (b24jssdk's
// HandlerAuthParams and EventOnAppInstallHandlerParams); docs/oauth.md
// lists the sources.
package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/oauth"
)

// Errors of the parsers and of Dir.
var (
	ErrInvalid       = errors.New("install: invalid request")
	ErrWrongApp      = errors.New("install: the application_token does not match the portal's")
	ErrNotInstalled  = errors.New("install: no credential for this member_id")
	ErrAlreadyExists = errors.New("install: the portal is installed with another application_token")
)

// maxLife bounds an access token's claimed life.
const maxLife = 30 * 24 * time.Hour

var (
	memberRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	domainRe  = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$`)
	langRe    = regexp.MustCompile(`^[a-z]{2}(-[a-z]{2})?$`)
	codeRe    = regexp.MustCompile(`^[A-Z0-9_.]{1,64}$`)              // event names and placement codes
	versionRe = regexp.MustCompile(`^[0-9]{1,7}(\.[0-9]{1,7}){0,3}$`) // ONAPPINSTALL data[VERSION]: 1 or 1.0.0
)

// Auth is an event's auth[...] block, the credential of the portal the
// request comes from. Printing, logging or JSON-encoding it hides the
// tokens.
type Auth struct {
	AccessToken      string
	RefreshToken     string
	Expiry           time.Time // from expires_in, never later than expires
	Scope            []string
	Domain           string // host[:port], lower case
	ClientEndpoint   string // https://<domain>/rest/
	ServerEndpoint   string // the OAuth server's REST endpoint
	Status           string // the application's status: F free, D demo, T trial, P paid, L local, S subscription
	MemberID         string
	UserID           int64
	ApplicationToken string
}

// Token returns the auth block's tokens as the oauth package keeps them.
func (a Auth) Token() oauth.Token {
	return oauth.Token{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, Expiry: a.Expiry,
		MemberID: a.MemberID, UserID: a.UserID}
}

// Event is an event POSTed to an application's handler: ONAPPINSTALL
// (Data holds VERSION, ACTIVE, INSTALLED, LANGUAGE_ID), ONAPPUNINSTALL, or
// any other (Data as sent: data[...] keys without the prefix).
type Event struct {
	Name      string // upper case: ONAPPINSTALL
	HandlerID int64
	TS        time.Time
	Data      map[string]string
	Version   int  // ONAPPINSTALL: data[VERSION]
	Installed bool // ONAPPINSTALL: data[INSTALLED] == "Y"
	Language  string
	Auth      Auth
}

// ParseEvent reads an event from the handler's form (the POST body,
// application/x-www-form-urlencoded). now dates the token's expiry. Every
// event must carry a domain, a member_id and an application_token; the
// tokens are optional (the REST docs' ONAPPINSTALL carries none), but
// when one is given both must be valid.
func ParseEvent(form url.Values, now time.Time) (Event, error) {
	e := Event{Name: strings.ToUpper(form.Get("event")), Data: map[string]string{}}
	if !codeRe.MatchString(e.Name) {
		return Event{}, invalid("event %q", short(form.Get("event")))
	}
	for k, v := range form {
		if name, ok := strings.CutPrefix(k, "data["); ok && strings.HasSuffix(name, "]") && len(v) > 0 {
			e.Data[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
	if s := form.Get("event_handler_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 0 {
			return Event{}, invalid("event_handler_id %q", short(s))
		}
		e.HandlerID = id
	}
	if s := form.Get("ts"); s != "" {
		ts, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ts < 0 || ts > 1<<40 {
			return Event{}, invalid("ts %q", short(s))
		}
		e.TS = time.Unix(ts, 0)
	}
	install := e.Name == "ONAPPINSTALL"
	a, err := parseAuth(form, now)
	if err != nil {
		return Event{}, err
	}
	e.Auth = a
	if install {
		if err := e.installData(); err != nil {
			return Event{}, err
		}
	}
	return e, nil
}

// installData reads ONAPPINSTALL's data block. VERSION is an integer
// ("1") or dotted ("1.0.0", as the REST docs' example sends it): Version
// is its first number, Data["VERSION"] keeps it whole.
func (e *Event) installData() error {
	raw := e.Data["VERSION"]
	if !versionRe.MatchString(raw) {
		return invalid("data[VERSION] %q", short(raw))
	}
	first, _, _ := strings.Cut(raw, ".")
	v, err := strconv.Atoi(first)
	if err != nil || v > 1<<20 {
		return invalid("data[VERSION] %q", short(raw))
	}
	e.Version, e.Installed = v, e.Data["INSTALLED"] == "Y"
	if l := strings.ToLower(e.Data["LANGUAGE_ID"]); l != "" {
		if !langRe.MatchString(l) {
			return invalid("data[LANGUAGE_ID] %q", short(l))
		}
		e.Language = l
	}
	return nil
}

// parseAuth reads auth[...]: the tokens are optional, both or none.
func parseAuth(form url.Values, now time.Time) (Auth, error) {
	get := func(k string) string { return form.Get("auth[" + k + "]") }
	a := Auth{AccessToken: get("access_token"), RefreshToken: get("refresh_token"), Status: get("status"),
		MemberID: get("member_id"), ApplicationToken: get("application_token")}
	if !memberRe.MatchString(a.MemberID) {
		return Auth{}, invalid("auth[member_id] %q", short(a.MemberID))
	}
	if !oauth.ValidToken(a.ApplicationToken) {
		return Auth{}, invalid("auth[application_token] is missing or malformed")
	}
	d, err := domain(get("domain"))
	if err != nil {
		return Auth{}, err
	}
	a.Domain = d
	if s := get("scope"); s != "" {
		a.Scope = strings.Split(s, ",")
	}
	if err := a.endpoints(get("client_endpoint"), get("server_endpoint")); err != nil {
		return Auth{}, err
	}
	if s := get("user_id"); s != "" {
		if a.UserID, err = strconv.ParseInt(s, 10, 64); err != nil || a.UserID < 0 {
			return Auth{}, invalid("auth[user_id] %q", short(s))
		}
	}
	if a.AccessToken == "" && a.RefreshToken == "" {
		return a, nil
	}
	if !oauth.ValidToken(a.AccessToken) || !oauth.ValidToken(a.RefreshToken) {
		return Auth{}, invalid("auth[access_token] and auth[refresh_token] are missing or malformed")
	}
	a.Expiry, err = expiry(get("expires_in"), get("expires"), now)
	return a, err
}

// endpoints checks client_endpoint (https on the portal's domain) and
// server_endpoint (https), both optional.
func (a *Auth) endpoints(client, server string) error {
	for _, ep := range []struct {
		name, v string
		dst     *string
	}{{"client_endpoint", client, &a.ClientEndpoint}, {"server_endpoint", server, &a.ServerEndpoint}} {
		if ep.v == "" {
			continue
		}
		u, err := url.Parse(ep.v)
		if err != nil || u.Scheme != "https" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !domainRe.MatchString(strings.ToLower(u.Host)) {
			return invalid("auth[%s] %q is not an https URL", ep.name, short(ep.v))
		}
		if ep.name == "client_endpoint" && !strings.EqualFold(u.Host, a.Domain) {
			return invalid("auth[client_endpoint] is not on the portal's domain %s", a.Domain)
		}
		*ep.dst = ep.v
	}
	return nil
}

// expiry is now + expires_in, never later than expires when it is given.
func expiry(in, abs string, now time.Time) (time.Time, error) {
	n, err := strconv.ParseInt(in, 10, 64)
	if err != nil || n <= 0 || n > int64(maxLife/time.Second) {
		return time.Time{}, invalid("expires_in %q is not plausible", short(in))
	}
	t := now.Add(time.Duration(n) * time.Second)
	if abs != "" {
		e, err := strconv.ParseInt(abs, 10, 64)
		if err != nil || e <= 0 || e > 1<<40 {
			return time.Time{}, invalid("expires %q", short(abs))
		}
		if u := time.Unix(e, 0); u.Before(t) {
			t = u
		}
	}
	return t, nil
}

// domain checks a portal's host[:port].
func domain(s string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(s))
	if !domainRe.MatchString(d) || strings.Contains(d, "..") {
		return "", invalid("domain %q", short(s))
	}
	return d, nil
}

// Placement is the POST of an application page: the install page
// (PLACEMENT=DEFAULT) or a placement the application bound. Its tokens
// are the current user's (AUTH_ID, REFRESH_ID), for calls on the user's
// behalf. Printing, logging or JSON-encoding it hides them.
type Placement struct {
	AccessToken  string    // AUTH_ID
	RefreshToken string    // REFRESH_ID
	Expiry       time.Time // now + AUTH_EXPIRES
	MemberID     string    // member_id
	Domain       string    // DOMAIN
	HTTPS        bool      // PROTOCOL=1
	Lang         string    // LANG
	Status       string    // status
	Placement    string    // PLACEMENT: DEFAULT, CRM_DEAL_DETAIL_TAB, ...
	Options      json.RawMessage
}

// maxOptions bounds PLACEMENT_OPTIONS.
const maxOptions = 64 << 10

// ParsePlacement reads an application page's POST form (DOMAIN, PROTOCOL
// and LANG may also come in the query: pass the merged form, r.Form).
// PLACEMENT_OPTIONS must be a JSON object (up to 64 KiB); it is kept raw.
func ParsePlacement(form url.Values, now time.Time) (Placement, error) {
	p := Placement{AccessToken: form.Get("AUTH_ID"), RefreshToken: form.Get("REFRESH_ID"), MemberID: form.Get("member_id"),
		Status: form.Get("status"), Placement: strings.ToUpper(form.Get("PLACEMENT")), HTTPS: form.Get("PROTOCOL") == "1"}
	if !memberRe.MatchString(p.MemberID) {
		return Placement{}, invalid("member_id %q", short(p.MemberID))
	}
	if !oauth.ValidToken(p.AccessToken) || (p.RefreshToken != "" && !oauth.ValidToken(p.RefreshToken)) {
		return Placement{}, invalid("AUTH_ID or REFRESH_ID is missing or malformed")
	}
	d, err := domain(form.Get("DOMAIN"))
	if err != nil {
		return Placement{}, err
	}
	p.Domain = d
	if p.Placement == "" {
		p.Placement = "DEFAULT"
	}
	if !codeRe.MatchString(p.Placement) {
		return Placement{}, invalid("PLACEMENT %q", short(p.Placement))
	}
	if l := strings.ToLower(form.Get("LANG")); l != "" {
		if !langRe.MatchString(l) {
			return Placement{}, invalid("LANG %q", short(l))
		}
		p.Lang = l
	}
	if p.Expiry, err = expiry(form.Get("AUTH_EXPIRES"), "", now); err != nil {
		return Placement{}, err
	}
	if o := form.Get("PLACEMENT_OPTIONS"); o != "" {
		if len(o) > maxOptions || !json.Valid([]byte(o)) || strings.TrimSpace(o)[0] != '{' {
			return Placement{}, invalid("PLACEMENT_OPTIONS is not a JSON object")
		}
		p.Options = json.RawMessage(o)
	}
	return p, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// short quotes at most 40 bytes of a hostile value.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func hidden(s string) string {
	if s == "" {
		return ""
	}
	return "****"
}

// Format prints the auth block without its tokens, for every verb.
func (a Auth) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "install.Auth{Domain:%s MemberID:%s UserID:%d AccessToken:%s RefreshToken:%s ApplicationToken:%s}",
		a.Domain, a.MemberID, a.UserID, hidden(a.AccessToken), hidden(a.RefreshToken), hidden(a.ApplicationToken))
}

// LogValue logs the auth block without its tokens.
func (a Auth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("domain", a.Domain), slog.String("member_id", a.MemberID), slog.Int64("user_id", a.UserID))
}

// MarshalJSON encodes the auth block without its tokens.
func (a Auth) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"domain": a.Domain, "member_id": a.MemberID, "user_id": a.UserID, "status": a.Status,
		"scope": a.Scope, "client_endpoint": a.ClientEndpoint, "expiry": a.Expiry})
}

// Format prints the page request without its tokens, for every verb.
func (p Placement) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "install.Placement{Domain:%s MemberID:%s Placement:%s AccessToken:%s RefreshToken:%s}",
		p.Domain, p.MemberID, p.Placement, hidden(p.AccessToken), hidden(p.RefreshToken))
}

// LogValue logs the page request without its tokens.
func (p Placement) LogValue() slog.Value {
	return slog.GroupValue(slog.String("domain", p.Domain), slog.String("member_id", p.MemberID), slog.String("placement", p.Placement))
}

// MarshalJSON encodes the page request without its tokens.
func (p Placement) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"domain": p.Domain, "member_id": p.MemberID, "placement": p.Placement,
		"lang": p.Lang, "options": p.Options, "expiry": p.Expiry})
}

// Format prints the event without its tokens, for every verb.
func (e Event) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "install.Event{Name:%s Version:%d Auth:%v}", e.Name, e.Version, e.Auth)
}

// LogValue logs the event without its tokens.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(slog.String("event", e.Name), slog.Any("auth", e.Auth))
}
