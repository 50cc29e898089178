package oauth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
)

// TestExchange: an authorization code from the fake is exchanged once for
// tokens that are saved (0600 file) and used; a code used twice, a code
// past b24test.CodeTTL and a wrong client secret are refused with
// ErrInvalidGrant / ErrWrongClient, and nothing is saved.
func TestExchange(t *testing.T) {
	cases := []struct {
		name   string
		secret oauth.Secret
		twice  bool
		late   time.Duration
		want   error
	}{
		{"fresh code", "client-secret-1234", false, 0, nil},
		{"code used twice", "client-secret-1234", true, 0, oauth.ErrInvalidGrant},
		{"code just in time", "client-secret-1234", false, b24test.CodeTTL - time.Second, nil},
		{"code expired", "client-secret-1234", false, b24test.CodeTTL, oauth.ErrInvalidGrant},
		{"wrong secret", "not-the-secret", false, 0, oauth.ErrWrongClient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := b24test.NewServer(t, b24test.InMemory())
				s.RegisterApp("app.test", "client-secret-1234")
				path := filepath.Join(t.TempDir(), "tokens.json")
				src, err := oauth.New(oauth.Config{ClientID: "app.test", ClientSecret: tc.secret,
					Store: oauth.FileStore{Path: path}, TokenURL: s.OAuthURL(), HTTPClient: s.Client()})
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				code := s.IssueCode()
				if tc.twice {
					if _, err := src.Exchange(ctx, code); err != nil {
						t.Fatal(err)
					}
					oauth.FileStore{Path: path}.Save(ctx, oauth.Token{RefreshToken: "kept"})
				}
				time.Sleep(tc.late)
				tok, err := src.Exchange(ctx, code)
				if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
					t.Fatalf("Exchange: %v, want %v", err, tc.want)
				}
				if err != nil {
					if strings.Contains(err.Error(), code) || strings.Contains(err.Error(), "client-secret-1234") {
						t.Fatalf("the error shows a secret: %v", err)
					}
					if got, _ := (oauth.FileStore{Path: path}).Load(ctx); got.AccessToken != "" {
						t.Fatalf("a refused exchange saved %v", got)
					}
					return
				}
				saved, err := oauth.FileStore{Path: path}.Load(ctx)
				if err != nil || saved.AccessToken != tok.AccessToken || saved.MemberID != b24test.MemberID || saved.UserID != 1 {
					t.Fatalf("saved %v (%v), exchanged %v", saved, err, tok)
				}
				if got, err := src.Token(ctx); err != nil || got != tok.AccessToken {
					t.Fatalf("Token after Exchange: %v, want the exchanged token", err)
				}
			})
		})
	}
}
