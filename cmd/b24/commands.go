package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand built on the global flags.
type command struct {
	name    string
	args    string // the positional arguments, for the usage line
	summary string
	long    string // the --help text after the usage line
	// portal is true for commands that talk to a portal and so take the
	// global flags.
	portal bool
	// setup registers the command's own flags and returns the function that
	// runs it with the positional arguments.
	setup func(fs *flag.FlagSet, c *cli) func(ctx context.Context, args []string) int
}

// commands lists the subcommands in the order "b24 help" shows them. "fake"
// has its own flag handling (fake.go) and is dispatched by run directly.
var commands []*command

func init() {
	commands = []*command{
		pingCommand, callCommand, listCommand, batchCommand, updateCommand, addCommand, syncCommand, eventsCommand, demoCommand, versionCommand, completionCommand,
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// newFlagSet builds the flag set of cmd, with the global flags when the
// command talks to a portal.
func newFlagSet(cmd *command, c *cli) (*flag.FlagSet, func(context.Context, []string) int) {
	fs := flag.NewFlagSet("b24 "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	runner := cmd.setup(fs, c)
	var own []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { own = append(own, f) })
	if cmd.portal {
		c.g.register(fs)
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: b24 %s [flags]%s\n\n%s\n", cmd.name, prefixSpace(cmd.args), strings.TrimSpace(cmd.long))
		if len(own) > 0 {
			fmt.Fprintf(w, "\nflags:\n")
			printFlags(w, own)
		}
		if cmd.portal {
			fmt.Fprintf(w, "\nglobal flags:\n")
			var globals []*flag.Flag
			fs.VisitAll(func(f *flag.Flag) {
				for _, o := range own {
					if o == f {
						return
					}
				}
				globals = append(globals, f)
			})
			printFlags(w, globals)
			fmt.Fprintf(w, "\nThe webhook comes from $B24_WEBHOOK (or $B24_HOOK) or --webhook-file; never from an argument.\n")
		}
	}
	return fs, runner
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// printFlags prints flags as "  --name value\n    \tusage" lines.
func printFlags(w io.Writer, flags []*flag.Flag) {
	for _, f := range flags {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if def := f.DefValue; def != "" && def != "0" && def != "0s" && def != "false" {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
	}
}

// runCommand parses the flags of cmd and runs it.
func runCommand(ctx context.Context, cmd *command, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	sw := &stickyWriter{w: stdout}
	stdout = sw
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, env: env, name: "b24 " + cmd.name}
	fs, runner := newFlagSet(cmd, c)
	var msg strings.Builder
	fs.SetOutput(&msg)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, msg.String())
			return exitOK
		}
		io.WriteString(stderr, msg.String())
		return exitUsage
	}
	if cmd.portal {
		if err := c.resolveRedis(); err != nil {
			return c.fail(ctx, err)
		}
		if err := c.g.validate(); err != nil {
			return c.fail(ctx, err)
		}
	}
	defer c.close()
	code := runner(ctx, pos)
	if code == exitOK && sw.err != nil {
		// A write to stdout failed unseen (ping > /dev/full).
		return c.fail(ctx, fmt.Errorf("writing to stdout: %w", sw.err))
	}
	return code
}

const helpText = `b24 is a command-line client of Bitrix24's REST API through an inbound webhook.

usage: b24 <command> [flags] [arguments]

commands:
%s
The webhook URL comes from $B24_WEBHOOK (or $B24_HOOK) or --webhook-file,
never from an argument, and is only ever printed redacted. TLS trusts the
system roots and $SSL_CERT_FILE.

Data goes to stdout; progress, summaries, logs and errors to stderr.

exit codes:
  0    success
  1    an API, network or I/O error (the portal's code and description)
  2    usage or configuration error (bad flag, no webhook, malformed URL)
  3    update: some rows failed or stayed ambiguous; batch: some commands failed;
       list: the list changed during an offset walk (rows may be missing)
  130  interrupted (Ctrl-C); 143 after SIGTERM, 129 after SIGHUP; output,
       checkpoint and journal stay consistent (a second signal: exit at once)
  141  stdout's reader went away (| head): a quiet stop

Run "b24 <command> --help" for the flags of a command; docs/cli.md has examples.
`

func helpString() string {
	var b strings.Builder
	lines := [][2]string{}
	for _, c := range commands[:len(commands)-2] {
		lines = append(lines, [2]string{c.name, c.summary})
	}
	lines = append(lines, [2]string{"fake", "run a fake Bitrix24 portal over HTTPS on 127.0.0.1"})
	for _, c := range commands[len(commands)-2:] {
		lines = append(lines, [2]string{c.name, c.summary})
	}
	lines = append(lines, [2]string{"help", "show this help, or a command's (b24 help list)"})
	for _, l := range lines {
		fmt.Fprintf(&b, "  %-11s %s\n", l[0], l[1])
	}
	return fmt.Sprintf(helpText, b.String())
}

// runHelp prints the help, or a command's help.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer, env []string) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, helpString())
		return exitOK
	}
	if args[0] == "fake" {
		return runFake(ctx, []string{"-h"}, stdout, stdout, env)
	}
	cmd := lookup(args[0])
	if cmd == nil {
		fmt.Fprintf(stderr, "b24 help: unknown command %q\n", args[0])
		return exitUsage
	}
	c := &cli{stdout: stdout, stderr: stdout, env: env}
	fs, _ := newFlagSet(cmd, c)
	fs.SetOutput(stdout)
	fs.Usage()
	return exitOK
}
