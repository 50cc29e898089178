package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// module is one module of the tree: its path, directory and files.
type module struct {
	path  string
	dir   string            // relative to the root, "." for the root
	files map[string][]byte // by slash path relative to dir, go.mod excluded
	goMod []byte
}

var modulePath = regexp.MustCompile(`(?m)^module\s+(\S+)`)

// findModules reads every module of the tree below root.
func findModules(root string) ([]*module, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && skipped(d.Name()) {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "go.mod" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var mods []*module
	for _, dir := range dirs {
		m, err := readModule(root, dir)
		if err != nil {
			return nil, err
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// skipped reports whether a directory is never part of a module zip.
func skipped(name string) bool {
	return strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor"
}

// readModule reads the module in dir: its regular files, nested modules
// excluded.
func readModule(root, dir string) (*module, error) {
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, err
	}
	sub := modulePath.FindSubmatch(goMod)
	if sub == nil {
		return nil, &os.PathError{Op: "parse", Path: filepath.Join(dir, "go.mod"), Err: fs.ErrInvalid}
	}
	rel, _ := filepath.Rel(root, dir)
	m := &module{path: string(sub[1]), dir: filepath.ToSlash(rel), files: map[string][]byte{}, goMod: goMod}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && (skipped(d.Name()) || exists(filepath.Join(path, "go.mod"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || path == filepath.Join(dir, "go.mod") {
			return nil
		}
		b, err := os.ReadFile(path)
		r, _ := filepath.Rel(dir, path)
		m.files[filepath.ToSlash(r)] = b
		return err
	})
	return m, err
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// pseudoVersion is one version for every module, from the hash of all of
// their files: v0.0.0-19700101000000-<12 hex digits>.
func pseudoVersion(mods []*module) string {
	h := sha256.New()
	for _, m := range mods {
		h.Write([]byte(m.path + "\x00"))
		h.Write(m.goMod)
		names := make([]string, 0, len(m.files))
		for n := range m.files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			h.Write([]byte("\x00" + n + "\x00"))
			h.Write(m.files[n])
		}
	}
	return "v0.0.0-19700101000000-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// pin rewrites the requirements of the tree's modules in a go.mod to
// version.
func pin(goMod []byte, mods []*module, version string) []byte {
	for _, m := range mods {
		re := regexp.MustCompile(`(?m)^(\s*(?:require\s+)?)` + regexp.QuoteMeta(m.path) + `\s+v\S+`)
		goMod = re.ReplaceAll(goMod, []byte("${1}"+m.path+" "+version))
	}
	return goMod
}
