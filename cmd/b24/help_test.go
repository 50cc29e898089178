package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commandPaths lists every command's words ("list", "docs man"), from the
// same tree "b24 --help" shows.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	st := &runState{c: &cli{}}
	var paths [][]string
	var walk func(c *cobra.Command, prefix []string)
	walk = func(c *cobra.Command, prefix []string) {
		for _, sub := range c.Commands() {
			if sub.Hidden || strings.HasPrefix(sub.Name(), "__") {
				continue
			}
			p := append(append([]string{}, prefix...), sub.Name())
			paths = append(paths, p)
			walk(sub, p)
		}
	}
	walk(newRoot(st), nil)
	return paths
}

// TestHelp checks the help of b24 and of every command, and the usage
// errors, against testdata/golden/*.txt (go test -update rewrites them).
func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"--help"}, exitOK},
		{"help_command", []string{"help"}, exitOK},
		{"help_help", []string{"help", "--help"}, exitOK},
		{"no_args", nil, exitUsage},
		{"unknown", []string{"frobnicate"}, exitUsage},
		{"suggest_command", []string{"lst"}, exitUsage},
		{"suggest_flag", []string{"list", "crm.deal.list", "--selet", "ID"}, exitUsage},
		{"suggest_flag_single_dash", []string{"list", "crm.deal.list", "-selet", "ID"}, exitUsage},
		{"unknown_flag", []string{"ping", "--frobnicate"}, exitUsage},
		{"flag_needs_value", []string{"list", "crm.deal.list", "--select"}, exitUsage},
		{"bad_flag_value", []string{"batch", "--concurrency", "many"}, exitUsage},
		{"help_unknown", []string{"help", "frobnicate"}, exitUsage},
		{"help_suggest", []string{"help", "lst"}, exitUsage},
		{"completion_none", []string{"completion"}, exitUsage},
		{"completion_csh", []string{"completion", "csh"}, exitUsage},
	}
	for _, path := range commandPaths(t) {
		tests = append(tests, struct {
			name string
			args []string
			code int
		}{"help_" + strings.Join(path, "_"), append(path, "--help"), exitOK})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *portal
			goldenRun(t, "golden/"+tt.name+".txt", p.run(t, "", tt.args...), tt.code)
		})
	}
}

// TestHelpSame: "b24 X -h", "b24 X -help" and "b24 help X" print the same
// help on stdout.
func TestHelpSame(t *testing.T) {
	var p *portal
	for _, path := range commandPaths(t) {
		want := p.run(t, "", append([]string{"help"}, path...)...)
		for _, h := range []string{"-h", "-help", "--help"} {
			got := p.run(t, "", append(append([]string{}, path...), h)...)
			if got.stdout != want.stdout || got.stdout == "" || got.stderr != "" || got.code != exitOK {
				t.Errorf("b24 %s %s and b24 help %s differ:\n%s%s\n---\n%s", strings.Join(path, " "), h, strings.Join(path, " "), got.stdout, got.stderr, want.stdout)
			}
		}
	}
}

// TestHelpExamples: every command's help has examples.
func TestHelpExamples(t *testing.T) {
	for _, cmd := range append(commands, helpCommand) {
		for _, c := range append([]*command{cmd}, cmd.subs...) {
			if strings.TrimSpace(c.example) == "" {
				t.Errorf("b24 %s has no example", c.name)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	var p *portal
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		r := p.run(t, "", args...)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "b24 ") || !strings.Contains(r.stdout, "sdk ") {
			t.Errorf("%v: %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
}
