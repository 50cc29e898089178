package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
)

// counter counts the requests to the fake's token endpoint.
type counter struct {
	rt     http.RoundTripper
	grants atomic.Int64
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == b24test.OAuthTokenPath {
		c.grants.Add(1)
	}
	return c.rt.RoundTrip(r)
}

type app struct {
	s     *b24test.Server
	src   *oauth.Source
	hook  *b24.Hook
	cnt   *counter
	first b24test.AppTokens
}

// newApp registers an application on a fake portal and builds its Hook.
func newApp(t *testing.T, store func(b24test.AppTokens) oauth.Store, mod func(*oauth.Config), opts ...b24test.Option) *app {
	t.Helper()
	s := b24test.NewServer(t, append([]b24test.Option{b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 120})}, opts...)...)
	first := s.RegisterApp("app.test", "client-secret-1234")
	cnt := &counter{rt: s.Client().Transport}
	client := &http.Client{Transport: cnt}
	if store == nil {
		store = func(t b24test.AppTokens) oauth.Store {
			return oauth.NewMemoryStore(oauth.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expires})
		}
	}
	cfg := oauth.Config{ClientID: "app.test", ClientSecret: "client-secret-1234", Store: store(first),
		TokenURL: s.OAuthURL(), HTTPClient: client}
	if mod != nil {
		mod(&cfg)
	}
	src, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := b24.NewApp(s.URL(), src, b24.WithHTTPClient(client), b24.WithRestrictionParams(s.RestrictionParams()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return &app{s: s, src: src, hook: h, cnt: cnt, first: first}
}

// TestAppHook: calls v2 and v3, batches and lists work with an
// application's token; an expired_token answer refreshes once and resends.
func TestAppHook(t *testing.T) {
	a := newApp(t, nil, nil)
	ctx := context.Background()
	check := func(step string) {
		t.Helper()
		if _, err := a.hook.V2().Call(ctx, "profile", nil); err != nil {
			t.Fatalf("%s: v2: %v", step, err)
		}
		if _, err := a.hook.V3().Call(ctx, "server.time", nil); err != nil && !errors.Is(err, b24.ErrMethodNotFound) {
			t.Fatalf("%s: v3: %v", step, err)
		}
		res, err := a.hook.V2().Batch(ctx, []b24.Cmd{{Name: "a", Method: "profile"}, {Name: "b", Method: "crm.deal.get", Params: map[string]any{"id": 1}}})
		if err != nil || len(res.Commands) != 2 {
			t.Fatalf("%s: batch: %v", step, err)
		}
		deals, err := b24.CallList[map[string]any](ctx, a.hook.V2(), "crm.deal.list", map[string]any{"select": []string{"ID"}})
		if err != nil || len(deals) != 120 {
			t.Fatalf("%s: list: %d rows, %v", step, len(deals), err)
		}
	}
	check("fresh token")
	a.s.ExpireAccessTokens()
	check("expired token")
	if n := a.cnt.grants.Load(); n != 1 {
		t.Fatalf("%d refresh requests, want 1", n)
	}
	for _, shown := range []string{a.hook.String(), fmt.Sprintf("%v %+v %#v", a.hook, a.hook, a.hook)} {
		for _, sec := range a.src.Secrets() {
			if strings.Contains(shown, sec) {
				t.Fatalf("a secret shows in %q", shown)
			}
		}
	}
}

// Test64Goroutines: 64 goroutines that meet an expired token make exactly
// one refresh, and every call succeeds.
func Test64Goroutines(t *testing.T) {
	// In a bubble: the limiter's waits for 129 requests take no real time.
	synctest.Test(t, func(t *testing.T) {
		a := newApp(t, nil, nil, b24test.WithoutLimits())
		ctx := context.Background()
		if _, err := a.hook.Call(ctx, "profile", nil); err != nil {
			t.Fatal(err)
		}
		a.s.ExpireAccessTokens()
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() {
				if _, err := a.hook.Call(ctx, "profile", nil); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n, m := a.cnt.grants.Load(), a.s.Refreshes(); n != 1 || m != 1 {
			t.Fatalf("%d refresh requests, %d refreshes, want 1", n, m)
		}
	})
}

// TestLostRefreshAnswer: a refresh whose answer is lost fails that call
// (ErrNoToken, not sent) and the next call refreshes with the refresh
// token still held: the application is not locked out.
func TestLostRefreshAnswer(t *testing.T) {
	a := newApp(t, nil, nil)
	ctx := context.Background()
	a.s.ExpireAccessTokens()
	a.s.LoseRefreshAnswers(1)
	_, err := a.hook.Call(ctx, "profile", nil)
	if !errors.Is(err, b24.ErrNoToken) {
		t.Fatalf("call after a lost refresh answer: %v, want ErrNoToken", err)
	}
	if _, err := a.hook.Call(ctx, "profile", nil); err != nil {
		t.Fatalf("the application is locked out: %v", err)
	}
	if n := a.cnt.grants.Load(); n != 2 {
		t.Fatalf("%d refresh requests, want 2", n)
	}
}

// TestRefusedRefreshNotRepeated: a refresh the OAuth server refused
// (wrong client secret) is an error wrapping ErrWrongClient, without the
// secret, and is not sent again for the same refresh token.
func TestRefusedRefreshNotRepeated(t *testing.T) {
	a := newApp(t, nil, func(c *oauth.Config) { c.ClientSecret = "not-the-secret" })
	ctx := context.Background()
	a.s.ExpireAccessTokens()
	for i := range 3 {
		_, err := a.hook.Call(ctx, "profile", nil)
		if !errors.Is(err, oauth.ErrWrongClient) || !errors.Is(err, b24.ErrNoToken) {
			t.Fatalf("call %d: %v, want ErrWrongClient", i, err)
		}
		if strings.Contains(err.Error(), "not-the-secret") || strings.Contains(err.Error(), a.first.RefreshToken) {
			t.Fatalf("the error shows a secret: %v", err)
		}
	}
	if n := a.cnt.grants.Load(); n != 1 {
		t.Fatalf("%d refresh requests, want 1", n)
	}
}

// TestInvalidToken: a token the portal does not know ends the call with
// invalid_token, no refresh and no resend loop.
func TestInvalidToken(t *testing.T) {
	a := newApp(t, func(b24test.AppTokens) oauth.Store {
		return oauth.NewMemoryStore(oauth.Token{AccessToken: "revoked", RefreshToken: "revoked-too", Expiry: time.Now().Add(time.Hour)})
	}, nil)
	_, err := a.hook.Call(context.Background(), "profile", nil)
	if !errors.Is(err, b24.ErrInvalidToken) {
		t.Fatalf("%v, want invalid_token", err)
	}
	if n := a.cnt.grants.Load(); n != 0 || a.s.Audit().Requests != 1 {
		t.Fatalf("%d refresh requests, %d REST requests; want 0 and 1", n, a.s.Audit().Requests)
	}
}

// failingStore refuses to save.
type failingStore struct{ oauth.Store }

func (failingStore) Save(context.Context, oauth.Token) error { return errors.New("disk full") }

// TestSavedBeforeUse: new tokens are saved before a request carries them
// and before OnRefresh; tokens that could not be saved are never used.
func TestSavedBeforeUse(t *testing.T) {
	var saved atomic.Bool
	var got []oauth.Token
	a := newApp(t, nil, func(c *oauth.Config) {
		inner := c.Store
		c.Store = storeFunc{inner, func(tok oauth.Token) { saved.Store(true) }}
		c.OnRefresh = func(tok oauth.Token) {
			if !saved.Load() {
				t.Error("OnRefresh before Save")
			}
			got = append(got, tok)
		}
	})
	a.s.ExpireAccessTokens()
	if _, err := a.hook.Call(context.Background(), "profile", nil); err != nil || len(got) != 1 {
		t.Fatalf("refresh: %v, %d callbacks", err, len(got))
	}

	b := newApp(t, func(tok b24test.AppTokens) oauth.Store {
		return failingStore{oauth.NewMemoryStore(oauth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expires})}
	}, nil)
	b.s.ExpireAccessTokens()
	before := b.s.Audit().Requests
	for i := range 2 {
		if _, err := b.hook.Call(context.Background(), "profile", nil); !errors.Is(err, b24.ErrNoToken) || !strings.Contains(err.Error(), "not saved") {
			t.Fatalf("call %d with unsaved tokens: %v", i, err)
		}
	}
	if n := b.s.Audit().Requests - before; n != 1 { // the expired_token answer only
		t.Fatalf("%d REST requests after the failed save, want 1", n)
	}
}

type storeFunc struct {
	oauth.Store
	after func(oauth.Token)
}

func (s storeFunc) Save(ctx context.Context, t oauth.Token) error {
	err := s.Store.Save(ctx, t)
	s.after(t)
	return err
}

// TestRefreshBeforeExpiry: within Leeway of its expiry the token is
// refreshed before the call, which never meets expired_token.
func TestRefreshBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newApp(t, nil, nil)
		time.Sleep(b24test.AccessTTL - 30*time.Second)
		if _, err := a.hook.Call(context.Background(), "profile", nil); err != nil {
			t.Fatal(err)
		}
		if n := a.cnt.grants.Load(); n != 1 {
			t.Fatalf("%d refresh requests, want 1", n)
		}
		if a.s.Audit().Requests != 1 {
			t.Fatalf("%d REST requests, want 1 (no expired_token answer)", a.s.Audit().Requests)
		}
	})
}

// TestFileStore: the file is 0600, survives a reload, and a Source over it
// refreshes under its lock.
func TestFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	a := newApp(t, func(tok b24test.AppTokens) oauth.Store {
		fs := oauth.FileStore{Path: path}
		if err := fs.Save(context.Background(), oauth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expires}); err != nil {
			t.Fatal(err)
		}
		return fs
	}, nil)
	a.s.ExpireAccessTokens()
	if _, err := a.hook.Call(context.Background(), "profile", nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v", err, st.Mode())
	}
	tok, err := oauth.FileStore{Path: path}.Load(context.Background())
	if err != nil || tok.RefreshToken == a.first.RefreshToken || tok.RefreshToken == "" {
		t.Fatalf("reloaded: %v %v", tok, err)
	}
	if s := fmt.Sprintf("%v %+v %#v", tok, tok, tok); strings.Contains(s, tok.AccessToken) || strings.Contains(s, tok.RefreshToken) {
		t.Fatalf("a Token prints its secrets: %s", s)
	}
}

// TestEchoRedacted: a portal that echoes the access token, the refresh
// token or the client secret (in an error text, a result or a header)
// has each masked in what the caller receives.
func TestEchoRedacted(t *testing.T) {
	a := newApp(t, nil, nil)
	echo := fmt.Sprintf("token %s refresh %s secret %s", a.first.AccessToken, strings.ToUpper(a.first.RefreshToken), "client-secret-1234")
	a.s.OnError("crm.deal.add", "ERROR_CORE", echo)
	a.s.OnResult("profile", map[string]any{"NAME": echo})
	ctx := context.Background()
	_, err := a.hook.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{}})
	resp, rerr := a.hook.Call(ctx, "profile", nil)
	if err == nil || rerr != nil {
		t.Fatalf("add: %v; profile: %v", err, rerr)
	}
	for _, shown := range []string{err.Error(), string(resp.Result)} {
		for _, sec := range []string{a.first.AccessToken, a.first.RefreshToken, "client-secret-1234"} {
			if strings.Contains(strings.ToLower(shown), strings.ToLower(sec)) {
				t.Fatalf("a secret shows in %q", shown)
			}
		}
		if !strings.Contains(shown, "****") {
			t.Fatalf("nothing masked in %q", shown)
		}
	}
}

// TestLostRefreshAnswerStrictServer: on a server that retires a refresh
// token as soon as it is exchanged (b24test.RetireOnRefresh), a lost
// refresh answer leaves the client a dead refresh token: the next call's
// refresh is refused (invalid_grant: re-authorize), and the calls after it
// fail at once with the same error: 2 refresh requests for 6 calls, no
// loop.
func TestLostRefreshAnswerStrictServer(t *testing.T) {
	a := newApp(t, nil, nil)
	ctx := context.Background()
	a.s.RetireOnRefresh(true)
	a.s.ExpireAccessTokens()
	a.s.LoseRefreshAnswers(1)
	if _, err := a.hook.Call(ctx, "profile", nil); !errors.Is(err, b24.ErrNoToken) {
		t.Fatalf("call after a lost refresh answer: %v, want ErrNoToken", err)
	}
	for i := range 5 {
		if _, err := a.hook.Call(ctx, "profile", nil); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Fatalf("call %d: %v, want ErrInvalidGrant", i, err)
		}
	}
	if n := a.cnt.grants.Load(); n != 2 {
		t.Fatalf("%d refresh requests, want 2", n)
	}
}
