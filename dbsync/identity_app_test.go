package dbsync

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
)

// TestApplicationKeepsItsDatabase: an application whose first tokens do
// not say which user they act for syncs, its token is refreshed (the
// answer says user 1), and it syncs again: the same database, not
// ErrOtherPortal (the user taken from Hook.UserID was 0, then 1).
func TestApplicationKeepsItsDatabase(t *testing.T) {
	s := fake(t, 20)
	h := appHook(t, s, "app.sync")
	db := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "sync.db"))
	mustSync(t, db, h, Options{Entity: "crm.deal"})
	s.ExpireAccessTokens()
	if _, err := h.Call(context.Background(), "profile", nil); err != nil || h.UserID() != 1 {
		t.Fatalf("after the refresh: user %d, %v", h.UserID(), err)
	}
	mustSync(t, db, h, Options{Entity: "crm.deal"})
}

// appHook is an application's Hook on the fake, registered as clientID
// (the fake holds one application: registering another replaces it).
func appHook(t *testing.T, s *b24test.Server, clientID string) *b24.Hook {
	t.Helper()
	tok := s.RegisterApp(clientID, "client-secret-"+clientID)
	src, err := oauth.New(oauth.Config{ClientID: clientID, ClientSecret: oauth.Secret("client-secret-" + clientID), TokenURL: s.OAuthURL(),
		HTTPClient: s.Client(), Store: oauth.NewMemoryStore(oauth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expires})})
	if err != nil {
		t.Fatal(err)
	}
	h, err := b24.NewApp(s.URL(), src, b24.WithHTTPClient(s.Client()), b24.WithRestrictionParams(s.RestrictionParams()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// TestDatabaseRefusesOtherCredential: the state records the application's
// client id beside the portal and the user, so a database synced through a
// webhook is refused to an application acting as the same user, and one
// synced by an application to another application and to a webhook
// (ErrOtherPortal, nothing read); a database recorded before the client id
// was (no app column) takes the first credential that syncs it.
func TestDatabaseRefusesOtherCredential(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 20)
		hook := hookOf(s)
		refused := func(db *DB, h *b24.Hook, want string) {
			t.Helper()
			_, err := db.Sync(context.Background(), h, Options{Entity: "crm.deal"})
			if !errors.Is(err, ErrOtherPortal) || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want ErrOtherPortal naming %q", err, want)
			}
		}
		db := openDB(t, url)
		mustSync(t, db, hook, Options{Entity: "crm.deal"})
		appA := appHook(t, s, "app.a")
		refused(db, appA, "user 1 (webhook), not")
		mustSync(t, db, hook, Options{Entity: "crm.deal"})

		if _, err := db.SQL().Exec(`DROP TABLE b24sync_portal`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`CREATE TABLE b24sync_portal (k BIGINT PRIMARY KEY, portal TEXT NOT NULL, user_id BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`INSERT INTO b24sync_portal (k, portal, user_id) VALUES (1, '` + hookOf(s).Portal() + `', 1)`); err != nil {
			t.Fatal(err)
		}
		mustSync(t, db, appA, Options{Entity: "crm.deal"}) // recorded before the app column: adopted
		mustSync(t, db, appA, Options{Entity: "crm.deal"})
		refused(db, hook, "user 1 (application app.a), not")
		appB := appHook(t, s, "app.b")
		refused(db, appB, "(application app.a), not "+hookOf(s).Portal()+" as user 1 (application app.b)")
	})
}

// TestOtherWebhookUserRefused: a database synced through user 1's webhook
// is refused through user 7's webhook on the same portal (same host: only
// the user differs), naming both, and nothing is read; user 1 syncs it
// again after.
func TestOtherWebhookUserRefused(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 20)
		one := hookOf(s)
		seven, err := b24.FromWebhookURL(s.AddWebhook(7), b24.WithHTTPClient(s.Client()), b24.WithTimeout(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { seven.Close() })
		if seven.Portal() != one.Portal() {
			t.Fatalf("portals %s and %s: want one portal", seven.Portal(), one.Portal())
		}
		db := openDB(t, url)
		mustSync(t, db, one, Options{Entity: "crm.deal"})
		before := s.Audit().ByMethod["crm.deal.list"][200]
		_, err = db.Sync(context.Background(), seven, Options{Entity: "crm.deal"})
		want := "as user 1 (webhook), not " + one.Portal() + " as user 7 (webhook)"
		if !errors.Is(err, ErrOtherPortal) || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want ErrOtherPortal naming %q", err, want)
		}
		if after := s.Audit().ByMethod["crm.deal.list"][200]; after != before {
			t.Errorf("the refused run listed deals: %d lists, %d before", after, before)
		}
		mustSync(t, db, one, Options{Entity: "crm.deal"})
	})
}
