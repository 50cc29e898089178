package oauth_test

import (
	"context"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
)

// An application's Hook on the fake portal: the access token expires, the
// next call meets expired_token, the source refreshes once and the call is
// resent; OnRefresh sees the new pair, already saved.
func ExampleNew() {
	s, err := b24test.Start(b24test.InMemory())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	first := s.RegisterApp("local.app", "app-secret")
	store := oauth.NewMemoryStore(oauth.Token{AccessToken: first.AccessToken, RefreshToken: first.RefreshToken, Expiry: first.Expires})
	src, err := oauth.New(oauth.Config{ClientID: "local.app", ClientSecret: "app-secret", Store: store,
		TokenURL: s.OAuthURL(), HTTPClient: s.Client(),
		OnRefresh: func(t oauth.Token) { fmt.Println("refreshed:", t.RefreshToken != first.RefreshToken) }})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := b24.NewApp(s.URL(), src, b24.WithHTTPClient(s.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	s.ExpireAccessTokens()
	resp, err := h.Call(context.Background(), "profile", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("requests:", resp.Attempts, "refreshes:", s.Refreshes())
	fmt.Println(h)
	// Output:
	// refreshed: true
	// requests: 2 refreshes: 1
	// b24.Hook(https://b24test.invalid/rest/)
}
