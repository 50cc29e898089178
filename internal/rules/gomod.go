package rules

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Requires returns the module paths a go.mod file requires, direct and
// indirect, in the order they appear.
func Requires(goMod []byte) ([]string, error) {
	var out []string
	block := false
	sc := bufio.NewScanner(bytes.NewReader(goMod))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case block && f[0] == ")":
			block = false
		case block:
			out = append(out, f[0])
		case f[0] == "require" && len(f) == 2 && f[1] == "(":
			block = true
		case f[0] == "require" && len(f) >= 3:
			out = append(out, f[1])
		case f[0] == "require":
			return nil, fmt.Errorf("go.mod:%d: malformed require", n)
		}
	}
	if block {
		return nil, fmt.Errorf("go.mod: unterminated require block")
	}
	return out, sc.Err()
}

// CoreAllowed reports whether the core module may require path: only
// golang.org/x/... modules.
func CoreAllowed(path string) bool {
	return strings.HasPrefix(path, "golang.org/x/")
}
