package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var completionCommand = &command{
	name:    "completion",
	args:    "bash|zsh|fish|powershell",
	summary: "print a shell completion script (bash, zsh, fish or PowerShell)",
	long: `Prints a completion script for bash, zsh, fish or PowerShell on stdout. It
completes commands, flags and their values: --format, --plan, --log-level,
--profile, and method and field names from the cache that "b24 methods" and
"b24 fields" write (a Tab never calls the portal).`,
	example: `  source <(b24 completion bash)          # bash, e.g. in ~/.bashrc
  source <(b24 completion zsh)           # zsh, e.g. in ~/.zshrc (after compinit)
  b24 completion fish > ~/.config/fish/completions/b24.fish
  b24 completion powershell | Out-String | Invoke-Expression`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return func(ctx context.Context, args []string) int {
			if len(args) != 1 {
				return c.fail(ctx, usagef("want one shell: bash, zsh, fish or powershell"))
			}
			var err error
			switch args[0] {
			case "bash":
				err = c.root.GenBashCompletionV2(c.stdout, true)
			case "zsh":
				err = c.root.GenZshCompletion(c.stdout)
			case "fish":
				err = c.root.GenFishCompletion(c.stdout, true)
			case "powershell":
				err = c.root.GenPowerShellCompletionWithDesc(c.stdout)
			default:
				return c.fail(ctx, usagef("unknown shell %q: want bash, zsh, fish or powershell", args[0]))
			}
			if err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
	complete: func(*cli, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"bash", "zsh", "fish", "powershell"}, cobra.ShellCompDirectiveNoFileComp
	},
}
