package tokenstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
	"github.com/b24go/b24/redislimit/redistest"
	"github.com/b24go/b24/redislimit/tokenstore"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

func newStore(t *testing.T, key string, ttl time.Duration) *tokenstore.Store {
	t.Helper()
	s, err := tokenstore.New(redistest.Client(t), key, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStore: Load of nothing is ErrNoTokens; Save then Load round-trips;
// a Store prints its key only.
func TestStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, fmt.Sprintf("b24test:%s:%d", t.Name(), time.Now().UnixNano()), 0)
	if _, err := s.Load(ctx); !errors.Is(err, oauth.ErrNoTokens) {
		t.Fatalf("Load of nothing: %v", err)
	}
	want := oauth.Token{AccessToken: "at1", RefreshToken: "rt1", Expiry: time.Now().Round(time.Second), MemberID: "m1", UserID: 7}
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil || got.AccessToken != "at1" || got.RefreshToken != "rt1" || !got.Expiry.Equal(want.Expiry) || got.UserID != 7 {
		t.Fatalf("Load = %v, %v", got, err)
	}
	if str := fmt.Sprintf("%v %+v", s, s); strings.Contains(str, "rt1") {
		t.Fatalf("a Store prints a token: %s", str)
	}
	if _, err := tokenstore.New(redistest.Client(t), "", 0); !errors.Is(err, oauth.ErrInvalidConfig) {
		t.Errorf("no key: %v", err)
	}
}

// TestLockExclusiveAndExpires: a second Store (another process) waits for
// the lock; a holder that never releases it (a dead process) blocks the
// others for the lock's TTL only; its late Save is refused (fenced), even
// after the new holder released the lock.
func TestLockExclusiveAndExpires(t *testing.T) {
	ctx := context.Background()
	key := fmt.Sprintf("b24test:%s:%d", t.Name(), time.Now().UnixNano())
	a, b := newStore(t, key, 300*time.Millisecond), newStore(t, key, 300*time.Millisecond)
	if _, err := a.Lock(ctx); err != nil { // never released: a dies holding it
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: %v, want to wait", err)
	}
	if err := b.Save(ctx, oauth.Token{RefreshToken: "b"}); !errors.Is(err, tokenstore.ErrLockLost) {
		t.Fatalf("Save without the lock while another holds it: %v", err)
	}
	unlock, err := b.Lock(ctx) // after a's TTL
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, oauth.Token{RefreshToken: "new"}); err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := a.Save(ctx, oauth.Token{RefreshToken: "late"}); !errors.Is(err, tokenstore.ErrLockLost) {
		t.Fatalf("the late holder's Save: %v, want ErrLockLost", err)
	}
	if got, _ := b.Load(ctx); got.RefreshToken != "new" {
		t.Fatalf("tokens %v, want the new holder's", got)
	}
}

// counter counts the fake's refresh grants, each held 50 ms on its way
// (a wide window for processes that do not wait for each other).
type counter struct {
	rt http.RoundTripper
	n  atomic.Int64
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == b24test.OAuthTokenPath {
		c.n.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
	return c.rt.RoundTrip(r)
}

// TestFourSourcesOneRefresh: four Sources over their own Stores of one key
// (four processes), 16 goroutines each, on an expired token: exactly one
// refresh, and every call succeeds with the saved tokens (without the
// lock: 4 refreshes, and calls fail with the rotated-out tokens).
func TestFourSourcesOneRefresh(t *testing.T) {
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithoutLimits())
	first := srv.RegisterApp("app.redis", "redis-secret-1234")
	key := fmt.Sprintf("b24test:%s:%d", t.Name(), time.Now().UnixNano())
	ctx := context.Background()
	if err := newStore(t, key, 0).Save(ctx, oauth.Token{AccessToken: first.AccessToken, RefreshToken: first.RefreshToken, Expiry: first.Expires}); err != nil {
		t.Fatal(err)
	}
	srv.ExpireAccessTokens()
	cnt := &counter{rt: srv.Client().Transport}
	client := &http.Client{Transport: cnt}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 4 {
		src, err := oauth.New(oauth.Config{ClientID: "app.redis", ClientSecret: "redis-secret-1234", Store: newStore(t, key, 0),
			TokenURL: srv.OAuthURL(), HTTPClient: client})
		if err != nil {
			t.Fatal(err)
		}
		h, err := b24.NewApp(srv.URL(), src, b24.WithHTTPClient(client))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		for range 16 {
			wg.Go(func() {
				if _, err := h.Call(ctx, "profile", nil); err != nil {
					failed.Add(1)
					t.Log(err)
				}
			})
		}
	}
	wg.Wait()
	if n := cnt.n.Load(); n != 1 || failed.Load() != 0 {
		t.Fatalf("%d refreshes, %d failed calls; want 1 and 0", n, failed.Load())
	}
}
