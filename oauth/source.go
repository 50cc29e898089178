package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTokenURL is Bitrix24's OAuth server for cloud portals.
const DefaultTokenURL = "https://oauth.bitrix.info/oauth/token/"

// DefaultLeeway is how long before its expiry an access token is refreshed.
const DefaultLeeway = time.Minute

// Config is what a Source needs.
type Config struct {
	ClientID     string       // the application's client id
	ClientSecret Secret       // the application's client secret
	Store        Store        // where the tokens live; required
	TokenURL     string       // default DefaultTokenURL; https only
	HTTPClient   *http.Client // default a client of its own
	Leeway       time.Duration
	// OnRefresh is called with the new tokens after they are saved.
	OnRefresh func(Token)
}

// Source gives a b24.Hook (b24.NewApp) its access tokens. It is safe for
// concurrent use.
type Source struct {
	cfg     *Config       // behind pointers: printing a Source shows no secret
	sem     chan struct{} // held by the one refresh in progress
	mu      sync.Mutex
	st      atomic.Pointer[state] // a pointer that prints as an address, even through reflection
	secrets atomic.Pointer[[]string]
}

// state is a Source's tokens and what it learnt about them (mu held).
type state struct {
	tok  Token
	have bool   // tok was loaded from the store
	dead string // an access token the portal answered expired_token to
	// A refresh token the OAuth server refused, and its refusal.
	failedFor string
	failErr   error
}

// New validates cfg and returns a Source; the tokens are read from the
// Store when first needed.
func New(cfg Config) (*Source, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: ClientID and ClientSecret are required", ErrInvalidConfig)
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: a Store is required", ErrInvalidConfig)
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if !strings.HasPrefix(cfg.TokenURL, "https://") || strings.ContainsAny(cfg.TokenURL, "?#") {
		return nil, fmt.Errorf("%w: TokenURL must be an https URL without query", ErrInvalidConfig)
	}
	if cfg.Leeway < 0 || cfg.Leeway > 30*time.Minute {
		return nil, fmt.Errorf("%w: Leeway %v is outside [0, 30m]", ErrInvalidConfig, cfg.Leeway)
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	s := &Source{cfg: &cfg, sem: make(chan struct{}, 1)}
	s.st.Store(&state{})
	s.setSecrets()
	return s, nil
}

// ClientID returns the application's client id.
func (s *Source) ClientID() string { return s.cfg.ClientID }

// Secrets returns the values a Hook redacts: the client secret and the tokens.
func (s *Source) Secrets() []string { return *s.secrets.Load() }

// setSecrets records the values to redact: the client secret and the
// tokens of ts (the new pair and the one it replaces, whose echoes may
// still come back).
func (s *Source) setSecrets(ts ...Token) {
	v := []string{string(s.cfg.ClientSecret)}
	for _, t := range ts {
		for _, x := range []string{t.AccessToken, t.RefreshToken} {
			if x != "" {
				v = append(v, x)
			}
		}
	}
	s.secrets.Store(&v)
}

// Expired records that the portal answered expired_token to token.
func (s *Source) Expired(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token != "" && token == s.st.Load().tok.AccessToken {
		s.st.Load().dead = token
	}
}

// current returns the access token when it is live and not due.
func (s *Source) current() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.Load().tok
	if !s.st.Load().have || t.AccessToken == "" || t.AccessToken == s.st.Load().dead || !time.Now().Add(s.cfg.Leeway).Before(t.Expiry) {
		return "", false
	}
	return t.AccessToken, true
}

// Token returns a live access token, refreshing it when due: one refresh
// at a time (others wait for it, or for ctx), under the Store's lock when
// it is a Locker, the tokens re-read first.
func (s *Source) Token(ctx context.Context) (string, error) {
	if t, ok := s.current(); ok {
		return t, nil
	}
	release, err := s.exclusive(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	if err := s.reload(ctx); err != nil {
		return "", err
	}
	if t, ok := s.current(); ok {
		return t, nil
	}
	return s.refresh(ctx)
}

// reload reads the Store: another process may have refreshed.
func (s *Source) reload(ctx context.Context) error {
	t, err := s.cfg.Store.Load(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.AccessToken != s.st.Load().tok.AccessToken || t.RefreshToken != s.st.Load().tok.RefreshToken {
		s.setSecrets(t, s.st.Load().tok)
		s.st.Load().tok, s.st.Load().have = t, true
	}
	return nil
}

// refresh exchanges the refresh token, saves the new tokens, then uses them.
func (s *Source) refresh(ctx context.Context) (string, error) {
	s.mu.Lock()
	rt, failedFor, failErr := s.st.Load().tok.RefreshToken, s.st.Load().failedFor, s.st.Load().failErr
	user := s.st.Load().tok.UserID
	s.mu.Unlock()
	if rt == failedFor {
		return "", failErr
	}
	nt, err := s.grant(ctx, rt)
	if err != nil {
		if oe := (*Error)(nil); errors.As(err, &oe) {
			s.mu.Lock()
			s.st.Load().failedFor, s.st.Load().failErr = rt, err
			s.mu.Unlock()
		}
		return "", err
	}
	if nt.UserID == 0 {
		nt.UserID = user // a refresh answer without user_id: the same user
	}
	if err := s.adopt(ctx, nt); err != nil {
		return "", err
	}
	return nt.AccessToken, nil
}

// adopt saves new tokens to the Store, then uses them and passes them to
// OnRefresh; tokens that were not saved are dropped.
func (s *Source) adopt(ctx context.Context, nt Token) error {
	if err := s.cfg.Store.Save(ctx, nt); err != nil {
		return fmt.Errorf("oauth: the new tokens were not saved, so not used: %w", err)
	}
	s.mu.Lock()
	s.setSecrets(nt, s.st.Load().tok)
	s.st.Load().tok, s.st.Load().have = nt, true
	s.mu.Unlock()
	if s.cfg.OnRefresh != nil {
		s.cfg.OnRefresh(nt)
	}
	return nil
}

// Exchange trades an authorization code (the authorization-code grant:
// grant_type=authorization_code, the code valid once and for about 30
// seconds) for the application's first tokens, saves them to the Store
// and uses them. It is how a local application or a command-line tool
// gets its tokens without an install handler.
func (s *Source) Exchange(ctx context.Context, code string) (Token, error) {
	if code == "" || len(code) > 512 {
		return Token{}, fmt.Errorf("%w: an authorization code is 1-512 characters", ErrInvalidConfig)
	}
	release, err := s.exclusive(ctx)
	if err != nil {
		return Token{}, err
	}
	defer release()
	nt, err := s.request(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code}})
	if err != nil {
		return Token{}, err
	}
	if err := s.adopt(ctx, nt); err != nil {
		return Token{}, err
	}
	return nt, nil
}

// exclusive takes the Source's semaphore, then the Store's lock when it is
// a Locker: the one refresh or exchange in progress, in any process.
func (s *Source) exclusive(ctx context.Context) (release func(), err error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	l, ok := s.cfg.Store.(Locker)
	if !ok {
		return func() { <-s.sem }, nil
	}
	unlock, err := l.Lock(ctx)
	if err != nil {
		<-s.sem
		return nil, err
	}
	return func() { unlock(); <-s.sem }, nil
}
