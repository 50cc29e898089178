package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/b24go/b24"
)

func TestCleanCode(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&b24.APIError{Method: "crm.deal.get", Description: "Not found", Status: 400}, "crm.deal.get: Not found [HTTP 400]"},
		{fmt.Errorf("reading: %w", &b24.APIError{Method: "crm.deal.get", Status: 400}), "reading: b24: crm.deal.get: error (no code) [HTTP 400]"},
		{&b24.APIError{Method: "m", Code: "ACCESS_DENIED", Description: "d", Status: 403}, "m: ACCESS_DENIED: d [HTTP 403]"},
		{fmt.Errorf("plain"), "plain"},
	}
	for _, c := range cases {
		msg := c.err.Error()
		if len(msg) > 5 && msg[:5] == "b24: " {
			msg = msg[5:]
		}
		if got := cleanCode(msg, c.err); got != c.want {
			t.Errorf("cleanCode(%q) = %q, want %q", msg, got, c.want)
		}
	}
}

func TestAuthFailure(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&b24.APIError{Code: "INVALID_CREDENTIALS", Status: 401}, true},
		{fmt.Errorf("batch: %w", &b24.APIError{Code: "NO_AUTH_FOUND"}), true},
		{&b24.APIError{Code: "expired_token"}, true},
		{&b24.APIError{Code: "ACCESS_DENIED"}, false},
		{&b24.APIError{Code: "NOT_FOUND"}, false},
	} {
		if got := authFailure(c.err); got != c.want {
			t.Errorf("authFailure(%v) = %v", c.err, got)
		}
	}
}

// TestEmptyCodeNeverQuoted: a legacy error with an empty code prints its
// description alone, in call's error line and update's summary.
func TestEmptyCodeNeverQuoted(t *testing.T) {
	p := newPortal(t)
	p.s.OnError("crm.deal.get", "", "Not found")
	r := p.run(t, "", "call", "crm.deal.get", "id=1")
	if r.code != exitAPI || r.stderr != "b24 call: crm.deal.get: Not found [HTTP 400]\n" {
		t.Errorf("call: exit %d, stderr %q", r.code, r.stderr)
	}
	p.s.OnError("crm.deal.update", "", "")
	dir := t.TempDir()
	in := writeUpdateCSV(t, dir, []int{1}, "x")
	r = p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", dir+"/j")
	if r.code != exitPartial || strings.Contains(r.stderr, `""`) || !strings.Contains(r.stderr, "1 × error (no code): IDs 1") {
		t.Errorf("update: exit %d, stderr %q", r.code, r.stderr)
	}
}
