package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletionScripts checks the first lines of each shell's script
// against testdata/golden (the rest is cobra's).
func TestCompletionScripts(t *testing.T) {
	var p *portal
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := p.run(t, "", "completion", sh)
		lines := strings.SplitAfter(r.stdout, "\n")
		r.stdout = strings.Join(lines[:min(len(lines), 8)], "")
		goldenRun(t, "golden/completion_"+sh+".txt", r, exitOK)
	}
}

// complete runs "b24 __complete ARGS" in-process with env and returns the
// candidates (without cobra's directive line).
func complete(t *testing.T, env []string, args ...string) []string {
	t.Helper()
	var out, errb strings.Builder
	code := run(t.Context(), append([]string{"__complete"}, args...), strings.NewReader(""), &out, &errb, env)
	if code != exitOK {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errb.String())
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line != "" && !strings.HasPrefix(line, ":") {
			name, _, _ := strings.Cut(line, "\t") // a command's description
			got = append(got, name)
		}
	}
	return got
}

// TestCompletionValues: flag values, commands and method and field names
// from the cache complete; a Tab sends no request to the portal.
func TestCompletionValues(t *testing.T) {
	p := newPortal(t)
	env := append([]string{"XDG_CACHE_HOME=" + t.TempDir()}, p.env...)
	c := &cli{env: env}
	if err := saveMethodCache(c, []string{"crm.deal.add", "crm.deal.get", "crm.deal.list", "tasks.task.list"}); err != nil {
		t.Fatal(err)
	}
	if err := saveFieldCache(c, "crm.deal", []string{"ID", "TITLE", "TYPE_ID", "STAGE_ID"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--plan", ""}, "standard enterprise"},
		{[]string{"ping", "--log-level", "w"}, "warn"},
		{[]string{"list", "crm.deal.list", "--api", ""}, "v2 v3"},
		{[]string{"list", "crm.deal.list", "--format", ""}, "ndjson csv json table"},
		{[]string{"update", "crm.deal.update", "--format", ""}, "csv ndjson"},
		{[]string{"methods", "--format", ""}, "table"},
		{[]string{"fields", "crm.deal", "--format", ""}, "table"},
		{[]string{"fake", "--plan", "e"}, "enterprise"},
		{[]string{"methods", "--format", ""}, "table"},
		{[]string{"completion", ""}, "bash zsh fish powershell"},
		{[]string{"events", ""}, "listen replay pull bind list unbind"},
		{[]string{"help", "li"}, "list"},
		{[]string{"li"}, "list"},
		{[]string{"call", "crm.deal.g"}, "crm.deal.get"},
		{[]string{"list", "crm.deal.l"}, "crm.deal.list"},
		{[]string{"list", "crm.deal.list", "--select", "T"}, "TITLE TYPE_ID"},
		{[]string{"list", "crm.deal.list", "--select", "ID,ST"}, "ID,STAGE_ID"},
		{[]string{"list", "crm.lead.list", "--select", ""}, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(complete(t, env, tt.args...), " "); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.args, got, tt.want)
		}
	}
	if n := p.s.Audit().Requests; n != 0 {
		t.Errorf("completion sent %d requests to the portal", n)
	}
}

// TestCompletionCacheHostile: a damaged cache, another portal's cache or
// an entity that would leave the cache directory completes nothing.
func TestCompletionCacheHostile(t *testing.T) {
	cache := t.TempDir()
	env := []string{"XDG_CACHE_HOME=" + cache, "B24_WEBHOOK=https://a.example/rest/1/secret/"}
	dir := filepath.Join(cache, "b24", "a.example")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "methods.json"), []byte(`{"version":1,"names":["crm.deal.get", 5`), 0o600)
	os.WriteFile(filepath.Join(cache, "b24", "fields-x.json"), []byte(`{"version":1,"names":["SECRET"]}`), 0o600)
	if got := complete(t, env, "call", "crm"); len(got) != 0 {
		t.Errorf("damaged methods.json: %q", got)
	}
	other := []string{env[0], "B24_WEBHOOK=https://b.example/rest/1/secret/"}
	if err := saveMethodCache(&cli{env: other}, []string{"crm.deal.get"}); err != nil {
		t.Fatal(err)
	}
	if got := complete(t, env, "call", "crm"); len(got) != 0 {
		t.Errorf("another portal's cache completed: %q", got)
	}
	if got := complete(t, env, "list", "../x.list", "--select", ""); len(got) != 0 {
		t.Errorf("entity out of the cache: %q", got)
	}
	if saveFieldCache(&cli{env: env}, "../../x", []string{"A"}) == nil {
		t.Error("saveFieldCache: an entity that is no method prefix was accepted")
	}
}

// TestCompletionBigCache: a Tab over a cache of 20,000 methods answers from
// the file alone. Its speed is measured by BenchmarkCompletionMethods (about
// 15 ms a Tab against the 300 ms goal), not asserted in a timed test.
func TestCompletionBigCache(t *testing.T) {
	env := bigMethodCache(t)
	if got := complete(t, env, "call", "crm.entity1999"); len(got) != 11 {
		t.Fatalf("%d candidates, want 11: %q", len(got), got)
	}
}

// BenchmarkCompletionMethods: one Tab (b24 __complete call PREFIX) over a
// cache of 20,000 method names.
func BenchmarkCompletionMethods(b *testing.B) {
	env := bigMethodCache(b)
	for b.Loop() {
		var out strings.Builder
		run(b.Context(), []string{"__complete", "call", "crm.entity1999"}, strings.NewReader(""), &out, io.Discard, env)
	}
}

func bigMethodCache(t testing.TB) []string {
	env := []string{"XDG_CACHE_HOME=" + t.TempDir(), "B24_WEBHOOK=https://a.example/rest/1/secret/"}
	methods := make([]string, 20000)
	for i := range methods {
		methods[i] = "crm.entity" + itoa(i) + ".list"
	}
	if err := saveMethodCache(&cli{env: env}, methods); err != nil {
		t.Fatal(err)
	}
	return env
}

// TestCompletionBash sources the bash script and completes through the
// built binary, as a shell does on Tab. The script uses the bash-completion
// package's _get_comp_words_by_ref; where the package is missing, a shim
// does what it does for these simple lines.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed") // CI's machine has it
	}
	bin := buildB24(t)
	script := filepath.Join(t.TempDir(), "b24.bash")
	var p *portal
	os.WriteFile(script, []byte(p.run(t, "", "completion", "bash").stdout), 0o644)
	cmd := exec.Command(bash, "-c", `
if ! declare -F _get_comp_words_by_ref >/dev/null; then
  _get_comp_words_by_ref() { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
source `+script+`
COMP_WORDS=(b24 pi); COMP_CWORD=1; COMP_LINE="b24 pi"; COMP_POINT=${#COMP_LINE}; __start_b24; echo "${COMPREPLY[@]}"
COMP_WORDS=(b24 call --ra); COMP_CWORD=2; COMP_LINE="b24 call --ra"; COMP_POINT=${#COMP_LINE}; __start_b24; echo "${COMPREPLY[@]}"
COMP_WORDS=(b24 list x --format c); COMP_CWORD=4; COMP_LINE="b24 list x --format c"; COMP_POINT=${#COMP_LINE}; __start_b24; echo "${COMPREPLY[@]}"`)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	out, err := cmd.Output() // stderr: compopt outside a real completion
	if err != nil || string(out) != "ping\n--raw\ncsv\n" {
		t.Errorf("bash completion: %v %q", err, out)
	}
}
