package b24test

import (
	"strings"
	"testing"

	"github.com/b24go/b24/internal/php"
)

// TestStubs: a stub answers at top level (v2, v3, known or unknown method),
// and as a batch command, where Call.Key picks one command and Call.Run
// answers as the fake would.
func TestStubs(t *testing.T) {
	s := newTestServer(t)
	s.OnResult("custom.thing.get", "stubbed")
	s.OnError("crm.deal.get", "NOT_FOUND", "Not found")
	s.On("crm.deal.update", func(c *Call) (Result, *Error) {
		switch c.Key {
		case "bad":
			return Result{}, Errorf("ACCESS_DENIED", "Access denied")
		case "skip":
			return Result{}, ErrNotExecuted
		}
		return c.Run()
	})
	s.On("user.current", func(c *Call) (Result, *Error) { return c.Run() })
	tests := []struct {
		name, method, body string
		v3                 bool
		status             int
		want               string // a substring of the raw answer
	}{
		{"unknown method v2", "custom.thing.get", "", false, 200, `"result":"stubbed"`},
		{"unknown method v3", "custom.thing.get", `{}`, true, 200, `"result":"stubbed"`},
		{"error", "crm.deal.get", `{"id":1}`, false, 400, `{"error":"NOT_FOUND","error_description":"Not found"}`},
		{"Run answers as the fake", "user.current", "", false, 200, `"ID":"1"`},
		{"method.get knows a stub", "method.get", `{"name":"custom.thing.get"}`, false, 200, `"result":{"isExisting":true,"isAvailable":true}`},
		{"not stubbed", "crm.deal.list", `{"select":["ID"],"start":-1}`, false, 200, `"result":[{"ID":"1"}`},
		{"batch commands", "batch", `{"halt":0,"cmd":{"ok":"crm.deal.update?id=1&fields[TITLE]=x","bad":"crm.deal.update?id=2&fields[TITLE]=x","skip":"crm.deal.update?id=3&fields[TITLE]=x","get":"crm.deal.get?id=1","c":"custom.thing.get"}}`,
			false, 200, `"result":{"result":{"ok":true,"c":"stubbed"},"result_error":{"bad":{"error":"ACCESS_DENIED","error_description":"Access denied"},"get":{"error":"NOT_FOUND","error_description":"Not found"}}`},
		{"v3 batch", "batch", `[{"method":"custom.thing.get","as":"a"},{"method":"custom.thing.get"}]`, true, 200, `"result":{"a":"stubbed","0":"stubbed"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r resp
			if tc.v3 {
				r = v3(t, s, tc.method, tc.body)
			} else {
				r = v2(t, s, tc.method, tc.body)
			}
			if r.status != tc.status || !strings.Contains(string(r.raw), tc.want) {
				t.Fatalf("got %d %s\nwant %d with %s", r.status, r.raw, tc.status, tc.want)
			}
		})
	}
	if got := s.Audit().WriteCount("deal", 1); got != 1 {
		t.Errorf("writes of deal 1 = %d, want 1 (the stub ran the fake's update once)", got)
	}
	if got := s.Audit().WriteCount("deal", 3); got != 0 {
		t.Errorf("writes of deal 3 = %d, want 0 (not executed)", got)
	}
}

// TestStubsReset: the function On returns (also through t.Cleanup) and
// ResetStubs each remove a stub; the method then answers as before.
func TestStubsReset(t *testing.T) {
	s := newTestServer(t)
	t.Run("set in a subtest", func(t *testing.T) {
		t.Cleanup(s.OnResult("profile", "one"))
	})
	if r := v2(t, s, "profile", ""); strings.Contains(string(r.raw), `"one"`) {
		t.Fatalf("a subtest's stub outlived it: %s", r.raw)
	}
	remove := s.OnResult("profile", "two")
	if r := v2(t, s, "profile", ""); !strings.Contains(string(r.raw), `"result":"two"`) {
		t.Fatalf("stub not served: %s", r.raw)
	}
	remove()
	if r := v2(t, s, "profile", ""); strings.Contains(string(r.raw), `"two"`) {
		t.Fatalf("removed stub served: %s", r.raw)
	}
	s.OnResult("profile", "three")
	s.ResetStubs()
	if r := v2(t, s, "profile", ""); strings.Contains(string(r.raw), `"three"`) || r.status != 200 {
		t.Fatalf("ResetStubs left a stub: %s", r.raw)
	}
	if r := v2(t, s, "custom.x", ""); r.status != 404 {
		t.Fatalf("unknown method after reset: %d, want 404", r.status)
	}
}

// TestEventMethodsRefuseWebhook: event.* answer 403 WRONG_AUTH_TYPE to a
// webhook, at top level and inside a batch, as a real portal does.
func TestEventMethodsRefuseWebhook(t *testing.T) {
	s := newTestServer(t)
	for _, m := range []string{"event.bind", "event.get", "event.unbind", "event.offline.get", "event.offline.list"} {
		r := v2(t, s, m, `{"event":"ONCRMDEALADD","handler":"https://example.com/h"}`)
		if r.status != 403 || string(r.raw) != `{"error":"WRONG_AUTH_TYPE","error_description":"Current authorization type is denied for this method"}` {
			t.Errorf("%s: %d %s", m, r.status, r.raw)
		}
	}
	r := v2(t, s, "batch", `{"cmd":{"e":"event.get"}}`)
	if !strings.Contains(string(r.raw), `"result_error":{"e":{"error":"WRONG_AUTH_TYPE"`) {
		t.Errorf("batch: %s", r.raw)
	}
}

// TestSecretAndFamily: Secret is the webhook's; WithFamily serves a user's
// methods and refuses one that clashes with the fake's.
func TestSecretAndFamily(t *testing.T) {
	s := NewServer(t, WithWebhook(7, "abcdef0123456789"), WithFamily(func(*Data) []Method {
		return []Method{{Name: "my.method", API: V2, Handler: func(c *Call) (Result, *Error) { return Value(c.UserID), nil }}}
	}))
	if s.Secret() != "abcdef0123456789" {
		t.Errorf("Secret() = %q", s.Secret())
	}
	if r := v2(t, s, "my.method", ""); !strings.Contains(string(r.raw), `"result":7`) {
		t.Errorf("my.method: %s", r.raw)
	}
	_, err := Start(InMemory(), WithFamily(func(*Data) []Method {
		return []Method{{Name: "profile", API: V2, Handler: Returns(php.NewArray())}}
	}))
	if err == nil || !strings.Contains(err.Error(), `"profile" registered twice`) {
		t.Errorf("a clashing family: %v", err)
	}
}
