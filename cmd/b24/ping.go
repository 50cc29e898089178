package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
)

var pingCommand = &command{
	name:    "ping",
	summary: "check the webhook: portal, user, scope and round-trip time",
	example: `  export B24_WEBHOOK=https://portal.bitrix24.com/rest/1/xxxxxxxxxxxxxxxx/
  b24 ping
  b24 ping --webhook-file ~/.config/b24-hook --timeout 10s`,
	portal: true,
	long: `Calls profile and app.info through the webhook and prints the portal, the
webhook's user (#id and name), its scope and the round-trip time.
Exit 0 when the portal answers, 1 on an API or network error, 2 when the
webhook is missing or malformed.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return func(ctx context.Context, args []string) int {
			if len(args) > 0 {
				return c.fail(ctx, usagef("unexpected arguments %q", args))
			}
			h, err := c.hook(ctx)
			if err != nil {
				return c.fail(ctx, err)
			}
			defer h.Close()
			if err := ping(ctx, c.stdout, h); err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
}

// pingInfo is what ping learns.
type pingInfo struct {
	Profile struct {
		ID       b24.ID `json:"ID"`
		Name     string `json:"NAME"`
		LastName string `json:"LAST_NAME"`
		Admin    bool   `json:"ADMIN"`
	}
	App struct {
		Scope   []string `json:"SCOPE"`
		License string   `json:"LICENSE"`
	}
	RTT time.Duration
}

// ping calls profile and app.info and prints what they say to w.
func ping(ctx context.Context, w io.Writer, h *b24.Hook) error {
	var info pingInfo
	start := time.Now()
	resp, err := h.Call(ctx, "profile", nil)
	if err != nil {
		return err
	}
	info.RTT = time.Since(start)
	if err := json.Unmarshal(resp.Result, &info.Profile); err != nil {
		return fmt.Errorf("profile: unexpected result: %v", err)
	}
	resp, err = h.Call(ctx, "app.info", nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Result, &info.App); err != nil {
		return fmt.Errorf("app.info: unexpected result: %v", err)
	}
	name := strings.TrimSpace(info.Profile.Name + " " + info.Profile.LastName)
	if info.Profile.Admin {
		name += " (admin)"
	}
	fmt.Fprintf(w, "portal:  %s\n", h.TargetOrigin())
	fmt.Fprintf(w, "webhook: %s/\n", h.TargetOriginWithPath(b24.APIv2))
	fmt.Fprintf(w, "user:    #%d %s\n", info.Profile.ID, name)
	fmt.Fprintf(w, "scope:   %s\n", strings.Join(info.App.Scope, ", "))
	if info.App.License != "" {
		fmt.Fprintf(w, "license: %s\n", info.App.License)
	}
	fmt.Fprintf(w, "rtt:     %s\n", info.RTT.Round(100*time.Microsecond))
	return nil
}
