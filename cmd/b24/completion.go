package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

var completionCommand = &command{
	name:    "completion",
	args:    "bash|zsh",
	summary: "print a shell completion script (bash or zsh)",
	long: `Prints a completion script for bash or zsh on stdout. Load it with
  source <(b24 completion bash)          # bash, e.g. in ~/.bashrc
  source <(b24 completion zsh)           # zsh, e.g. in ~/.zshrc (after compinit)`,
	setup: func(fs *flag.FlagSet, c *cli) func(context.Context, []string) int {
		return func(ctx context.Context, args []string) int {
			if len(args) != 1 {
				return c.fail(ctx, usagef("want one shell: bash or zsh"))
			}
			switch args[0] {
			case "bash":
				writeBashCompletion(c.stdout)
			case "zsh":
				writeZshCompletion(c.stdout)
			default:
				return c.fail(ctx, usagef("unknown shell %q: want bash or zsh", args[0]))
			}
			return exitOK
		}
	},
}

// completionWords returns each command's flags ("--name"), sorted, and the
// list of command names, from the commands' own flag sets.
func completionWords() (names []string, flags map[string][]string) {
	flags = map[string][]string{}
	for _, cmd := range commands {
		names = append(names, cmd.name)
		c := &cli{stdout: io.Discard, stderr: io.Discard}
		fs, _ := newFlagSet(cmd, c)
		var fl []string
		fs.VisitAll(func(f *flag.Flag) { fl = append(fl, "--"+f.Name) })
		fl = append(fl, "--help")
		sort.Strings(fl)
		flags[cmd.name] = fl
	}
	names = append(names, "fake", "help")
	flags["fake"] = fakeFlags()
	sort.Strings(names)
	return names, flags
}

// fakeFlags reads the flag names of "b24 fake" from its help text.
func fakeFlags() []string {
	var b strings.Builder
	runFake(context.Background(), []string{"-h"}, io.Discard, &b, nil)
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-") {
			name, _, _ := strings.Cut(strings.TrimLeft(line, "-"), " ")
			out = append(out, "--"+name)
		}
	}
	out = append(out, "--help")
	sort.Strings(out)
	return out
}

func writeBashCompletion(w io.Writer) {
	names, flags := completionWords()
	fmt.Fprintf(w, "# bash completion for b24; load with: source <(b24 completion bash)\n")
	fmt.Fprintf(w, "_b24() {\n")
	fmt.Fprintf(w, "    local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n")
	fmt.Fprintf(w, "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n")
	fmt.Fprintf(w, "        COMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(names, " "))
	fmt.Fprintf(w, "        return\n    fi\n")
	fmt.Fprintf(w, "    local words=\"\"\n")
	fmt.Fprintf(w, "    case \"${COMP_WORDS[1]}\" in\n")
	for _, n := range names {
		switch n {
		case "help":
			fmt.Fprintf(w, "    help) words=%q ;;\n", strings.Join(names, " "))
		case "completion":
			fmt.Fprintf(w, "    completion) words=\"bash zsh\" ;;\n")
		default:
			fmt.Fprintf(w, "    %s) words=%q ;;\n", n, strings.Join(flags[n], " "))
		}
	}
	fmt.Fprintf(w, "    esac\n")
	fmt.Fprintf(w, "    if [[ \"$cur\" == -* || \"${COMP_WORDS[1]}\" == help || \"${COMP_WORDS[1]}\" == completion ]]; then\n")
	fmt.Fprintf(w, "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n")
	fmt.Fprintf(w, "    else\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n    fi\n")
	fmt.Fprintf(w, "}\ncomplete -o default -F _b24 b24\n")
}

func writeZshCompletion(w io.Writer) {
	names, flags := completionWords()
	fmt.Fprintf(w, "#compdef b24\n# zsh completion for b24; load with: source <(b24 completion zsh)\n")
	fmt.Fprintf(w, "_b24() {\n")
	fmt.Fprintf(w, "    if (( CURRENT == 2 )); then\n")
	fmt.Fprintf(w, "        compadd -- %s\n", strings.Join(names, " "))
	fmt.Fprintf(w, "        return\n    fi\n")
	fmt.Fprintf(w, "    case ${words[2]} in\n")
	for _, n := range names {
		switch n {
		case "help":
			fmt.Fprintf(w, "    help) compadd -- %s ;;\n", strings.Join(names, " "))
		case "completion":
			fmt.Fprintf(w, "    completion) compadd -- bash zsh ;;\n")
		default:
			fmt.Fprintf(w, "    %s) if [[ $PREFIX == -* ]]; then compadd -- %s; else _files; fi ;;\n", n, strings.Join(flags[n], " "))
		}
	}
	fmt.Fprintf(w, "    esac\n}\n")
	fmt.Fprintf(w, "if (( $+functions[compdef] )); then compdef _b24 b24; fi\n")
}
