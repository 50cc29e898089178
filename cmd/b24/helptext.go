package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func init() {
	// showGlobals: the global flags are shown in the help of the root and
	// of the commands that talk to a portal, the only ones they act on.
	cobra.AddTemplateFunc("showGlobals", func(c *cobra.Command) bool {
		for ; c != nil; c = c.Parent() {
			if c.Annotations["portal"] == "true" {
				return true
			}
		}
		return false
	})
	cobra.AddTemplateFunc("flagUsages", flagUsages)
}

// flagUsages lists the flags of fs as "  -o, --output FILE   usage
// (default x)", aligned; unlike pflag's list, a bool flag is just its name.
func flagUsages(fs *pflag.FlagSet) string {
	var left, right []string
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		l := "      --" + f.Name
		if f.Shorthand != "" {
			l = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" && varname != "" {
			l += " " + varname
		}
		switch f.DefValue {
		case "", "0", "0s", "false", "[]":
		default:
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		left, right = append(left, l), append(right, usage)
		width = max(width, len(l))
	})
	var b strings.Builder
	for i := range left {
		fmt.Fprintf(&b, "%-*s   %s\n", width, left[i], right[i])
	}
	return strings.TrimRight(b.String(), "\n")
}

// usageTemplate is cobra's, with the global flags only where they apply and
// the webhook's sources under them.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

{{if .HasParent}}Flags{{else}}Global Flags{{end}}:
{{flagUsages .LocalFlags}}{{end}}{{if and (showGlobals .) .HasAvailableInheritedFlags}}

Global Flags:
{{flagUsages .InheritedFlags}}

The webhook comes from --webhook-file or --profile, else $B24_WEBHOOK (or $B24_HOOK), else the
active profile (b24 auth); never from an argument.{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

const rootLong = `b24 is a command-line client of Bitrix24's REST API through an inbound webhook.

The webhook URL comes from --webhook-file or --profile, else $B24_WEBHOOK
(or $B24_HOOK), else the active profile; never from an argument, and it is
only ever printed redacted. TLS trusts the system roots and $SSL_CERT_FILE.

Data goes to stdout; progress, summaries, logs and errors to stderr. Global
flags go anywhere on the line: "b24 --quiet ping" is "b24 ping --quiet".

Exit codes:
  0    success
  1    an API, network or I/O error (the portal's code and description)
  2    usage or configuration error (bad flag, no webhook, malformed URL)
  3    update: some rows failed or stayed ambiguous; batch: some commands failed;
       list: the list changed during an offset walk (rows may be missing)
  130  interrupted (Ctrl-C); 143 after SIGTERM, 129 after SIGHUP; output,
       checkpoint and journal stay consistent (a second signal: exit at once)
  141  stdout's reader went away (| head): a quiet stop

docs/cli.md has the guide.`

const rootExample = `  export B24_WEBHOOK=https://portal.bitrix24.com/rest/1/xxxxxxxxxxxxxxxx/
  b24 ping
  b24 call crm.deal.get id=42
  b24 list crm.deal.list --select ID,TITLE -o deals.csv
  b24 demo                      # no portal needed: an in-process fake`
