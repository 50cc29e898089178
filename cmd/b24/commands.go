package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// command is one subcommand: its help, its flags and what it runs. Adding a
// command is one file holding its *command and one line in commands; root.go
// turns it into a cobra.Command for every run.
type command struct {
	name    string
	args    string // the positional arguments, for the usage line ("METHOD [PARAMS]")
	summary string // one line, for "b24 --help"
	long    string // the --help text
	example string // command lines, indented by two spaces, with # comments
	// portal is true for commands that talk to a portal: their help shows
	// the global flags, which are checked before the command runs.
	portal bool
	// setup registers the command's own flags and returns the function that
	// runs it with the positional arguments. nil for a group of subs.
	setup func(fs *pflag.FlagSet, c *cli) func(ctx context.Context, args []string) int
	// subs are the subcommands ("b24 auth add").
	subs []*command
	// values completes the values of the command's own flags: flag name →
	// candidates (completion_values.go has the global flags').
	values map[string]valuesFunc
	// complete completes the positional arguments (nil: files).
	complete func(c *cli, args []string, toComplete string) ([]string, cobra.ShellCompDirective)
	// hidden commands are left out of the help.
	hidden bool
}

// commands lists the subcommands in the order "b24 --help" shows them.
var commands []*command

func init() {
	commands = []*command{
		pingCommand, authCommand, callCommand, listCommand, batchCommand, updateCommand, addCommand, syncCommand, methodsCommand, fieldsCommand, eventsCommand,
		fakeCommand, demoCommand, versionCommand, completionCommand, docsCommand,
	}
}

// lookup returns the command named name, nil when none.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}
