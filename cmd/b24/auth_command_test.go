package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestAuthCommands: a session of b24 auth against the fake portal, every
// output checked against its golden file: profiles added from stdin, the
// active one used when no flag and no variable say otherwise, --profile,
// the JSON forms, and a profiles file others can read refused.
func TestAuthCommands(t *testing.T) {
	p := newPortal(t)
	cfg := t.TempDir()
	// No $B24_WEBHOOK: the profiles decide.
	env := []string{"B24_WEBHOOK=", "XDG_CONFIG_HOME=" + cfg}
	other := "https://other.bitrix24.com/rest/7/otherotherother1/"
	steps := []struct {
		name, stdin string
		args        []string
		code        int
	}{
		{"auth_no_profiles", "", []string{"auth", "list"}, exitOK},
		{"auth_status_none", "", []string{"auth", "status"}, exitUsage},
		{"auth_add_work", p.s.WebhookURL() + "\n", []string{"auth", "add", "work"}, exitOK},
		{"auth_add_other", other, []string{"auth", "add", "other"}, exitOK},
		{"auth_add_malformed", "https://x.bitrix24.com/rest/abc/\n", []string{"auth", "add", "bad"}, exitUsage},
		{"auth_add_bad_name", p.s.WebhookURL(), []string{"auth", "add", "../x"}, exitUsage},
		{"auth_list", "", []string{"auth", "list"}, exitOK},
		{"auth_list_json", "", []string{"auth", "list", "--json"}, exitOK},
		{"auth_status", "", []string{"auth", "status"}, exitOK},
		{"auth_status_jq", "", []string{"auth", "status", "--jq", ".source"}, exitOK},
		{"auth_use_other", "", []string{"auth", "use", "other"}, exitOK},
		{"auth_profile_flag", "", []string{"--profile", "work", "ping", "--jq", ".user_id"}, exitOK},
		{"auth_use_unknown", "", []string{"auth", "use", "nope"}, exitUsage},
		{"auth_remove_other", "", []string{"auth", "remove", "other"}, exitOK},
		{"auth_list_after", "", []string{"auth", "list"}, exitOK},
	}
	for _, s := range steps {
		r := p.runEnv(t, env, s.stdin, s.args...)
		goldenRun(t, s.name+".golden", r, s.code, cfg)
	}
	if runtime.GOOS != "windows" {
		os.Chmod(filepath.Join(cfg, "b24", "profiles.json"), 0o644)
		goldenRun(t, "auth_exposed.golden", p.runEnv(t, env, "", "auth", "list"), exitUsage, cfg)
		goldenRun(t, "auth_exposed_ping.golden", p.runEnv(t, env, "", "ping"), exitUsage, cfg)
	}
}
