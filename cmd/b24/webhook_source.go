package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/b24go/b24/cmd/b24/internal/profiles"
	"github.com/b24go/b24/cmd/b24/internal/userdir"
)

// credential is what a command authenticates with: a webhook URL
// (Profile.Webhook) or an application's profile, and where it came from.
type credential struct {
	profiles.Profile
	from   string // "--webhook-file F", "$B24_WEBHOOK", "profile NAME"
	tokens string // an application's token file (profiles.Store.TokenPath)
}

// portal returns the URL naming the credential's portal: the webhook URL,
// or an application's portal origin.
func (cr credential) portal() string {
	if cr.IsApp() {
		return cr.Portal
	}
	return cr.Webhook
}

// webhookSource finds the credential and says where it came from, in
// this order: an explicit flag (--webhook-file or --profile, not both),
// then $B24_WEBHOOK (or $B24_HOOK), then an application in the
// environment ($B24_CLIENT_ID, envApp), then $B24_PROFILE, then the active
// profile. A profile is a webhook's or an application's. No secret is
// ever echoed.
func (c *cli) webhookSource() (credential, error) {
	switch {
	case c.g.webhookFile != "" && c.g.profile != "":
		return credential{}, usagef("give --webhook-file or --profile, not both")
	case c.g.webhookFile != "":
		raw, err := c.readWebhookFile(c.g.webhookFile)
		return webhookCred(raw, "--webhook-file "+c.g.webhookFile), err
	case c.g.profile != "":
		return c.namedProfile(c.g.profile, "--profile")
	}
	for _, k := range []string{"B24_WEBHOOK", "B24_HOOK"} {
		if v := strings.TrimSpace(c.getenv(k)); v != "" {
			return webhookCred(v, "$"+k), nil
		}
	}
	if strings.TrimSpace(c.getenv("B24_CLIENT_ID")) != "" {
		return c.envApp()
	}
	if v := strings.TrimSpace(c.getenv("B24_PROFILE")); v != "" {
		return c.namedProfile(v, "$B24_PROFILE")
	}
	if s, err := c.profileStore(); err == nil {
		name, p, err := s.Active()
		if err != nil {
			return credential{}, usagef("%v", err)
		}
		if name != "" {
			return profileCred(s, name, p), nil
		}
	}
	return credential{}, usagef("no webhook: set B24_WEBHOOK to the inbound webhook URL, use --webhook-file, or add a profile (b24 auth add NAME, b24 auth add --app NAME)")
}

// envApp is the application the environment describes: $B24_PORTAL,
// $B24_CLIENT_ID, $B24_CLIENT_SECRET and $B24_TOKEN_FILE (an
// oauth.FileStore, refreshed and saved under its lock), $B24_TOKEN_URL
// optional.
func (c *cli) envApp() (credential, error) {
	p := profiles.Profile{Kind: profiles.KindApp, Portal: strings.TrimSpace(c.getenv("B24_PORTAL")),
		ClientID: strings.TrimSpace(c.getenv("B24_CLIENT_ID")), ClientSecret: strings.TrimSpace(c.getenv("B24_CLIENT_SECRET")),
		TokenURL: strings.TrimSpace(c.getenv("B24_TOKEN_URL"))}
	tokens := strings.TrimSpace(c.getenv("B24_TOKEN_FILE"))
	var missing []string
	for k, v := range map[string]string{"B24_PORTAL": p.Portal, "B24_CLIENT_SECRET": p.ClientSecret, "B24_TOKEN_FILE": tokens} {
		if v == "" {
			missing = append(missing, "$"+k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return credential{}, usagef("$B24_CLIENT_ID names an application: set %s too", strings.Join(missing, ", "))
	}
	return credential{Profile: p, from: "$B24_CLIENT_ID", tokens: tokens}, nil
}

func webhookCred(raw, from string) credential {
	return credential{Profile: profiles.Profile{Kind: profiles.KindWebhook, Webhook: raw}, from: from}
}

func profileCred(s *profiles.Store, name string, p profiles.Profile) credential {
	cr := credential{Profile: p, from: "profile " + name}
	if p.IsApp() {
		cr.tokens = s.TokenPath(name)
	}
	return cr
}

// namedProfile returns the profile name, given by what (--profile or
// $B24_PROFILE).
func (c *cli) namedProfile(name, what string) (credential, error) {
	s, err := c.profileStore()
	if err != nil {
		return credential{}, err
	}
	p, err := s.Get(name)
	if err != nil {
		return credential{}, usagef("%s: %v", what, err)
	}
	return profileCred(s, name, p), nil
}

// readWebhookFile reads a webhook file, warning when group or others can
// read it: it holds the webhook's secret.
func (c *cli) readWebhookFile(path string) (string, error) {
	if fi, err := os.Stat(path); err == nil && userdir.Exposed(fi.Mode()) {
		fmt.Fprintf(c.stderr, "%s: warning: --webhook-file %s is open to group or others (mode %04o), and it holds the webhook's secret: chmod 600 %s\n", c.name, path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("--webhook-file: %v", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usagef("--webhook-file %s is empty", path)
	}
	return s, nil
}

// profileStore is the store in the user's configuration directory.
func (c *cli) profileStore() (*profiles.Store, error) {
	dir, err := userdir.Config(c.getenv)
	if err != nil {
		return nil, usagef("no configuration directory for profiles: %v", err)
	}
	return profiles.New(dir), nil
}

// ProfileNames lists the profiles of the user's store for completion
// (--profile, auth use, auth remove): nil when there are none.
func ProfileNames(env []string) []string {
	c := &cli{env: env}
	s, err := c.profileStore()
	if err != nil {
		return nil
	}
	names, _, _ := s.List()
	return names
}
