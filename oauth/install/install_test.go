package install_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
	"github.com/b24go/b24/oauth/install"
)

var now = time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)

// installForm is an ONAPPINSTALL POST as the portal sends it (the shape of
// b24jssdk's EventOnAppInstallHandlerParams; the values are made up).
func installForm(mod func(url.Values)) url.Values {
	f := url.Values{
		"event": {"ONAPPINSTALL"}, "event_handler_id": {"540"}, "ts": {"1747023749"},
		"data[VERSION]": {"1"}, "data[ACTIVE]": {"Y"}, "data[INSTALLED]": {"Y"}, "data[LANGUAGE_ID]": {"ru"},
		"auth[access_token]": {"5d971c6800782a4e000011e70000000100000055"}, "auth[expires]": {fmt.Sprint(now.Add(2 * time.Hour).Unix())},
		"auth[expires_in]": {"3600"}, "auth[scope]": {"crm,placement,user_brief"}, "auth[domain]": {"xx.bitrix24.ru"},
		"auth[server_endpoint]": {"https://oauth.bitrix.info/rest/"}, "auth[status]": {"L"},
		"auth[client_endpoint]": {"https://xx.bitrix24.ru/rest/"}, "auth[member_id]": {"3d906b2a32030386ccc7274d2313a01b"},
		"auth[user_id]": {"1"}, "auth[refresh_token]": {"4d16446800782a4e000011e70000000100000019"},
		"auth[application_token]": {"565be534fe44bce005bae699aa0313f8"},
	}
	if mod != nil {
		mod(f)
	}
	return f
}

func set(k, v string) func(url.Values) { return func(f url.Values) { f.Set(k, v) } }
func del(k string) func(url.Values)    { return func(f url.Values) { f.Del(k) } }

// TestParseEvent: an install event is read field by field; hostile or
// missing fields are refused with ErrInvalid and never echoed in full.
func TestParseEvent(t *testing.T) {
	e, err := install.ParseEvent(installForm(nil), now)
	if err != nil {
		t.Fatal(err)
	}
	a := e.Auth
	if e.Name != "ONAPPINSTALL" || e.Version != 1 || !e.Installed || e.Language != "ru" || e.HandlerID != 540 ||
		a.Domain != "xx.bitrix24.ru" || a.MemberID != "3d906b2a32030386ccc7274d2313a01b" || a.UserID != 1 ||
		!a.Expiry.Equal(now.Add(time.Hour)) || len(a.Scope) != 3 || a.Status != "L" || a.ClientEndpoint != "https://xx.bitrix24.ru/rest/" {
		t.Fatalf("parsed %+v", e)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", e, e, a, a); strings.Contains(s, "5d971c68") || strings.Contains(s, "4d164468") || strings.Contains(s, "565be534") {
		t.Fatalf("an event prints its tokens: %s", s)
	}
	bad := []struct {
		name string
		mod  func(url.Values)
	}{
		{"no event", del("event")},
		{"event with a newline", set("event", "ONAPPINSTALL\n")},
		{"no member_id", del("auth[member_id]")},
		{"member_id with a slash", set("auth[member_id]", "../etc")},
		{"no application_token", del("auth[application_token]")},
		{"no access token", del("auth[access_token]")},
		{"token with a space", set("auth[refresh_token]", "a b")},
		{"http client endpoint", set("auth[client_endpoint]", "http://xx.bitrix24.ru/rest/")},
		{"client endpoint elsewhere", set("auth[client_endpoint]", "https://evil.example/rest/")},
		{"domain with a path", set("auth[domain]", "xx.bitrix24.ru/x")},
		{"expires_in zero", set("auth[expires_in]", "0")},
		{"expires_in a year", set("auth[expires_in]", "31536000")},
		{"expires garbage", set("auth[expires]", "soon")},
		{"no version", del("data[VERSION]")},
		{"negative user", set("auth[user_id]", "-1")},
		{"language garbage", set("data[LANGUAGE_ID]", "<script>")},
	}
	for _, tc := range bad {
		if _, err := install.ParseEvent(installForm(tc.mod), now); err == nil || !strings.Contains(err.Error(), "invalid request") {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	// expires earlier than now+expires_in wins; another event needs no tokens.
	e, err = install.ParseEvent(installForm(set("auth[expires]", fmt.Sprint(now.Add(time.Minute).Unix()))), now)
	if err != nil || !e.Auth.Expiry.Equal(now.Add(time.Minute)) {
		t.Errorf("expiry %v %v", e.Auth.Expiry, err)
	}
	other := installForm(func(f url.Values) {
		f.Set("event", "onCrmDealUpdate")
		f.Set("data[FIELDS][ID]", "7")
		f.Del("auth[access_token]")
		f.Del("auth[refresh_token]")
	})
	if e, err = install.ParseEvent(other, now); err != nil || e.Name != "ONCRMDEALUPDATE" || e.Data["FIELDS][ID"] != "7" {
		t.Errorf("other event: %+v %v", e.Data, err)
	}
}

// placementForm is an application page's POST (install page or placement).
func placementForm(mod func(url.Values)) url.Values {
	f := url.Values{
		"DOMAIN": {"xx.bitrix24.ru"}, "PROTOCOL": {"1"}, "LANG": {"en"}, "APP_SID": {"b1f4ee8e"},
		"AUTH_ID": {"5d971c6800782a4e000011e70000000100000055"}, "AUTH_EXPIRES": {"3600"},
		"REFRESH_ID": {"4d16446800782a4e000011e70000000100000019"}, "member_id": {"3d906b2a32030386ccc7274d2313a01b"},
		"status": {"L"}, "PLACEMENT": {"CRM_DEAL_DETAIL_TAB"}, "PLACEMENT_OPTIONS": {`{"ID":"1188"}`},
	}
	if mod != nil {
		mod(f)
	}
	return f
}

// TestParsePlacement: an application page's POST is read; hostile fields
// are refused.
func TestParsePlacement(t *testing.T) {
	p, err := install.ParsePlacement(placementForm(nil), now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Domain != "xx.bitrix24.ru" || !p.HTTPS || p.Lang != "en" || p.Placement != "CRM_DEAL_DETAIL_TAB" ||
		string(p.Options) != `{"ID":"1188"}` || !p.Expiry.Equal(now.Add(time.Hour)) || p.MemberID != "3d906b2a32030386ccc7274d2313a01b" {
		t.Fatalf("parsed %+v", p)
	}
	if s := fmt.Sprintf("%v %+v %s", p, p, p); strings.Contains(s, "5d971c68") || strings.Contains(s, "4d164468") {
		t.Fatalf("a placement prints its tokens: %s", s)
	}
	if p, err := install.ParsePlacement(placementForm(del("PLACEMENT")), now); err != nil || p.Placement != "DEFAULT" {
		t.Errorf("no PLACEMENT: %q %v", p.Placement, err)
	}
	for name, mod := range map[string]func(url.Values){
		"options an array":  set("PLACEMENT_OPTIONS", `[1]`),
		"options not JSON":  set("PLACEMENT_OPTIONS", `{"ID":`),
		"options too large": set("PLACEMENT_OPTIONS", `{"x":"`+strings.Repeat("a", 70000)+`"}`),
		"no AUTH_ID":        del("AUTH_ID"),
		"no member_id":      del("member_id"),
		"bad domain":        set("DOMAIN", "a b"),
		"bad placement":     set("PLACEMENT", "a b"),
		"no AUTH_EXPIRES":   del("AUTH_EXPIRES"),
		"bad LANG":          set("LANG", "english"),
	} {
		if _, err := install.ParsePlacement(placementForm(mod), now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func post(t *testing.T, h http.Handler, f url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/install", strings.NewReader(f.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestHandler: the install saves one credential per member_id (0600); a
// second install with another application_token is refused and changes
// nothing; later events are passed on only with the right token; an
// uninstall with the right token removes the credential, after which a
// new install is accepted.
func TestHandler(t *testing.T) {
	d := install.Dir{Path: filepath.Join(t.TempDir(), "portals")}
	var got []string
	h := install.Handler(d, func(w http.ResponseWriter, r *http.Request, e install.Event) { got = append(got, e.Name) })
	member := "3d906b2a32030386ccc7274d2313a01b"
	steps := []struct {
		name string
		form url.Values
		code int
	}{
		{"install", installForm(nil), 200},
		{"second portal", installForm(set("auth[member_id]", "m2")), 200},
		{"forged reinstall", installForm(set("auth[application_token]", "forged")), 403},
		{"event, right token", installForm(set("event", "ONCRMDEALUPDATE")), 200},
		{"event, wrong token", installForm(func(f url.Values) { f.Set("event", "ONCRMDEALUPDATE"); f.Set("auth[application_token]", "forged") }), 403},
		{"event, unknown portal", installForm(func(f url.Values) { f.Set("event", "ONCRMDEALUPDATE"); f.Set("auth[member_id]", "m3") }), 404},
		{"malformed", installForm(del("auth[member_id]")), 400},
		{"uninstall, wrong token", installForm(func(f url.Values) { f.Set("event", "ONAPPUNINSTALL"); f.Set("auth[application_token]", "forged") }), 403},
		{"uninstall", installForm(set("event", "ONAPPUNINSTALL")), 200},
		{"reinstall after uninstall", installForm(set("auth[application_token]", "newtoken")), 200},
	}
	for _, s := range steps {
		if w := post(t, h, s.form); w.Code != s.code {
			t.Errorf("%s: %d %q, want %d", s.name, w.Code, w.Body, s.code)
		}
		if s.name == "forged reinstall" {
			if c, err := d.Verify(member, "565be534fe44bce005bae699aa0313f8"); err != nil || c.Domain != "xx.bitrix24.ru" {
				t.Errorf("after the forged reinstall: %v %v", c, err)
			}
		}
	}
	if len(got) != 1 || got[0] != "ONCRMDEALUPDATE" {
		t.Errorf("events passed on: %v", got)
	}
	if _, err := d.Verify(member, "newtoken"); err != nil {
		t.Errorf("after the reinstall: %v", err)
	}
	st, err := os.Stat(filepath.Join(d.Path, member+".json"))
	if err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Errorf("credential file: %v %v", st, err)
	}
	r := httptest.NewRequest(http.MethodGet, "/install", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	big := installForm(set("data[X]", strings.Repeat("a", 70<<10)))
	if w.Code != 405 || post(t, h, big).Code != 413 {
		t.Errorf("GET: %d; a big body: %d", w.Code, post(t, h, big).Code)
	}
}

// TestPortalTokens: a portal's oauth.Source over Dir.Tokens refreshes
// against the fake, saves the rotated tokens into the credential file
// (application_token kept) and uses them.
func TestPortalTokens(t *testing.T) {
	s := b24test.NewServer(t, b24test.InMemory())
	first := s.RegisterApp("app.multi", "multi-secret-1234")
	d := install.Dir{Path: t.TempDir()}
	f := installForm(func(f url.Values) {
		f.Set("auth[access_token]", first.AccessToken)
		f.Set("auth[refresh_token]", first.RefreshToken)
		f.Set("auth[expires]", "")
		f.Set("auth[expires_in]", "30") // within the Source's leeway: due for a refresh
	})
	e, err := install.ParseEvent(f, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Install(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	src, err := oauth.New(oauth.Config{ClientID: "app.multi", ClientSecret: "multi-secret-1234", Store: d.Tokens(e.Auth.MemberID),
		TokenURL: s.OAuthURL(), HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(context.Background())
	if err != nil || tok == first.AccessToken {
		t.Fatalf("Token: %v", err)
	}
	c, err := d.Verify(e.Auth.MemberID, e.Auth.ApplicationToken)
	if err != nil || c.Token.AccessToken != tok || c.Token.RefreshToken == first.RefreshToken || c.Token.UserID != 1 {
		t.Fatalf("saved %v %v", c, err)
	}
}
