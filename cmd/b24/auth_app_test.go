package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
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
	// A refresh logged at debug level, and a portal that echoes the
	// client secret and the tokens in an error: nothing shows them.
	p.s.ExpireAccessTokens()
	r := p.runEnv(t, env, "", "--log-level", "debug", "--profile", "shop2", "call", "profile")
	all.WriteString(r.stdout + r.stderr)
	if r.code != exitOK || !strings.Contains(r.stderr, "refreshed") {
		t.Errorf("debug run: exit %d, stderr %q", r.code, r.stderr)
	}
	shop2, _ := oauth.FileStore{Path: filepath.Join(cfg, "b24", "tokens", "shop2.json")}.Load(context.Background())
	p.s.OnError("crm.deal.get", "ERROR_CORE", "echo "+shop2.AccessToken+" "+shop2.RefreshToken+" appclientsecret1")
	r = p.runEnv(t, env, "", "--log-level", "debug", "--profile", "shop2", "call", "crm.deal.get", "id=1")
	all.WriteString(r.stdout + r.stderr)
	if r.code != exitAPI || !strings.Contains(r.stderr, "echo ****") {
		t.Errorf("echo run: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, secret := range []string{shop2.AccessToken, shop2.RefreshToken} {
		if secret == "" || strings.Contains(all.String(), secret) {
			t.Errorf("an output shows a token of shop2 (%q)", secret)
		}
	}
	tokens := filepath.Join(cfg, "b24", "tokens", "shop.json")
	tok, err := oauth.FileStore{Path: tokens}.Load(context.Background())
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == first.RefreshToken {
		t.Fatalf("the refreshed tokens were not saved: %v %v", tok, err)
	}
	if p.s.Refreshes() != 2 {
		t.Errorf("%d refreshes, want 2 (shop's at auth status, then its call with the saved token; shop2's after the expiry)", p.s.Refreshes())
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

// TestAppIdentity: journals and checkpoints of an application profile
// record the user its tokens act for (asked with profile: the token file
// says none before the first refresh) and the client id; a second run of
// the same profile resumes them, and the portal's webhook (same user,
// no application) is refused both, as another application would be.
func TestAppIdentity(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 60}))
	first := p.s.RegisterApp("local.app.1", "appclientsecret1")
	cfg, dir := t.TempDir(), t.TempDir()
	asApp := []string{"B24_WEBHOOK=", "XDG_CONFIG_HOME=" + cfg, "B24_PROFILE=shop"}
	r := p.runEnv(t, asApp, "appclientsecret1\n"+first.RefreshToken+"\n", "auth", "add", "--app", "--portal", p.s.URL(),
		"--client-id", "local.app.1", "--token-url", p.s.OAuthURL(), "shop")
	if r.code != exitOK {
		t.Fatal(r.stderr)
	}
	ids := dealIDs(t, p)[:30]
	in, j, cp, out := writeUpdateCSV(t, dir, ids, "App"), filepath.Join(dir, "j"), filepath.Join(dir, "cp"), filepath.Join(dir, "out.csv")
	update := []string{"update", "crm.deal.update", "--from", in, "--journal", j}
	list := []string{"list", "crm.deal.list", "--select", "ID", "-o", out, "--checkpoint", cp}
	for _, args := range [][]string{update, list} {
		for i, env := range [][]string{asApp, asApp, nil} {
			r := p.runEnv(t, env, "", args...)
			want := exitOK
			if env == nil { // the webhook
				want = exitUsage
				if !strings.Contains(r.stderr, "application local.app.1") {
					t.Errorf("%s run %d: the refusal does not name the application: %q", args[0], i, r.stderr)
				}
			}
			if r.code != want {
				t.Errorf("%s run %d: exit %d, want %d: %s", args[0], i, r.code, want, r.stderr)
			}
		}
	}
	b, _ := os.ReadFile(cp)
	if !strings.Contains(string(b), `"user":1,`) || !strings.Contains(string(b), `"app":"local.app.1"`) {
		t.Errorf("checkpoint %s", b)
	}
}

// TestEnvApp: an application described by the environment alone
// ($B24_PORTAL, $B24_CLIENT_ID, $B24_CLIENT_SECRET, $B24_TOKEN_FILE) is
// used after $B24_WEBHOOK and before the profiles; its token file is
// refreshed and saved; a missing variable is named (exit 2).
func TestEnvApp(t *testing.T) {
	p := newPortal(t)
	first := p.s.RegisterApp("local.env.1", "envclientsecret1")
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	if err := (oauth.FileStore{Path: tokens}).Save(context.Background(), oauth.Token{RefreshToken: first.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	env := []string{"B24_WEBHOOK=", "XDG_CONFIG_HOME=" + t.TempDir(), "B24_PORTAL=" + p.s.URL(), "B24_CLIENT_ID=local.env.1",
		"B24_CLIENT_SECRET=envclientsecret1", "B24_TOKEN_FILE=" + tokens, "B24_TOKEN_URL=" + p.s.OAuthURL()}
	r := p.runEnv(t, env, "", "auth", "status", "--jq", ".source + \" \" + .kind")
	if r.code != exitOK || r.stdout != "$B24_CLIENT_ID app\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if tok, err := (oauth.FileStore{Path: tokens}).Load(context.Background()); err != nil || tok.AccessToken == "" {
		t.Fatalf("the token file was not refreshed: %v", err)
	}
	r = p.runEnv(t, append(env, "B24_WEBHOOK="+p.s.WebhookURL()), "", "auth", "status", "--jq", ".source")
	if r.code != exitOK || r.stdout != "$B24_WEBHOOK\n" {
		t.Errorf("$B24_WEBHOOK first: %q %q", r.stdout, r.stderr)
	}
	r = p.runEnv(t, append(env, "B24_TOKEN_FILE=", "B24_PORTAL="), "", "ping")
	if r.code != exitUsage || !strings.Contains(r.stderr, "set $B24_PORTAL, $B24_TOKEN_FILE too") {
		t.Errorf("missing variables: exit %d, %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "envclientsecret1") {
		t.Error("the client secret was printed")
	}
}
