package b24test

import (
	"github.com/b24go/b24"
	"github.com/b24go/b24/oauth"
)

// AppHook registers an application (RegisterApp) and returns its Hook on
// the fake: b24.NewApp with an oauth.Source over a memory store holding the
// first tokens, refreshed at the fake's token endpoint. The Hook is closed
// when the test ends.
func (s *Server) AppHook(clientID, clientSecret string, opts ...b24.Option) *b24.Hook {
	tok := s.RegisterApp(clientID, clientSecret)
	src, err := oauth.New(oauth.Config{ClientID: clientID, ClientSecret: oauth.Secret(clientSecret),
		Store:    oauth.NewMemoryStore(oauth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expires}),
		TokenURL: s.OAuthURL(), HTTPClient: s.client})
	var h *b24.Hook
	if err == nil {
		h, err = b24.NewApp(s.URL(), src, append([]b24.Option{b24.WithHTTPClient(s.client)}, opts...)...)
	}
	if err != nil {
		if s.tb != nil {
			s.tb.Helper()
			s.tb.Fatalf("b24test: AppHook: %v", err)
		}
		panic("b24test: AppHook: " + err.Error())
	}
	if s.tb != nil {
		s.tb.Cleanup(func() { h.Close() })
	}
	return h
}
