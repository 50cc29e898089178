package dbsync

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/oauth"
)

// TestApplicationKeepsItsDatabase: an application whose first tokens do
// not say which user they act for syncs, its token is refreshed (the
// answer says user 1), and it syncs again: the same database, not
// ErrOtherPortal (the user taken from Hook.UserID was 0, then 1).
func TestApplicationKeepsItsDatabase(t *testing.T) {
	s := fake(t, 20)
	tok := s.RegisterApp("app.sync", "client-secret-sync")
	src, err := oauth.New(oauth.Config{ClientID: "app.sync", ClientSecret: "client-secret-sync", TokenURL: s.OAuthURL(),
		HTTPClient: s.Client(), Store: oauth.NewMemoryStore(oauth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expires})})
	if err != nil {
		t.Fatal(err)
	}
	h, err := b24.NewApp(s.URL(), src, b24.WithHTTPClient(s.Client()), b24.WithRestrictionParams(s.RestrictionParams()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	db := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "sync.db"))
	mustSync(t, db, h, Options{Entity: "crm.deal"})
	s.ExpireAccessTokens()
	if _, err := h.Call(context.Background(), "profile", nil); err != nil || h.UserID() != 1 {
		t.Fatalf("after the refresh: user %d, %v", h.UserID(), err)
	}
	mustSync(t, db, h, Options{Entity: "crm.deal"})
}
