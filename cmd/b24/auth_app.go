package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/b24go/b24"
	"github.com/b24go/b24/cmd/b24/internal/profiles"
	"github.com/b24go/b24/oauth"
)

// appFlags are auth add's flags for an application profile.
type appFlags struct {
	app      bool
	portal   string
	clientID string
	tokenURL string
	code     bool
}

// identity is whom a journal or a checkpoint belongs to, with its portal.
type identity struct {
	user int64  // the webhook's user, or the user an application acts for
	app  string // an application's client id; "" for a webhook
}

// whoAmI returns the identity h acts as: for an application the user is
// asked once (oauth.UserID), so that it is the same on every run.
func (c *cli) whoAmI(ctx context.Context, h *b24.Hook) (identity, error) {
	if c.ident != nil {
		return *c.ident, nil
	}
	u, err := oauth.UserID(ctx, h)
	if err != nil {
		return identity{}, err
	}
	id := identity{user: u, app: c.appID}
	c.ident = &id
	return id, nil
}

// newHook builds the Hook of cred: FromWebhookURL for a webhook; for an
// application, NewApp with an oauth.Source over the profile's token file
// (refreshed under its lock, saved atomically before use).
func (c *cli) newHook(cred credential, hc *http.Client, opts []b24.Option) (*b24.Hook, error) {
	if !cred.IsApp() {
		return b24.FromWebhookURL(cred.Webhook, opts...)
	}
	src, err := c.appSource(cred.Profile, cred.tokens, hc)
	if err != nil {
		return nil, err
	}
	c.appID = cred.ClientID
	return b24.NewApp(cred.Portal, src, opts...)
}

// appSource is the token source of the application profile p whose
// tokens are in the file tokens.
func (c *cli) appSource(p profiles.Profile, tokens string, hc *http.Client) (*oauth.Source, error) {
	log := c.logger()
	src, err := oauth.New(oauth.Config{ClientID: p.ClientID, ClientSecret: oauth.Secret(p.ClientSecret),
		Store: oauth.FileStore{Path: tokens}, TokenURL: p.TokenURL, HTTPClient: hc,
		OnRefresh: func(t oauth.Token) { log.Debug("application tokens refreshed and saved", "token", t) }})
	if err != nil {
		return nil, usagef("%v", strings.TrimPrefix(err.Error(), "oauth: "))
	}
	return src, nil
}

// envOrLine returns $key when set, else a line read from stdin or a
// hidden prompt.
func (c *cli) envOrLine(ctx context.Context, key, what, name string) (string, error) {
	if v := strings.TrimSpace(c.getenv(key)); v != "" {
		return v, nil
	}
	return c.readSecretLine(ctx, what, name)
}

// authAddApp stores an application profile: the portal and client id from
// flags, the client secret and the first credential (a refresh token, or
// with --code an authorization code, exchanged at once) from the
// environment or stdin, never from an argument.
func (c *cli) authAddApp(ctx context.Context, name string, f *appFlags) error {
	s, err := c.profileStore()
	if err != nil {
		return err
	}
	if err := profiles.CheckName(name); err != nil {
		return usagef("%v", err)
	}
	if f.portal == "" || f.clientID == "" || strings.ContainsFunc(f.clientID, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return usagef("--app needs --portal https://PORTAL and --client-id ID")
	}
	secret, err := c.envOrLine(ctx, "B24_CLIENT_SECRET", "client secret", name)
	if err != nil {
		return err
	}
	p := profiles.Profile{Kind: profiles.KindApp, Portal: strings.TrimRight(f.portal, "/"), ClientID: f.clientID,
		ClientSecret: secret, TokenURL: f.tokenURL}
	hc, err := c.httpClient()
	if err != nil {
		return err
	}
	// Check every form before storing anything; nothing is sent yet.
	src, err := c.appSource(p, s.TokenPath(name), hc)
	if err != nil {
		return err
	}
	h, err := b24.NewApp(p.Portal, src)
	if err != nil {
		return usagef("--portal: %v", strings.TrimPrefix(err.Error(), "b24: invalid webhook: "))
	}
	h.Close()
	key, what := "B24_REFRESH_TOKEN", "refresh token"
	if f.code {
		key, what = "B24_AUTH_CODE", "authorization code"
	}
	first, err := c.envOrLine(ctx, key, what, name)
	if err != nil {
		return err
	}
	replaced, err := c.storeApp(ctx, s, name, p, src, first, f.code)
	if err != nil {
		return err
	}
	verb := "added"
	if replaced {
		verb = "replaced"
	}
	note := ""
	if _, active, _ := s.List(); active == name {
		note = ", active"
	}
	fmt.Fprintf(c.stderr, "%s: %s application profile %s (%s, client %s)%s\n", c.name, verb, name, p.Portal, p.ClientID, note)
	return nil
}

// storeApp saves the profile, then its first tokens: the refresh token
// first, or the tokens the authorization code is exchanged for. When the
// tokens cannot be had, the profile is removed again.
func (c *cli) storeApp(ctx context.Context, s *profiles.Store, name string, p profiles.Profile, src *oauth.Source, first string, code bool) (bool, error) {
	if !code && !plausibleToken(first) {
		return false, usagef("the refresh token is 1-512 letters, digits, '-', '_', '.' or '~'")
	}
	replaced, err := s.Put(ctx, name, p)
	if err != nil {
		return false, usagef("%v", err)
	}
	if err := s.MkTokenDir(); err != nil {
		return false, err
	}
	if code {
		_, err = src.Exchange(ctx, first)
	} else {
		err = oauth.FileStore{Path: s.TokenPath(name)}.Save(ctx, oauth.Token{RefreshToken: first})
	}
	if err != nil {
		s.Remove(context.WithoutCancel(ctx), name)
		return false, fmt.Errorf("profile %s not saved: %w", name, err)
	}
	return replaced, nil
}

// plausibleToken accepts what the OAuth server issues: 1-512 letters,
// digits, - _ . ~
func plausibleToken(t string) bool {
	return t != "" && len(t) <= 512 && !strings.ContainsFunc(t, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~", r))
	})
}
