package main

import (
	"context"
	"io"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
)

var pingCommand = &command{
	name:    "ping",
	summary: "check the webhook or app: portal, user, scope and round-trip time",
	example: `  export B24_WEBHOOK=https://portal.bitrix24.com/rest/1/xxxxxxxxxxxxxxxx/
  b24 ping
  b24 ping --webhook-file ~/.config/b24-hook --timeout 10s
  b24 ping --jq .user`,
	portal: true,
	long: `Calls profile and app.info through the webhook and prints the portal, the
webhook's user (#id and name), its scope and the round-trip time. With an
application profile it prints the application's client id instead of the
webhook, and the user its tokens act for (never the secret or a token).
Exit 0 when the portal answers, 1 on an API or network error, 2 when the
webhook is missing or malformed. --json prints {"portal", "webhook"
(redacted; "app": the client id for an application), "user_id", "user",
"admin", "scope", "license", "rtt_ms"}.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &outputFlags{}
		o.register(fs)
		return printer(c, o, func(ctx context.Context) error { return c.pingOut(ctx, o, "", "") })
	},
}

// ping calls profile and app.info and prints what they say to w.
func ping(ctx context.Context, w io.Writer, h *b24.Hook) error {
	r, err := fetchPing(ctx, h)
	if err != nil {
		return err
	}
	return writePing(w, r)
}
