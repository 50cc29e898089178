package batchwire

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Ref is a v2 batch reference: "$section[cmd][path0][path1]...".
func Ref(section, cmd string, path []any) string {
	var b strings.Builder
	b.WriteString("$")
	b.WriteString(section)
	b.WriteString("[")
	b.WriteString(cmd)
	b.WriteString("]")
	for _, p := range path {
		b.WriteString("[")
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			fmt.Fprint(&b, v)
		}
		b.WriteString("]")
	}
	return b.String()
}

// v2RefPattern finds references in an encoded command line, where "$", "["
// and "]" are percent-encoded.
var v2RefPattern = regexp.MustCompile(`%24(result|next|total|time|error)%5B(.*?)%5D`)

// CheckV2Refs verifies that every reference in cmds[i] names a command
// before it. keys are the commands' wire keys.
func CheckV2Refs(lines []string, keys []string, methods []string) error {
	pos := make(map[string]int, len(keys))
	for i, k := range keys {
		pos[k] = i
	}
	for i, line := range lines {
		_, q, _ := strings.Cut(line, "?")
		if !strings.Contains(q, "%24") {
			continue
		}
		for _, m := range v2RefPattern.FindAllStringSubmatch(q, -1) {
			key, err := url.PathUnescape(m[2])
			if err != nil {
				key = m[2]
			}
			j, ok := pos[key]
			switch {
			case key == "":
				return fmt.Errorf("b24: batch command %d (%s): reference $%s[] names no command (a reference to an unnamed command? name it, or use its position)", i, methods[i], m[1])
			case !ok:
				return fmt.Errorf("b24: batch command %d (%s): reference $%s[%s] names no command of the batch", i, methods[i], m[1], key)
			case j >= i:
				return fmt.Errorf("b24: batch command %d (%s): reference $%s[%s] names a command that does not run before it", i, methods[i], m[1], key)
			}
		}
	}
	return nil
}

// HasV2Ref reports whether an encoded command line holds a reference.
func HasV2Ref(line string) bool { return v2RefPattern.MatchString(line) }

var v3RefPattern = regexp.MustCompile(`"\$ref(?:Array)?":"([^".]*)(\.?)`)

// CheckV3Refs verifies that every reference in a command's JSON query names
// an earlier command's alias, with a path.
func CheckV3Refs(queries [][]byte, aliases []string, methods []string) error {
	pos := map[string]int{}
	for i, a := range aliases {
		if a != "" {
			pos[a] = i
		}
	}
	for i, q := range queries {
		for _, m := range v3RefPattern.FindAllSubmatch(q, -1) {
			alias := string(m[1])
			j, ok := pos[alias]
			switch {
			case len(m[2]) == 0:
				return fmt.Errorf("b24: batch command %d (%s): reference %q has no path after the alias", i, methods[i], alias)
			case !ok:
				return fmt.Errorf("b24: batch command %d (%s): reference to %q names no aliased command of the batch", i, methods[i], alias)
			case j >= i:
				return fmt.Errorf("b24: batch command %d (%s): reference to %q names a command that does not run before it", i, methods[i], alias)
			}
		}
	}
	return nil
}

// HasV3Ref reports whether a REST 3.0 query holds a reference.
func HasV3Ref(query []byte) bool { return v3RefPattern.Match(query) }
