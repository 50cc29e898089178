package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// normalizeArgs rewrites the single-dash long flags of the flag package
// ("-quiet", "-select=ID") as pflag's "--quiet", "--select=ID", so command
// lines written for earlier versions keep working. It walks the arguments
// as cobra will, command by command, and leaves alone what is not a flag
// name: the value of a flag ("--filter -x"), a cluster of shorthands
// ("-ofile.csv" is -o file.csv), "-" and everything after "--".
func normalizeArgs(root *cobra.Command, args []string) []string {
	out := make([]string, 0, len(args))
	cur, positional := root, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			if sub := subcommand(cur, a); sub != nil && !positional {
				cur = sub
			} else {
				positional = true
			}
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "--") && len(name) > 1 && (lookupFlag(cur, name) != nil || lookupShort(cur, name[:1]) == nil) {
			a = "-" + a
		}
		out = append(out, a)
		var f *pflag.Flag
		if strings.HasPrefix(a, "--") {
			f = lookupFlag(cur, name)
		} else if len(a) == 2 {
			f = lookupShort(cur, a[1:])
		}
		if f != nil && f.NoOptDefVal == "" && !hasValue && i+1 < len(args) {
			i++ // the flag's value, whatever it looks like
			out = append(out, args[i])
		}
	}
	return out
}

// subcommand returns cur's subcommand named name, nil when none.
func subcommand(cur *cobra.Command, name string) *cobra.Command {
	for _, s := range cur.Commands() {
		if s.Name() == name || s.HasAlias(name) {
			return s
		}
	}
	return nil
}

// lookupFlag finds a long flag of cmd, its own or inherited.
func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	name = string(flagAliases(nil, name))
	if name == "help" {
		return helpFlag // cobra adds it only when it executes
	}
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	return cmd.InheritedFlags().Lookup(name)
}

// lookupShort finds a shorthand flag of cmd, its own or inherited.
func lookupShort(cmd *cobra.Command, s string) *pflag.Flag {
	if s == "h" {
		return helpFlag
	}
	if f := cmd.Flags().ShorthandLookup(s); f != nil {
		return f
	}
	return cmd.InheritedFlags().ShorthandLookup(s)
}

var helpFlag = &pflag.Flag{Name: "help", Shorthand: "h", NoOptDefVal: "true"}
