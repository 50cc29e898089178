package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/b24go/b24/cmd/b24/internal/profiles"
	"github.com/b24go/b24/cmd/b24/internal/userdir"
)

// webhookSource finds the webhook URL and says where it came from, in
// this order: an explicit flag (--webhook-file or --profile, not both),
// then $B24_WEBHOOK (or $B24_HOOK), then the active profile. The URL is
// never echoed.
func (c *cli) webhookSource() (raw, from string, err error) {
	switch {
	case c.g.webhookFile != "" && c.g.profile != "":
		return "", "", usagef("give --webhook-file or --profile, not both")
	case c.g.webhookFile != "":
		raw, err := c.readWebhookFile(c.g.webhookFile)
		return raw, "--webhook-file " + c.g.webhookFile, err
	case c.g.profile != "":
		s, err := c.profileStore()
		if err != nil {
			return "", "", err
		}
		raw, err := s.Webhook(c.g.profile)
		if err != nil {
			return "", "", usagef("--profile: %v", err)
		}
		return raw, "profile " + c.g.profile, nil
	}
	for _, k := range []string{"B24_WEBHOOK", "B24_HOOK"} {
		if v := strings.TrimSpace(c.getenv(k)); v != "" {
			return v, "$" + k, nil
		}
	}
	if s, err := c.profileStore(); err == nil {
		name, raw, err := s.Active()
		if err != nil {
			return "", "", usagef("%v", err)
		}
		if name != "" {
			return raw, "profile " + name, nil
		}
	}
	return "", "", usagef("no webhook: set B24_WEBHOOK to the inbound webhook URL, use --webhook-file, or add a profile (b24 auth add NAME)")
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
