// Package exported lists a package's exported functions, for tests that
// check every option (or other API) has a row in a table.
package exported

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"
)

// Funcs returns the names of the exported top-level functions in the
// non-test Go files of dir for which keep returns true.
func Funcs(dir string, keep func(*ast.FuncDecl) bool) ([]string, error) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.IsExported() && keep(fd) {
					names = append(names, fd.Name.Name)
				}
			}
		}
	}
	return names, nil
}

// Diff returns the names found that have no row, and the rows that name no
// function found.
func Diff[V any](found []string, rows map[string]V) (noRow, stale []string) {
	seen := map[string]bool{}
	for _, name := range found {
		seen[name] = true
		if _, ok := rows[name]; !ok {
			noRow = append(noRow, name)
		}
	}
	for name := range rows {
		if !seen[name] {
			stale = append(stale, name)
		}
	}
	return noRow, stale
}

// CheckRows fails t unless every function of dir that keep selects (at
// least atLeast of them) has a row in rows, and every row names one.
func CheckRows[V any](t testing.TB, dir string, keep func(*ast.FuncDecl) bool, rows map[string]V, atLeast int) {
	t.Helper()
	found, err := Funcs(dir, keep)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < atLeast {
		t.Fatalf("found only %d functions: %v", len(found), found)
	}
	if noRow, stale := Diff(found, rows); len(noRow)+len(stale) > 0 {
		t.Errorf("no row (list their bad values): %v; rows naming no function: %v", noRow, stale)
	}
}
