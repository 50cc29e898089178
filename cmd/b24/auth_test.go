package main

import (
	"strings"
	"testing"

	"github.com/b24go/b24/cmd/b24/internal/profiles"
)

func mustStore(t *testing.T, c *cli) *profiles.Store {
	t.Helper()
	s, err := c.profileStore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAuthAddFromStdin: the webhook is read from stdin, checked for form
// (a malformed one is refused, exit 2, nothing stored) and never printed
// but redacted.
func TestAuthAddFromStdin(t *testing.T) {
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir()}
	var errb strings.Builder
	c := &cli{name: "b24 auth add", stdin: strings.NewReader(hookWork + "\n"), stderr: &errb, env: env}
	if err := c.authAdd(t.Context(), "work"); err != nil {
		t.Fatal(err)
	}
	if got := errb.String(); got != "b24 auth add: added profile work (https://work.bitrix24.com/rest/1/****/), active\n" {
		t.Errorf("stderr %q", got)
	}
	for _, bad := range []string{"", "not a url\n", "http://x.bitrix24.com/rest/1/abc/\n", "https://x.bitrix24.com/rest/1/\n"} {
		c := &cli{name: "b24 auth add", stdin: strings.NewReader(bad), stderr: &errb, env: env}
		err := c.authAdd(t.Context(), "bad")
		if exitCode(t.Context(), err) != exitUsage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	if names, _, _ := mustStore(t, c).List(); len(names) != 1 {
		t.Errorf("profiles %v", names)
	}
}

// TestAuthAddRefusesURLArgument: a webhook given as an argument is
// refused (exit 2) before it is stored anywhere.
func TestAuthAddRefusesURLArgument(t *testing.T) {
	cfg := t.TempDir()
	r := (*portal)(nil).runEnv(t, []string{"XDG_CONFIG_HOME=" + cfg}, "", "auth", "add", "work", hookWork)
	if r.code != exitUsage || !strings.Contains(r.stderr, "never from an argument") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if names := ProfileNames([]string{"XDG_CONFIG_HOME=" + cfg}); names != nil {
		t.Errorf("stored %v", names)
	}
}
