package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/b24go/b24/cmd/b24/internal/profiles"
)

const (
	hookEnv  = "https://env.bitrix24.com/rest/1/envenvenvenvenv1/"
	hookFile = "https://file.bitrix24.com/rest/1/filefilefilefil1/"
	hookWork = "https://work.bitrix24.com/rest/1/workworkworkwor1/"
	hookHome = "https://home.bitrix24.com/rest/1/homehomehomehom1/"
)

// TestWebhookPrecedence: an explicit flag (--webhook-file or --profile),
// then $B24_WEBHOOK, then $B24_PROFILE, then the active profile; a profile
// may be an application's (want is then its portal).
func TestWebhookPrecedence(t *testing.T) {
	cfg := t.TempDir()
	s := profiles.New(filepath.Join(cfg, "b24"))
	for name, hook := range map[string]string{"work": hookWork, "home": hookHome} {
		if _, err := s.Add(context.Background(), name, hook); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(context.Background(), "shop", profiles.Profile{Kind: profiles.KindApp, Portal: "https://shop.bitrix24.com",
		ClientID: "local.1", ClientSecret: "appsecretappsecret"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Use(context.Background(), "work"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "hook")
	os.WriteFile(file, []byte(hookFile+"\n"), 0o600)
	base := []string{"XDG_CONFIG_HOME=" + cfg, "HOME=/nonexistent"}
	cases := []struct {
		name          string
		env           []string
		file, profile string
		want, from    string
		usage         string
	}{
		{"the active profile last", nil, "", "", hookWork, "profile work", ""},
		{"the variable before it", []string{"B24_WEBHOOK=" + hookEnv}, "", "", hookEnv, "$B24_WEBHOOK", ""},
		{"B24_HOOK too", []string{"B24_HOOK=" + hookEnv}, "", "", hookEnv, "$B24_HOOK", ""},
		{"--profile before the variable", []string{"B24_WEBHOOK=" + hookEnv}, "", "home", hookHome, "profile home", ""},
		{"--webhook-file before the variable", []string{"B24_WEBHOOK=" + hookEnv}, file, "", hookFile, "--webhook-file " + file, ""},
		{"$B24_PROFILE before the active profile", []string{"B24_PROFILE=shop"}, "", "", "https://shop.bitrix24.com", "profile shop", ""},
		{"the variable before $B24_PROFILE", []string{"B24_PROFILE=shop", "B24_WEBHOOK=" + hookEnv}, "", "", hookEnv, "$B24_WEBHOOK", ""},
		{"--profile before $B24_PROFILE", []string{"B24_PROFILE=shop"}, "", "home", hookHome, "profile home", ""},
		{"--profile names an application", nil, "", "shop", "https://shop.bitrix24.com", "profile shop", ""},
		{"$B24_PROFILE unknown", []string{"B24_PROFILE=nope"}, "", "", "", "", "$B24_PROFILE: profile \"nope\": no such profile"},
		{"both flags", nil, file, "home", "", "", "not both"},
		{"an unknown profile", nil, "", "nope", "", "", "no such profile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &cli{env: append(slices.Clone(base), tc.env...), stderr: &strings.Builder{}}
			c.g.webhookFile, c.g.profile = tc.file, tc.profile
			cr, err := c.webhookSource()
			raw, from := cr.portal(), cr.from
			if tc.usage != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.usage) {
					t.Fatalf("err = %v, want a usage error with %q", err, tc.usage)
				}
				return
			}
			if err != nil || raw != tc.want || from != tc.from {
				t.Fatalf("got %q from %q (%v), want %q from %q", raw, from, err, tc.want, tc.from)
			}
		})
	}
	if got := ProfileNames(base); !slices.Equal(got, []string{"home", "shop", "work"}) {
		t.Errorf("ProfileNames = %v", got)
	}
	c := &cli{env: []string{"XDG_CONFIG_HOME=" + t.TempDir()}}
	if _, err := c.webhookSource(); err == nil || !strings.Contains(err.Error(), "b24 auth add") {
		t.Errorf("no webhook anywhere: %v", err)
	}
}

// TestWebhookFileExposed: a webhook file group or others can read is
// read, with a warning naming the fix.
func TestWebhookFileExposed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hook")
	os.WriteFile(file, []byte(hookFile), 0o644)
	os.Chmod(file, 0o644)
	var errb strings.Builder
	c := &cli{name: "b24 ping", stderr: &errb}
	c.g.webhookFile = file
	cr, err := c.webhookSource()
	if err != nil || cr.Webhook != hookFile {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "is open to group or others (mode 0644)") || !strings.Contains(errb.String(), "chmod 600 "+file) {
		t.Errorf("warning: %q", errb.String())
	}
	errb.Reset()
	os.Chmod(file, 0o600)
	c.webhookSource()
	if errb.Len() != 0 {
		t.Errorf("a private file drew %q", errb.String())
	}
}
