package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var authCommand = &command{
	name:    "auth",
	summary: "save webhooks and applications as named profiles: add, list, use, remove, status",
	example: `  b24 auth add work                 # asks for the webhook URL (hidden)
  b24 auth add home < home-hook.txt  # or reads it from stdin
  b24 auth list
  b24 auth use home
  b24 auth status
  b24 --profile work ping`,
	long: `Profiles keep webhooks in your configuration directory
(os.UserConfigDir()/b24/profiles.json, mode 0600 in a 0700 directory,
replaced atomically). A profiles file that group or others can read is
refused, as ssh refuses such a key (chmod 600 it). The webhook is read from
stdin or a hidden prompt, never from an argument, and only ever printed
redacted.

Which credential a command uses: --webhook-file or --profile NAME when
given (not both), else $B24_WEBHOOK (or $B24_HOOK), else an application
in the environment ($B24_PORTAL, $B24_CLIENT_ID, $B24_CLIENT_SECRET,
$B24_TOKEN_FILE, optional $B24_TOKEN_URL; used when $B24_CLIENT_ID is set),
else the profile $B24_PROFILE names, else the active profile. A profile is a webhook or an
application (b24 auth add --app): every command works with either.`,
	subs: []*command{authAddCommand, authListCommand, authUseCommand, authRemoveCommand, authStatusCommand},
}

// oneName returns a command's runner for one profile NAME argument.
func oneName(c *cli, f func(ctx context.Context, name string) error) func(context.Context, []string) int {
	return func(ctx context.Context, args []string) int {
		if len(args) != 1 {
			return c.fail(ctx, usagef("want one profile NAME"))
		}
		if err := f(ctx, args[0]); err != nil {
			return c.fail(ctx, err)
		}
		return exitOK
	}
}

// completeProfile completes a NAME argument with the saved profiles.
func completeProfile(c *cli, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return ProfileNames(c.env), cobra.ShellCompDirectiveNoFileComp
}

var authAddCommand = &command{
	name:    "add",
	args:    "NAME",
	summary: "save a webhook, or with --app an application, as profile NAME",
	example: `  b24 auth add work
  b24 auth add work < hook.txt
  b24 auth add --app --portal https://example.bitrix24.com --client-id local.abc.123 shop < secrets.txt
  B24_CLIENT_SECRET=... B24_AUTH_CODE=... b24 auth add --app --code --portal ... --client-id ... shop`,
	long: `Reads the webhook URL from stdin (its first line), or asks for it without
echo on a terminal, checks its form (https, /rest/<user id>/<secret>/) and
saves it as NAME, replacing a profile of that name. The first profile saved
becomes the active one. Nothing is sent to the portal (b24 auth status
checks it).

With --app, NAME is an application (OAuth): --portal and --client-id are
flags; the client secret ($B24_CLIENT_SECRET, else the first line of stdin
or a hidden prompt) and the first credential are never arguments. The
first credential is a refresh token ($B24_REFRESH_TOKEN, else the next line),
or with --code an authorization code ($B24_AUTH_CODE, else the next line),
exchanged at once (a code lives about 30 seconds). The tokens are kept in
tokens/NAME.json next to the profiles (0600), refreshed before they expire
and saved atomically under a lock, so that processes sharing the profile
refresh once.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		f := &appFlags{}
		fs.BoolVar(&f.app, "app", false, "save an application (OAuth) instead of a webhook")
		fs.StringVar(&f.portal, "portal", "", "the application's portal `URL` (https://example.bitrix24.com)")
		fs.StringVar(&f.clientID, "client-id", "", "the application's client `ID`")
		fs.StringVar(&f.tokenURL, "token-url", "", "the OAuth server's token `URL` (default https://oauth.bitrix.info/oauth/token/)")
		fs.BoolVar(&f.code, "code", false, "the first credential is an authorization code, not a refresh token")
		run := oneName(c, func(ctx context.Context, name string) error {
			if !f.app {
				if f.portal != "" || f.clientID != "" || f.tokenURL != "" || f.code {
					return usagef("--portal, --client-id, --token-url and --code go with --app")
				}
				return c.authAdd(ctx, name)
			}
			return c.authAddApp(ctx, name, f)
		})
		return func(ctx context.Context, args []string) int {
			if len(args) > 1 {
				return c.fail(ctx, usagef("give only the profile NAME: the webhook is read from stdin or a prompt, never from an argument (it would show in ps and the shell's history)"))
			}
			return run(ctx, args)
		}
	},
}

var authListCommand = &command{
	name:    "list",
	summary: "list the profiles; * marks the active one",
	example: `  b24 auth list
  b24 auth list --json`,
	long: `Prints each profile's name, kind (webhook or app) and redacted webhook
or portal and client id, the active one marked with *. --json prints
[{"name", "active", "kind", "portal", "webhook", "user_id", "client_id"}]
(webhook and user_id for a webhook, client_id for an application).`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &outputFlags{}
		o.register(fs)
		return printer(c, o, func(ctx context.Context) error { return c.authList(ctx, o) })
	},
}

var authUseCommand = &command{
	name:     "use",
	args:     "NAME",
	summary:  "make profile NAME the active one",
	example:  `  b24 auth use home`,
	long:     `Makes NAME the profile used when no flag and no $B24_WEBHOOK say otherwise.`,
	complete: completeProfile,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return oneName(c, c.authUse)
	},
}

var authRemoveCommand = &command{
	name:     "remove",
	args:     "NAME",
	summary:  "delete profile NAME",
	example:  `  b24 auth remove old`,
	long:     `Deletes NAME; when it was the active profile, none is active after it.`,
	complete: completeProfile,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return oneName(c, c.authRemove)
	},
}

var authStatusCommand = &command{
	name:    "status",
	summary: "show which webhook is in use and ping it",
	portal:  true,
	example: `  b24 auth status
  b24 auth status --profile home --json`,
	long: `Says where the webhook comes from (--webhook-file, --profile, $B24_WEBHOOK
or the active profile) and pings it as "b24 ping" does. Exit 0 when the
portal answers, 1 on an API or network error, 2 when there is no webhook.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &outputFlags{}
		o.register(fs)
		return printer(c, o, func(ctx context.Context) error { return c.authStatus(ctx, o) })
	},
}
