package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"help"}, exitOK},
		{"no_args", nil, exitUsage},
		{"unknown", []string{"frobnicate"}, exitUsage},
		{"help_unknown", []string{"help", "frobnicate"}, exitUsage},
		{"completion_none", []string{"completion"}, exitUsage},
		{"completion_fish", []string{"completion", "fish"}, exitUsage},
	}
	for _, cmd := range commands {
		tests = append(tests, struct {
			name string
			args []string
			code int
		}{"help_" + cmd.name, []string{cmd.name, "--help"}, exitOK})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *portal
			goldenRun(t, tt.name+".golden", p.run(t, "", tt.args...), tt.code)
		})
	}
}

func TestHelpSame(t *testing.T) {
	var p *portal
	for _, cmd := range commands {
		a := p.run(t, "", cmd.name, "-h")
		b := p.run(t, "", "help", cmd.name)
		if a.stdout != b.stdout || a.stdout == "" || a.stderr != "" {
			t.Errorf("b24 %s -h and b24 help %s differ:\n%s\n---\n%s", cmd.name, cmd.name, a.stderr, b.stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	var p *portal
	r := p.run(t, "", "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "b24 ") || !strings.Contains(r.stdout, "sdk ") {
		t.Errorf("version: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestCompletion checks the scripts' golden files and, where the shell is
// installed, that the shell accepts the script and completes.
func TestCompletion(t *testing.T) {
	var p *portal
	for _, sh := range []string{"bash", "zsh"} {
		r := p.run(t, "", "completion", sh)
		goldenRun(t, "completion_"+sh+".golden", r, exitOK)
		names, flags := completionWords()
		for _, n := range names {
			for _, want := range append([]string{n}, flags[n]...) {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%s completion lacks %s", sh, want)
				}
			}
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Log("bash not installed: the script's behaviour is checked by its golden file only")
		return
	}
	script := filepath.Join(t.TempDir(), "b24.bash")
	os.WriteFile(script, []byte(p.run(t, "", "completion", "bash").stdout), 0o644)
	out, err := exec.Command(bash, "-c", `source `+script+`; COMP_WORDS=(b24 pi); COMP_CWORD=1; _b24; echo "${COMPREPLY[@]}"; COMP_WORDS=(b24 call --ra); COMP_CWORD=2; _b24; echo "${COMPREPLY[@]}"`).CombinedOutput()
	if err != nil || string(out) != "ping\n--raw\n" {
		t.Errorf("bash completion: %v %q", err, out)
	}
}
