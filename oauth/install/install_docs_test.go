package install_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
	"github.com/b24go/b24/oauth/install"
)

// docsInstallForm is an ONAPPINSTALL POST shaped like the REST docs'
// "OnAppInstall" example: auth holds the domain, the endpoints, the status,
// the member id and the application_token, no tokens; data[VERSION] is
// "1.0.0".
func docsInstallForm(host, appToken string) url.Values {
	return url.Values{
		"event": {"ONAPPINSTALL"}, "ts": {"1696527000"},
		"data[VERSION]": {"1.0.0"}, "data[ACTIVE]": {"Y"}, "data[INSTALLED]": {"Y"}, "data[LANGUAGE_ID]": {"de"},
		"auth[domain]": {host}, "auth[server_endpoint]": {"https://oauth.bitrix.info/rest/"}, "auth[status]": {"F"},
		"auth[client_endpoint]": {"https://" + host + "/rest/"}, "auth[member_id]": {b24test.MemberID},
		"auth[application_token]": {appToken},
	}
}

// TestInstallWithoutTokens: the documented ONAPPINSTALL (no tokens, a
// dotted version) was refused (400) and its application_token lost. Now it
// is parsed, Handler saves the portal and its application_token, the
// portal's token store has no tokens until an authorization code is
// exchanged into it, after which the application calls the portal; a
// repeated install without tokens keeps them.
func TestInstallWithoutTokens(t *testing.T) {
	s := b24test.NewServer(t, b24test.InMemory())
	s.RegisterApp("app.docs", "docs-secret-1234")
	host := strings.TrimPrefix(s.URL(), "https://")
	form := docsInstallForm(host, "0a1b2c3d4e5f60718293a4b5c6d7e8f9")
	e, err := install.ParseEvent(form, now)
	if err != nil {
		t.Fatalf("the documented install event: %v", err)
	}
	if e.Version != 1 || e.Data["VERSION"] != "1.0.0" || !e.Installed || e.Language != "de" || e.Auth.RefreshToken != "" {
		t.Fatalf("parsed %+v", e)
	}
	d := install.Dir{Path: t.TempDir()}
	hs := httptest.NewServer(install.Handler(d, nil))
	defer hs.Close()
	post := func() int {
		t.Helper()
		resp, err := http.PostForm(hs.URL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != http.StatusOK {
		t.Fatalf("install: HTTP %d", code)
	}
	if _, err := d.Verify(b24test.MemberID, "0a1b2c3d4e5f60718293a4b5c6d7e8f9"); err != nil {
		t.Fatalf("the application_token was not kept: %v", err)
	}
	ctx := context.Background()
	store := d.Tokens(b24test.MemberID)
	if _, err := store.Load(ctx); !errors.Is(err, oauth.ErrNoTokens) {
		t.Fatalf("tokens of a token-less install: %v, want ErrNoTokens", err)
	}
	src, err := oauth.New(oauth.Config{ClientID: "app.docs", ClientSecret: "docs-secret-1234", Store: store,
		TokenURL: s.OAuthURL(), HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Exchange(ctx, s.IssueCode()); err != nil {
		t.Fatalf("exchanging a code into the portal's store: %v", err)
	}
	h, err := b24.NewApp("https://"+host, src, b24.WithHTTPClient(s.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Call(ctx, "profile", nil); err != nil {
		t.Fatalf("calling after the exchange: %v", err)
	}
	if code := post(); code != http.StatusOK {
		t.Fatalf("repeated install: HTTP %d", code)
	}
	if tok, err := store.Load(ctx); err != nil || tok.RefreshToken == "" {
		t.Fatalf("a repeated install without tokens dropped the saved ones: %v", err)
	}
}
