package install

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/b24go/b24/internal/durable"
	"github.com/b24go/b24/oauth"
)

// Credential is what an application keeps of one portal.
type Credential struct {
	MemberID         string
	Domain           string
	ClientEndpoint   string
	ApplicationToken string // later events must carry it (Dir.Verify)
	Token            oauth.Token
	Installed        time.Time
}

// Format prints the credential without its secrets, for every verb.
func (c Credential) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "install.Credential{MemberID:%s Domain:%s Token:%v}", c.MemberID, c.Domain, c.Token)
}

// fileCredential is a credential file's encoding (oauth.Token's own
// MarshalJSON hides the tokens).
type fileCredential struct {
	MemberID         string    `json:"member_id"`
	Domain           string    `json:"domain"`
	ClientEndpoint   string    `json:"client_endpoint,omitempty"`
	ApplicationToken string    `json:"application_token"`
	AccessToken      string    `json:"access_token"`
	RefreshToken     string    `json:"refresh_token"`
	Expiry           time.Time `json:"expiry"`
	UserID           int64     `json:"user_id,omitempty"`
	Installed        time.Time `json:"installed"`
}

// Dir keeps one credential per portal in a directory: <member_id>.json,
// mode 0600, replaced atomically (temporary file, fsync, rename, directory
// sync), changed under the advisory lock <member_id>.json.lock, which the
// portal's oauth.Source also takes to refresh (Dir.Tokens).
type Dir struct {
	Path string
}

func (d Dir) file(member string) (string, error) {
	if !memberRe.MatchString(member) {
		return "", invalid("member_id %q", short(member))
	}
	return filepath.Join(d.Path, member+".json"), nil
}

// Load returns the credential of member; ErrNotInstalled when there is none.
func (d Dir) Load(member string) (Credential, error) {
	p, err := d.file(member)
	if err != nil {
		return Credential{}, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Credential{}, fmt.Errorf("%w: %s", ErrNotInstalled, member)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("install: reading %s: %w", p, err)
	}
	var fc fileCredential
	if err := json.Unmarshal(b, &fc); err != nil || fc.MemberID != member {
		return Credential{}, fmt.Errorf("install: %s is not a credential file of %s", p, member)
	}
	return Credential{MemberID: fc.MemberID, Domain: fc.Domain, ClientEndpoint: fc.ClientEndpoint, ApplicationToken: fc.ApplicationToken,
		Token:     oauth.Token{AccessToken: fc.AccessToken, RefreshToken: fc.RefreshToken, Expiry: fc.Expiry, MemberID: fc.MemberID, UserID: fc.UserID},
		Installed: fc.Installed}, nil
}

// save writes c atomically (the caller holds the lock).
func (d Dir) save(c Credential) error {
	p, err := d.file(c.MemberID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(fileCredential{MemberID: c.MemberID, Domain: c.Domain, ClientEndpoint: c.ClientEndpoint,
		ApplicationToken: c.ApplicationToken, AccessToken: c.Token.AccessToken, RefreshToken: c.Token.RefreshToken,
		Expiry: c.Token.Expiry, UserID: c.Token.UserID, Installed: c.Installed})
	if err != nil {
		return err
	}
	if err := durable.WriteFile(p, b); err != nil {
		return fmt.Errorf("install: saving the credential of %s: %w", c.MemberID, err)
	}
	return nil
}

// lock takes member's lock, waiting until it is free or ctx ends.
func (d Dir) lock(ctx context.Context, member string) (func(), error) {
	p, err := d.file(member)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return nil, err
	}
	return oauth.FileStore{Path: p}.Lock(ctx)
}

// Install saves the credential of an ONAPPINSTALL event. A portal already
// installed keeps its credential unless the event carries the same
// application_token (ErrAlreadyExists): remove it first with an uninstall
// that carries the right one (Uninstall). An event without tokens (the REST
// docs' ONAPPINSTALL has none) saves the portal and its application_token:
// its Tokens store answers oauth.ErrNoTokens until a pair is saved into it
// (oauth.Source.Exchange with an authorization code, or Save); a repeated
// install without tokens keeps the tokens already saved.
func (d Dir) Install(ctx context.Context, e Event) error {
	if e.Name != "ONAPPINSTALL" {
		return invalid("not an ONAPPINSTALL event")
	}
	unlock, err := d.lock(ctx, e.Auth.MemberID)
	if err != nil {
		return err
	}
	defer unlock()
	old, err := d.Load(e.Auth.MemberID)
	switch {
	case err == nil && !same(old.ApplicationToken, e.Auth.ApplicationToken):
		return fmt.Errorf("%w: %s", ErrAlreadyExists, e.Auth.MemberID)
	case err != nil && !errors.Is(err, ErrNotInstalled):
		return err
	}
	a := e.Auth
	tok := a.Token()
	if a.RefreshToken == "" && err == nil {
		tok = old.Token
	}
	return d.save(Credential{MemberID: a.MemberID, Domain: a.Domain, ClientEndpoint: a.ClientEndpoint,
		ApplicationToken: a.ApplicationToken, Token: tok, Installed: time.Now()})
}

// Uninstall removes the credential of an ONAPPUNINSTALL event, after
// checking its application_token.
func (d Dir) Uninstall(ctx context.Context, e Event) error {
	unlock, err := d.lock(ctx, e.Auth.MemberID)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := d.Verify(e.Auth.MemberID, e.Auth.ApplicationToken); err != nil {
		return err
	}
	p, _ := d.file(e.Auth.MemberID)
	if err := os.Remove(p); err != nil {
		return err
	}
	durable.SyncDir(d.Path)
	return nil
}

// Verify checks that token is the application_token member's install
// event carried (constant time) and returns the credential.
func (d Dir) Verify(member, token string) (Credential, error) {
	c, err := d.Load(member)
	if err != nil {
		return Credential{}, err
	}
	if !same(c.ApplicationToken, token) {
		return Credential{}, fmt.Errorf("%w: %s", ErrWrongApp, member)
	}
	return c, nil
}

func same(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Tokens returns the oauth.Store of member's tokens, for its oauth.Source:
// Save replaces the tokens only, atomically, and it locks as Dir does.
func (d Dir) Tokens(member string) oauth.Store { return portalTokens{d: d, member: member} }

type portalTokens struct {
	d      Dir
	member string
}

func (p portalTokens) Load(context.Context) (oauth.Token, error) {
	c, err := p.d.Load(p.member)
	if errors.Is(err, ErrNotInstalled) || (err == nil && c.Token.RefreshToken == "") {
		return oauth.Token{}, oauth.ErrNoTokens // installed without tokens: none yet
	}
	return c.Token, err
}

// Save replaces the tokens; the Source holds the lock while it refreshes.
func (p portalTokens) Save(_ context.Context, t oauth.Token) error {
	c, err := p.d.Load(p.member)
	if err != nil {
		return err
	}
	if t.UserID == 0 {
		t.UserID = c.Token.UserID
	}
	t.MemberID = p.member
	c.Token = t
	return p.d.save(c)
}

func (p portalTokens) Lock(ctx context.Context) (func(), error) { return p.d.lock(ctx, p.member) }

// LogValue logs the credential without its secrets.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("member_id", c.MemberID), slog.String("domain", c.Domain), slog.Any("token", c.Token))
}

// MarshalJSON encodes the credential without its secrets (Dir has its own encoding).
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"member_id": c.MemberID, "domain": c.Domain, "client_endpoint": c.ClientEndpoint,
		"token": c.Token, "installed": c.Installed})
}
