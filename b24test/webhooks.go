package b24test

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
)

// webhooks are the portal's webhooks beyond WithWebhook's: a secret per
// user, each behind a pointer (printing a Server shows addresses).
type webhooks struct {
	mu     sync.Mutex
	byUser map[int]*string
}

// AddWebhook adds a webhook of user userID (positive) to the portal, with a
// random secret, and returns its REST v2 base URL (it contains the secret;
// the v3 base inserts "api/" after "/rest/"). A request through it acts as
// that user: the records it writes name userID as their author or
// modifier, user.current and profile answer that user. A user's secret
// admits that user only: a wrong secret or another user's is refused
// (401 INVALID_CREDENTIALS). A user that has a webhook already gets its
// URL back. The webhooks share the portal's request bucket, operating
// budgets, scopes and faults.
func (s *Server) AddWebhook(userID int) (url string) {
	if userID < 1 {
		panic("b24test: AddWebhook: user id must be positive")
	}
	if userID == s.cfg.userID {
		return s.WebhookURL()
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	sec := s.hooks.byUser[userID]
	if sec == nil {
		v := randomSecret()
		sec = &v
		if s.hooks.byUser == nil {
			s.hooks.byUser = map[int]*string{}
		}
		s.hooks.byUser[userID] = sec
	}
	return s.url + "/rest/" + strconv.Itoa(userID) + "/" + *sec + "/"
}

// webhookUser returns the user whose webhook the route's user and secret
// name; ok is false when no webhook matches.
func (s *Server) webhookUser(rt route) (user int, ok bool) {
	id, err := strconv.Atoi(rt.user)
	if err != nil || strconv.Itoa(id) != rt.user {
		return 0, false
	}
	want := s.cfg.secret
	if id != s.cfg.userID {
		s.hooks.mu.Lock()
		want = s.hooks.byUser[id]
		s.hooks.mu.Unlock()
	}
	if want == nil || subtle.ConstantTimeCompare([]byte(rt.secret), []byte(*want)) != 1 {
		return 0, false
	}
	return id, true
}

// hookUserKey marks the context of a request with the webhook's user.
type hookUserKey struct{}

// callUser returns the user a request acts as: its webhook's, else (an
// application's call) the portal's default webhook user.
func (s *Server) callUser(ctx context.Context) int {
	if u, ok := ctx.Value(hookUserKey{}).(int); ok {
		return u
	}
	return s.cfg.userID
}

// requestSecret returns the secret the request's path carries (the
// default webhook's for a path without one).
func (s *Server) requestSecret(r *http.Request) string {
	if rt, ok := parseRoute(r.URL.Path); ok && rt.webhook {
		return rt.secret
	}
	return *s.cfg.secret
}
