package install_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
	"github.com/b24go/b24/oauth/install"
)

// TestInstallFromFake: the fake portal POSTs its install event to
// Handler; the credential saved under b24test.MemberID carries the
// application_token the fake chose and tokens that call the fake as the
// application (through an oauth.Source over Dir.Tokens). A second install
// (a new application_token) is refused while the first stands.
func TestInstallFromFake(t *testing.T) {
	s := b24test.NewServer(t, b24test.InMemory())
	s.RegisterApp("app.inst", "inst-secret-1234")
	d := install.Dir{Path: t.TempDir()}
	hs := httptest.NewServer(install.Handler(d, nil))
	defer hs.Close()
	ctx := context.Background()
	appToken, err := s.PostInstall(ctx, hs.URL, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Verify(b24test.MemberID, appToken)
	if err != nil || c.ClientEndpoint != s.URL()+"/rest/" || c.Token.UserID != 1 {
		t.Fatalf("credential %v: %v", c, err)
	}
	src, err := oauth.New(oauth.Config{ClientID: "app.inst", ClientSecret: "inst-secret-1234", Store: d.Tokens(c.MemberID),
		TokenURL: s.OAuthURL(), HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	h, err := b24.NewApp("https://"+c.Domain, src, b24.WithHTTPClient(s.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Call(ctx, "profile", nil); err != nil {
		t.Fatalf("calling with the installed tokens: %v", err)
	}
	if _, err := s.PostInstall(ctx, hs.URL, http.DefaultClient); err == nil {
		t.Fatal("a second install with another application_token was accepted")
	}
}
