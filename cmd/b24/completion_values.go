package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// valuesFunc lists the values a flag takes, for completion; it must answer
// at once (no portal, no network).
// It gets the command's positional arguments so far and the word being
// completed.
type valuesFunc func(c *cli, args []string, toComplete string) []string

// fixed returns a valuesFunc of constant values.
func fixed(values ...string) valuesFunc {
	return func(*cli, []string, string) []string { return values }
}

// globalValues completes the values of the global flags.
var globalValues = map[string]valuesFunc{
	"plan":       fixed("standard", "enterprise"),
	"log-level":  fixed("debug", "info", "warn", "error"),
	"log-format": fixed("text", "json"),
	"api":        fixed("v2", "v3"),
	"profile":    func(c *cli, _ []string, _ string) []string { return ProfileNames(c.env) },
}

// valuesAnnotation marks a flag whose values are fixed words, for flags
// registered by shared helpers (outputFlags' --format):
// fs.SetAnnotation(name, valuesAnnotation, words).
const valuesAnnotation = "b24_values"

// annotatedValues returns the values of cmd's flags that carry
// valuesAnnotation.
func annotatedValues(cmd *cobra.Command) map[string]valuesFunc {
	values := map[string]valuesFunc{}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if words, ok := f.Annotations[valuesAnnotation]; ok {
			values[f.Name] = fixed(words...)
		}
	})
	return values
}

// registerValues registers the completion of cmd's flags named in values;
// names cmd lacks are skipped (the global map names flags every command
// inherits, some of which may come later).
func registerValues(cmd *cobra.Command, c *cli, values map[string]valuesFunc) {
	for name, f := range values {
		flag := cmd.Flags().Lookup(name)
		if flag == nil {
			flag = cmd.PersistentFlags().Lookup(name)
		}
		if flag == nil {
			continue
		}
		cmd.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return matching(f(c, args, toComplete), toComplete), cobra.ShellCompDirectiveNoFileComp
		})
	}
}

// matching returns the values that start with prefix.
func matching(values []string, prefix string) []string {
	var out []string
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// completeCommandNames completes "b24 help COMMAND".
func completeCommandNames(c *cli, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, cmd := range c.root.Commands() {
		if cmd.IsAvailableCommand() {
			names = append(names, cmd.Name())
		}
	}
	return matching(names, toComplete), cobra.ShellCompDirectiveNoFileComp
}
