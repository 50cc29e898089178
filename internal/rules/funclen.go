package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
)

// MaxFuncLines is the longest a function outside tests may be, from its
// func keyword to its closing brace.
const MaxFuncLines = 80

// Func is a function found too long: where it is and how long.
type Func struct {
	Name  string // "file.go:Name", "file.go:(T).Name" or "file.go:Name.func" for a literal
	Line  int
	Lines int
}

// LongFuncs lists the functions and function literals of the Go files
// below root (every module; _test.go files, testdata, node_modules and
// hidden directories left out) that are longer than max lines. Names are
// relative to root, with slashes.
func LongFuncs(root string, max int) ([]Func, error) {
	var out []Func
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		long, err := fileLongFuncs(path, filepath.ToSlash(rel), max)
		out = append(out, long...)
		return err
	})
	return out, err
}

// fileLongFuncs lists the functions of one file longer than max lines.
func fileLongFuncs(path, rel string, max int) ([]Func, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []Func
	check := func(name string, n ast.Node) {
		from, to := fset.Position(n.Pos()).Line, fset.Position(n.End()).Line
		if to-from+1 > max {
			out = append(out, Func{Name: rel + ":" + name, Line: from, Lines: to - from + 1})
		}
	}
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		name := funcName(fd)
		check(name, fd)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				check(name+".func", lit)
			}
			return true
		})
	}
	return out, nil
}

// funcName is Name, or (T).Name for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if ix, ok := t.(*ast.IndexListExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return "(" + id.Name + ")." + fd.Name.Name
	}
	return fd.Name.Name
}
