package reltest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ExportedTypes lists the exported types declared in the non-test files of
// every package of the module rooted at root that a user can import
// (internal packages, commands, examples, benchmarks, the conformance
// runner and nested modules excluded), by import path relative to the
// module ("" for its root package).
func ExportedTypes(t testing.TB, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && skipDir(path, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		if pkg == "." {
			pkg = ""
		}
		names, err := fileTypes(path)
		out[pkg] = append(out[pkg], names...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, names := range out {
		if len(names) == 0 {
			delete(out, pkg)
		}
	}
	return out
}

// skipDir reports whether a directory below the module root holds no
// package a user imports from this module.
func skipDir(path, base string) bool {
	switch base {
	case "testdata", "internal", "cmd", "examples", "bench", "conformance", "node_modules":
		return true
	}
	if strings.HasPrefix(base, ".") {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod")) // a nested module
	return err == nil
}

// fileTypes returns the exported types a Go file declares (none for a
// command).
func fileTypes(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil || f.Name.Name == "main" {
		return nil, err
	}
	var out []string
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, s := range g.Specs {
			if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
				out = append(out, ts.Name.Name)
			}
		}
	}
	return out, nil
}

// Audit scans every value of values (by "pkg/Type", "Type" for the root
// package) with c, in key order, and fails the test for each declared type
// that has no value: a new exported type fails until a value is added.
func (c *LeakCheck) Audit(declared map[string][]string, values map[string][]any) {
	c.t.Helper()
	for pkg, names := range declared {
		for _, n := range names {
			key := n
			if pkg != "" {
				key = pkg + "/" + n
			}
			if _, ok := values[key]; !ok {
				c.t.Errorf("exported type %s has no value in the secret audit: add one to TestSecretInEveryExportedType", key)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		for _, v := range values[k] {
			c.Value(k, v)
		}
	}
}
