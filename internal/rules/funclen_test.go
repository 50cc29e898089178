package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pending lists the functions over MaxFuncLines that are being split by
// their owners (issue 13). Remove an entry when its function is split; a
// function not listed here fails the test.
var pending = map[string]bool{}

// TestFunctionLength fails for each function outside tests, in every
// module, that is longer than MaxFuncLines and not pending.
func TestFunctionLength(t *testing.T) {
	long, err := LongFuncs("../..", MaxFuncLines)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range long {
		found[f.Name] = true
		if !pending[f.Name] {
			t.Errorf("%s (line %d) is %d lines long, over %d: split it into functions that each do one thing",
				f.Name, f.Line, f.Lines, MaxFuncLines)
		}
	}
	for name := range pending {
		if !found[name] {
			t.Logf("%s is no longer over %d lines: remove it from pending", name, MaxFuncLines)
		}
	}
}

func TestLongFuncs(t *testing.T) {
	dir := t.TempDir()
	body := func(n int) string { return strings.Repeat("\t_ = 0\n", n) }
	files := map[string]string{
		"a.go": "package a\n\nfunc short() {\n" + body(78) + "}\n\nfunc long() {\n" + body(79) + "}\n\n" +
			"type T struct{}\n\nfunc (*T) m() {\n" + body(79) + "}\n\nfunc outer() {\n\tf := func() {\n" + body(79) + "\t}\n\t_ = f\n}\n",
		"a_test.go":        "package a\n\nfunc testLong() {\n" + body(100) + "}\n",
		"testdata/x.go":    "package x\n\nfunc long() {\n" + body(100) + "}\n",
		"sub/.hidden/y.go": "package y\n\nfunc long() {\n" + body(100) + "}\n",
		"sub/generic/g.go": "package g\n\ntype G[T any] struct{}\n\nfunc (G[T]) m() {\n" + body(79) + "}\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long, err := LongFuncs(dir, 80)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range long {
		got = append(got, f.Name)
	}
	slices.Sort(got)
	want := []string{"a.go:(T).m", "a.go:long", "a.go:outer", "a.go:outer.func", "sub/generic/g.go:(G).m"}
	if !slices.Equal(got, want) {
		t.Errorf("long functions %q, want %q", got, want)
	}
}
