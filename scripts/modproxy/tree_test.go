package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeTree writes files (slash paths) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestFindModules: each module holds its own files, never a nested
// module's, a hidden directory or node_modules.
func TestFindModules(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":                          "module example.com/m\n",
		"a.go":                            "package m\n",
		"internal/x/x.go":                 "package x\n",
		".git/config":                     "x",
		"conformance/node_modules/p/i.js": "x",
		"cmd/c/go.mod":                    "module example.com/m/cmd/c\n\nrequire example.com/m v0.1.0\n",
		"cmd/c/main.go":                   "package main\n",
	})
	mods, err := findModules(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, m := range mods {
		for n := range m.files {
			got[m.path] = append(got[m.path], n)
		}
		slices.Sort(got[m.path])
	}
	want := map[string][]string{"example.com/m": {"a.go", "internal/x/x.go"}, "example.com/m/cmd/c": {"main.go"}}
	for p, w := range want {
		if !slices.Equal(got[p], w) {
			t.Errorf("%s: files %q, want %q", p, got[p], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("modules %v, want %v", got, want)
	}
}

// TestPseudoVersion: a changed file is a new version (the module cache
// would otherwise serve the old tree), the same tree the same version.
func TestPseudoVersion(t *testing.T) {
	files := map[string]string{"go.mod": "module example.com/m\n", "a.go": "package m\n"}
	v1 := version(t, writeTree(t, files))
	if v2 := version(t, writeTree(t, files)); v2 != v1 {
		t.Errorf("same tree: %s then %s", v1, v2)
	}
	files["a.go"] = "package m // changed\n"
	if v3 := version(t, writeTree(t, files)); v3 == v1 {
		t.Errorf("changed tree kept version %s", v1)
	}
}

func version(t *testing.T, root string) string {
	t.Helper()
	mods, err := findModules(root)
	if err != nil {
		t.Fatal(err)
	}
	return pseudoVersion(mods)
}

func TestPin(t *testing.T) {
	mods := []*module{{path: "example.com/m"}, {path: "example.com/m/r"}}
	for _, tc := range []struct{ in, want string }{
		{"require example.com/m v0.1.0\n", "require example.com/m V\n"},
		{"require (\n\texample.com/m v0.1.0\n\texample.com/m/r v0.1.0 // indirect\n\texample.com/mx v1.0.0\n)\n",
			"require (\n\texample.com/m V\n\texample.com/m/r V // indirect\n\texample.com/mx v1.0.0\n)\n"},
		{"module example.com/m/r\n", "module example.com/m/r\n"},
	} {
		if got := string(pin([]byte(tc.in), mods, "V")); got != tc.want {
			t.Errorf("pin(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{"github.com/b24go/b24": "github.com/b24go/b24", "github.com/Azure/x": "github.com/!azure/x"} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}
