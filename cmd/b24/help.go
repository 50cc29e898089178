package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpCommand replaces cobra's: an unknown topic is a usage error (exit 2)
// with a suggestion, and "b24 help --help" is its own help.
var helpCommand = &command{
	name:    "help",
	args:    "[COMMAND]",
	summary: "show the help of b24 or of a command",
	long:    `Shows the help of b24, or of COMMAND: the same as "b24 COMMAND --help".`,
	example: `  b24 help list
  b24 help events`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		return func(ctx context.Context, args []string) int {
			cmd, rest, err := c.root.Find(args)
			if err != nil || len(rest) > 0 {
				name := strings.Join(args, " ")
				return usageFailure(c, "b24 help", fmt.Errorf("unknown command %q%s", name, suggest(c.root, args[len(args)-1])))
			}
			cmd.InitDefaultHelpFlag()
			if err := cmd.Help(); err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
	complete: completeCommandNames,
}

// unknownCommand is the root's Args: an argument that names no command is a
// usage error with cobra's suggestions ("b24 lst": did you mean list?).
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return fmt.Errorf("unknown command %q%s", args[0], suggest(cmd, args[0]))
}

// suggest returns " (did you mean X?)" for a mistyped command of cmd.
func suggest(cmd *cobra.Command, typed string) string {
	s := cmd.SuggestionsFor(typed)
	if len(s) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(s, " or ") + "?)"
}

// flagError is the flag errors' form: one line, and for an unknown flag the
// nearest flag names ("--selet": did you mean --select?).
func flagError(cmd *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return err
	}
	typed := ne.GetSpecifiedName()
	if typed == "" {
		return err // an unknown shorthand: too short to guess from
	}
	var near []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && closeTo(typed, f.Name) {
			near = append(near, "--"+f.Name)
		}
	})
	if len(near) == 0 {
		return fmt.Errorf("unknown flag --%s", typed)
	}
	return fmt.Errorf("unknown flag --%s (did you mean %s?)", typed, strings.Join(near, " or "))
}

// closeTo is true when a is a prefix of b or at most 2 edits from it (1
// for names of up to 4 letters); a one-letter a is close to nothing.
func closeTo(a, b string) bool {
	if len(a) < 2 {
		return false
	}
	if len(a) >= 3 && strings.HasPrefix(b, a) {
		return true
	}
	limit := 2
	if len(b) <= 4 {
		limit = 1
	}
	return levenshtein(a, b) <= limit
}

// levenshtein is the edit distance of a and b, in bytes (flag names are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
