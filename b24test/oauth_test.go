package b24test

import (
	"net/url"
	"testing"
	"testing/synctest"
	"time"
)

func refresh(t *testing.T, s *Server, id, secret, rt string) resp {
	t.Helper()
	q := url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "client_secret": {secret}, "refresh_token": {rt}}
	return do(t, s, "GET", s.OAuthURL()+"?"+q.Encode(), "", "")
}

func bearer(t *testing.T, s *Server, tok string) resp {
	t.Helper()
	return do(t, s, "POST", s.URL()+"/rest/profile", "application/json", "{}", "Authorization", "Bearer "+tok)
}

// TestOAuthRefreshGrant: the answers of the token endpoint and of REST to
// an application's tokens, expiry on the fake's clock.
func TestOAuthRefreshGrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(t, InMemory())
		tok := s.RegisterApp("app.1", "appsecret")
		if r := bearer(t, s, tok.AccessToken); r.status != 200 {
			t.Fatalf("fresh token: %d %s", r.status, r.raw)
		}
		if r := do(t, s, "POST", s.URL()+"/rest/profile?auth="+tok.AccessToken, "application/json", "{}"); r.status != 200 {
			t.Fatalf("auth= parameter: %d %s", r.status, r.raw)
		}
		if r := bearer(t, s, "nope"); r.status != 401 || r.errCode() != "invalid_token" {
			t.Fatalf("unknown token: %d %s", r.status, r.raw)
		}
		time.Sleep(AccessTTL)
		if r := bearer(t, s, tok.AccessToken); r.status != 401 || r.errCode() != "expired_token" {
			t.Fatalf("after an hour: %d %s", r.status, r.raw)
		}
		if r := refresh(t, s, "app.1", "wrong", tok.RefreshToken); r.errCode() != "wrong_client" {
			t.Fatalf("wrong secret: %d %s", r.status, r.raw)
		}
		if r := refresh(t, s, "app.1", "appsecret", "nope"); r.errCode() != "invalid_grant" {
			t.Fatalf("unknown refresh token: %d %s", r.status, r.raw)
		}
		r := refresh(t, s, "app.1", "appsecret", tok.RefreshToken)
		at, _ := r.obj()["access_token"].(string)
		rt, _ := r.obj()["refresh_token"].(string)
		if r.status != 200 || at == "" || rt == "" || rt == tok.RefreshToken {
			t.Fatalf("refresh: %d %s", r.status, r.raw)
		}
		if r := bearer(t, s, at); r.status != 200 {
			t.Fatalf("new token: %d %s", r.status, r.raw)
		}
		// The new access token is in use: the rotated-out refresh token is dead.
		if r := refresh(t, s, "app.1", "appsecret", tok.RefreshToken); r.errCode() != "invalid_grant" {
			t.Fatalf("old refresh token after rotation: %d %s", r.status, r.raw)
		}
		if s.Refreshes() != 1 {
			t.Fatalf("Refreshes() = %d, want 1", s.Refreshes())
		}
	})
}

// TestOAuthLostAnswer: a refresh whose answer is lost leaves the old
// refresh token usable, so the client is not locked out.
func TestOAuthLostAnswer(t *testing.T) {
	s := NewServer(t, InMemory())
	tok := s.RegisterApp("app.1", "appsecret")
	s.LoseRefreshAnswers(1)
	q := url.Values{"grant_type": {"refresh_token"}, "client_id": {"app.1"}, "client_secret": {"appsecret"}, "refresh_token": {tok.RefreshToken}}
	if _, err := s.Client().Get(s.OAuthURL() + "?" + q.Encode()); err == nil {
		t.Fatal("the lost answer arrived")
	}
	r := refresh(t, s, "app.1", "appsecret", tok.RefreshToken)
	at, _ := r.obj()["access_token"].(string)
	if r.status != 200 || at == "" {
		t.Fatalf("refresh after a lost answer: %d %s", r.status, r.raw)
	}
	if r := bearer(t, s, at); r.status != 200 {
		t.Fatalf("token after a lost answer: %d %s", r.status, r.raw)
	}
}
