package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/b24go/b24/oauth"
)

// TestAuthApp: an application profile against the fake portal, every
// output checked against its golden file: added with a refresh token from
// stdin, listed with its kind, used by auth status and any command (the
// tokens refreshed and saved to tokens/NAME.json, 0600), added again with
// an authorization code from the environment; a used code, a missing
// --portal and a malformed portal refused with nothing saved. No output
// shows the client secret or a token.
func TestAuthApp(t *testing.T) {
	p := newPortal(t)
	first := p.s.RegisterApp("local.app.1", "appclientsecret1")
	cfg := t.TempDir()
	env := []string{"B24_WEBHOOK=", "XDG_CONFIG_HOME=" + cfg}
	app := []string{"auth", "add", "--app", "--portal", p.s.URL(), "--client-id", "local.app.1", "--token-url", p.s.OAuthURL()}
	used := p.s.IssueCode()
	steps := []struct {
		name, stdin string
		extra       []string
		args        []string
		code        int
	}{
		{"app_add", "appclientsecret1\n" + first.RefreshToken + "\n", nil, append(app, "shop"), exitOK},
		{"app_list", "", nil, []string{"auth", "list"}, exitOK},
		{"app_list_json", "", nil, []string{"auth", "list", "--json"}, exitOK},
		{"app_status", "", nil, []string{"auth", "status"}, exitOK},
		{"app_call", "", nil, []string{"--profile", "shop", "call", "crm.deal.list", "select[]=ID", "--jq", ".[0].ID"}, exitOK},
		{"app_add_code", "", []string{"B24_CLIENT_SECRET=appclientsecret1", "B24_AUTH_CODE=" + used}, append(app, "--code", "shop2"), exitOK},
		{"app_add_used_code", used + "\n", []string{"B24_CLIENT_SECRET=appclientsecret1"}, append(app, "--code", "shop3"), exitAPI},
		{"app_add_no_portal", "appclientsecret1\n", nil, []string{"auth", "add", "--app", "--client-id", "x", "shop4"}, exitUsage},
		{"app_add_http_portal", "appclientsecret1\nrt\n", nil, []string{"auth", "add", "--app", "--portal", "http://x.bitrix24.com", "--client-id", "x", "shop4"}, exitUsage},
		{"app_add_flag_no_app", "", nil, []string{"auth", "add", "--client-id", "x", "shop4"}, exitUsage},
		{"app_list_after", "", nil, []string{"auth", "list"}, exitOK},
	}
	var all strings.Builder
	for _, s := range steps {
		r := p.runEnv(t, append(append([]string{}, env...), s.extra...), s.stdin, s.args...)
		goldenRun(t, s.name+".golden", r, s.code, cfg)
		all.WriteString(r.stdout + r.stderr)
	}
	tokens := filepath.Join(cfg, "b24", "tokens", "shop.json")
	tok, err := oauth.FileStore{Path: tokens}.Load(context.Background())
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == first.RefreshToken {
		t.Fatalf("the refreshed tokens were not saved: %v %v", tok, err)
	}
	if p.s.Refreshes() != 1 {
		t.Errorf("%d refreshes, want 1 (status, then call with the saved token)", p.s.Refreshes())
	}
	for _, f := range []string{tokens, filepath.Join(cfg, "b24", "tokens", "shop2.json"), filepath.Join(cfg, "b24", "profiles.json")} {
		if st, err := os.Stat(f); err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
			t.Errorf("%s: %v %v", f, st.Mode(), err)
		}
	}
	for _, secret := range []string{"appclientsecret1", first.RefreshToken, first.AccessToken, tok.AccessToken, tok.RefreshToken, used} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("an output shows a secret: %s", all.String())
		}
	}
}
