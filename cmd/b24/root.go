package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runState is one run of the program: the cli every command shares, the
// run's context and the exit code the command chose.
type runState struct {
	ctx  context.Context
	c    *cli
	sw   *stickyWriter // stdout, remembering its first write error
	code int
	// completing is a shell's completion request (cobra's __complete):
	// only then are the flags' value functions registered (cobra keeps
	// them in a package-level map, which would grow with every run).
	completing bool
}

// newRoot builds the command tree of one run: cobra keeps the parsed flags
// in the tree, so every run (tests call run many times) builds its own.
func newRoot(st *runState) *cobra.Command {
	root := &cobra.Command{
		Use:                        "b24",
		Short:                      "Bitrix24's REST API through an inbound webhook",
		Long:                       rootLong,
		Example:                    rootExample,
		Args:                       unknownCommand,
		RunE:                       st.groupHelp,
		SilenceErrors:              true,
		SuggestionsMinimumDistance: 2,
		SilenceUsage:               true,
		DisableAutoGenTag:          true,
		CompletionOptions:          cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(st.c.stdin)
	root.SetOut(st.c.stdout)
	root.SetErr(st.c.stderr)
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(flagError)
	root.SetGlobalNormalizationFunc(flagAliases)
	st.c.g.register(root.PersistentFlags())
	root.SetHelpCommand(st.build(helpCommand))
	for _, cmd := range commands {
		root.AddCommand(st.build(cmd))
	}
	st.c.root = root
	if st.completing {
		registerValues(root, st.c, globalValues)
	}
	return root
}

// build turns cmd into a cobra.Command whose run records its exit code.
func (st *runState) build(cmd *command) *cobra.Command {
	use := cmd.name
	if cmd.setup != nil {
		use += " [flags]" + prefixSpace(cmd.args)
	}
	cc := &cobra.Command{
		Use:     use,
		Short:   cmd.summary,
		Long:    strings.TrimSpace(cmd.long),
		Example: strings.TrimRight(cmd.example, "\n"),
		Hidden:  cmd.hidden,
		Args:    cobra.ArbitraryArgs,
	}
	if cmd.portal {
		cc.Annotations = map[string]string{"portal": "true"}
	}
	if cmd.setup != nil {
		runner := cmd.setup(cc.Flags(), st.c)
		cc.RunE = func(cc *cobra.Command, args []string) error {
			st.code = st.runCommand(cmd, cc, runner, args)
			return nil
		}
	}
	if cmd.complete != nil {
		cc.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return cmd.complete(st.c, args, toComplete)
		}
	}
	if cmd.setup == nil {
		cc.Args, cc.RunE = unknownCommand, st.groupHelp
		cc.DisableFlagsInUseLine = true
	}
	for _, s := range cmd.subs {
		cc.AddCommand(st.build(s))
	}
	if st.completing {
		registerValues(cc, st.c, cmd.values)
		registerValues(cc, st.c, annotatedValues(cc))
	}
	return cc
}

// groupHelp runs "b24" or a group ("b24 docs") without a command: the
// help on stderr and exit 2, as a usage error.
func (st *runState) groupHelp(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(st.c.stderr)
	st.code = exitUsage
	return cmd.Help()
}

// runCommand checks the global flags, runs the command, and turns an unseen failed write to stdout into exit 1.
func (st *runState) runCommand(cmd *command, cc *cobra.Command, runner func(context.Context, []string) int, args []string) int {
	c, ctx := st.c, st.ctx
	c.name = cc.CommandPath()
	if cmd.portal {
		if err := c.resolveRedis(); err != nil {
			return c.fail(ctx, err)
		}
	}
	// Every command accepts the global flags: a bad value is an error even
	// where the command does not use it ($B24_REDIS_URL, which
	// --redis-fallback needs, is read only by the commands that use it).
	g := c.g
	if !cmd.portal {
		g.redisFB = false
	}
	if err := g.validate(); err != nil {
		return c.fail(ctx, err)
	}
	defer c.close()
	code := runner(ctx, args)
	if code == exitOK && st.sw.err != nil {
		// A write to stdout failed unseen (ping > /dev/full).
		return c.fail(ctx, fmt.Errorf("writing to stdout: %w", st.sw.err))
	}
	return code
}

// flagAliases maps the old spellings of renamed flags to their names:
// "--o FILE" still works as "--output FILE" (-o).
func flagAliases(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if name == "o" {
		name = "output"
	}
	return pflag.NormalizedName(name)
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}
