package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// serve writes m at version into the file proxy: list, .info, .mod, .zip.
func serve(proxy string, m *module, version string) error {
	dir := filepath.Join(proxy, filepath.FromSlash(escape(m.path)), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": "1970-01-01T00:00:00Z"})
	files := map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": info,
		version + ".mod":  m.goMod,
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return writeZip(filepath.Join(dir, version+".zip"), m, version)
}

// writeZip writes the module zip: every file under "path@version/".
func writeZip(name string, m *module, version string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	z := zip.NewWriter(f)
	prefix := m.path + "@" + version + "/"
	names := []string{"go.mod"}
	for n := range m.files {
		names = append(names, n)
	}
	sort.Strings(names[1:])
	for _, n := range names {
		b := m.files[n]
		if n == "go.mod" {
			b = m.goMod
		}
		w, err := z.Create(prefix + n)
		if err == nil {
			_, err = w.Write(b)
		}
		if err != nil {
			f.Close()
			return err
		}
	}
	if err := z.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// escape is the module proxy's case encoding: "!" before a lowered capital.
func escape(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeModfiles writes m's pinned go.mod and its go.sum under modfiles at
// m's directory.
func writeModfiles(root, modfiles string, m *module) error {
	dir := filepath.Join(modfiles, filepath.FromSlash(m.dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.dir), "go.sum"))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.mod"), m.goMod, 0o644)
}
