package rules

import (
	"os"
	"slices"
	"testing"
)

// TestCoreRequires fails when the core module's go.mod requires anything
// but golang.org/x/...: go-redis, cobra, pgx and the like belong to the
// nested modules (cmd/b24, redislimit, ...), not to every user's build.
func TestCoreRequires(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := Requires(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range reqs {
		if !CoreAllowed(p) {
			t.Errorf("the core module requires %s: only the standard library and golang.org/x/... are allowed; "+
				"move the code that needs it into a nested module (docs/modules.md)", p)
		}
	}
}

func TestRequires(t *testing.T) {
	for _, tc := range []struct {
		name, mod string
		want      []string
		bad       bool
	}{
		{"none", "module m\n\ngo 1.25.0\n", nil, false},
		{"single", "module m\nrequire golang.org/x/net v0.1.0\n", []string{"golang.org/x/net"}, false},
		{"block", "module m\nrequire (\n\tgolang.org/x/net v0.1.0\n\tgithub.com/a/b v1.0.0 // indirect\n)\n",
			[]string{"golang.org/x/net", "github.com/a/b"}, false},
		{"two blocks", "require (\n\ta v1\n)\nrequire (\n\tb v2 // indirect\n)\n", []string{"a", "b"}, false},
		{"comment", "// require x v1\nmodule m\n", nil, false},
		{"replace ignored", "require a v1\nreplace a => ../a\n", []string{"a"}, false},
		{"unterminated", "require (\n\ta v1\n", nil, true},
		{"malformed", "require a\n", nil, true},
	} {
		got, err := Requires([]byte(tc.mod))
		if (err != nil) != tc.bad {
			t.Errorf("%s: error %v, want error %v", tc.name, err, tc.bad)
		}
		if !tc.bad && !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCoreAllowed(t *testing.T) {
	for p, want := range map[string]bool{
		"golang.org/x/net": true, "golang.org/x/time": true, "github.com/redis/go-redis/v9": false,
		"golang.org/xerrors": false, "github.com/spf13/cobra": false,
	} {
		if got := CoreAllowed(p); got != want {
			t.Errorf("CoreAllowed(%q) = %v, want %v", p, got, want)
		}
	}
}
