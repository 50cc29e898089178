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

// v2Refs yields the references in an encoded command line, where "$", "["
// and "]" are percent-encoded: the section and the command's (encoded)
// key of each "%24section%5Bkey%5D", leftmost first, as the pattern
// `%24(result|next|total|time|error)%5B(.*?)%5D` finds them (a key holds
// no newline), without a regular expression: every page of a chained walk
// holds one (FuzzV2Refs).
func v2Refs(q string, yield func(section, key string) bool) {
	for i := 0; ; {
		at := strings.Index(q[i:], "%24")
		if at < 0 {
			return
		}
		at += i
		i = at + 1
		rest := q[at+3:]
		for _, sec := range [...]string{"result", "next", "total", "time", "error"} {
			if !strings.HasPrefix(rest, sec) || !strings.HasPrefix(rest[len(sec):], "%5B") {
				continue
			}
			key := rest[len(sec)+3:]
			end := strings.Index(key, "%5D")
			if end < 0 || strings.IndexByte(key[:end], '\n') >= 0 {
				break
			}
			if !yield(sec, key[:end]) {
				return
			}
			i = at + 3 + len(sec) + 3 + end + 3
			break
		}
	}
}

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
		var err error
		v2Refs(q, func(sec, raw string) bool {
			key, uerr := url.PathUnescape(raw)
			if uerr != nil {
				key = raw
			}
			j, ok := pos[key]
			switch {
			case key == "":
				err = fmt.Errorf("b24: batch command %d (%s): reference $%s[] names no command (a reference to an unnamed command? name it, or use its position)", i, methods[i], sec)
			case !ok:
				err = fmt.Errorf("b24: batch command %d (%s): reference $%s[%s] names no command of the batch", i, methods[i], sec, key)
			case j >= i:
				err = fmt.Errorf("b24: batch command %d (%s): reference $%s[%s] names a command that does not run before it", i, methods[i], sec, key)
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// HasV2Ref reports whether an encoded command line holds a reference.
func HasV2Ref(line string) bool {
	found := false
	v2Refs(line, func(string, string) bool { found = true; return false })
	return found
}

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
