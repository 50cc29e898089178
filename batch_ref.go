package b24

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// ResultRef returns a REST v2 batch reference to the result of the command
// whose key is cmd, followed by a path into it: ResultRef("deals", 49, "ID")
// is "$result[deals][49][ID]", the ID of the 50th row of the list command
// named "deals". In the list form of a batch the key is the command's
// position ("0", "1", ...). Path elements may be strings or integers.
//
// Put the reference as a whole parameter value and the portal substitutes
// the value it points to (a scalar or a whole array); inside a longer string
// it is substituted only when the value is a scalar. A reference that does
// not resolve (a short page, a failed command) is left as literal text, so a
// chain of references should run with halt on (the default).
//
// Batch checks before sending that every reference names an earlier
// command of the same batch. Cmd.Result builds the same reference from a
// named command, without repeating its name.
func ResultRef(cmd string, path ...any) string { return v2Ref("result", cmd, path) }

// NextRef returns "$next[cmd]": the start of the next page of the list
// command cmd (absent, so left unresolved, on its last page).
func NextRef(cmd string) string { return v2Ref("next", cmd, nil) }

// TotalRef returns "$total[cmd]": the row count reported by the list command cmd.
func TotalRef(cmd string) string { return v2Ref("total", cmd, nil) }

// Result returns a reference to this named command's result (see ResultRef).
func (c Cmd) Result(path ...any) string { return v2Ref("result", c.Name, path) }

// Next returns a reference to this named command's next page start (see NextRef).
func (c Cmd) Next() string { return v2Ref("next", c.Name, nil) }

// Total returns a reference to this named command's row count (see TotalRef).
func (c Cmd) Total() string { return v2Ref("total", c.Name, nil) }

func v2Ref(section, cmd string, path []any) string {
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

// checkV2Refs verifies that every reference in cmds[i] names a command
// before it. keys are the commands' wire keys.
func checkV2Refs(lines []string, keys []string, methods []string) error {
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

// V3Reference is a REST 3.0 batch reference: {"$ref": "alias.item.id"} for
// one value of an earlier command's result, or {"$refArray": "alias.id"}
// for a field collected across an earlier list command's items. Use it as a
// value anywhere in a command's Params; the portal substitutes it. Only
// "item" (get) and "items" (list, tail) results can be referenced; a bad
// path fails the whole batch (INVALIDSELECTEXCEPTION).
type V3Reference struct {
	path  string
	array bool
}

// V3Ref returns {"$ref": "alias.path..."}: V3Ref("task", "item", "id") is
// {"$ref":"task.item.id"}, the id of the task the command aliased "task" got.
func V3Ref(alias string, path ...string) V3Reference {
	return V3Reference{path: strings.Join(append([]string{alias}, path...), ".")}
}

// V3RefArray returns {"$refArray": "alias.field"}: the field of every item of
// the list command aliased alias, as an array.
func V3RefArray(alias, field string) V3Reference {
	return V3Reference{path: alias + "." + field, array: true}
}

// V3Ref returns a reference into this named command's result (see V3Ref).
func (c Cmd) V3Ref(path ...string) V3Reference { return V3Ref(c.Name, path...) }

// V3RefArray returns a reference to a field of this named command's items (see V3RefArray).
func (c Cmd) V3RefArray(field string) V3Reference { return V3RefArray(c.Name, field) }

// String returns the reference's path.
func (r V3Reference) String() string { return r.path }

// MarshalJSON writes {"$ref": path} or {"$refArray": path}.
func (r V3Reference) MarshalJSON() ([]byte, error) {
	key := "$ref"
	if r.array {
		key = "$refArray"
	}
	return json.Marshal(map[string]string{key: r.path})
}

var v3RefPattern = regexp.MustCompile(`"\$ref(?:Array)?":"([^".]*)(\.?)`)

// checkV3Refs verifies that every reference in a command's JSON query names
// an earlier command's alias, with a path.
func checkV3Refs(queries [][]byte, aliases []string, methods []string) error {
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
