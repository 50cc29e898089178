package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var authCommand = &command{
	name:    "auth",
	summary: "save webhooks as named profiles: add, list, use, remove, status",
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

Which webhook a command uses: --webhook-file or --profile NAME when given
(not both), else $B24_WEBHOOK (or $B24_HOOK), else the active profile.`,
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
	summary: "save a webhook (from stdin or a hidden prompt) as profile NAME",
	example: `  b24 auth add work
  b24 auth add work < hook.txt`,
	long: `Reads the webhook URL from stdin (its first line), or asks for it without
echo on a terminal, checks its form (https, /rest/<user id>/<secret>/) and
saves it as NAME, replacing a profile of that name. The first profile saved
becomes the active one. Nothing is sent to the portal (b24 auth status
checks it).`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		run := oneName(c, c.authAdd)
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
	long: `Prints each profile's name and redacted webhook, the active one marked
with *. --json prints [{"name", "active", "portal", "webhook", "user_id"}].`,
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
