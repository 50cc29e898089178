package batchwire

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestPHPKeyed: json_encode writes a PHP array as [] (empty), a list (keys
// 0..n-1) or an object; each reads as the same keyed map.
func TestPHPKeyed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw, want string
		err       bool
	}{
		{``, "map[]", false},
		{`null`, "map[]", false},
		{`[]`, "map[]", false},
		{`["x",2]`, `map[0:"x" 1:2]`, false},
		{`{"a":1,"5":2}`, `map[5:2 a:1]`, false},
		{`"s"`, "", true},
		{`[1,`, "", true},
	} {
		m, err := PHPKeyed(json.RawMessage(tc.raw))
		if (err != nil) != tc.err || !tc.err && show(m) != tc.want {
			t.Errorf("%q: %v %v; want %s", tc.raw, show(m), err, tc.want)
		}
	}
}

// TestV3Results: an array answers by position; an object by alias, the
// unaliased commands taking PHP's next integer keys; a missing entry is nil.
func TestV3Results(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw   string
		names []string
		want  string
	}{
		{`[1,2]`, []string{"a", ""}, "[1 2]"},
		{`{"a":1,"0":2}`, []string{"a", ""}, "[1 2]"},
		{`{"0":2,"1":3}`, []string{"", "b", ""}, "[2 <nil> 3]"},
		{`[1]`, []string{"", ""}, "[1 <nil>]"},
	} {
		got, err := V3Results(json.RawMessage(tc.raw), tc.names)
		s := "["
		for i, v := range got {
			if i > 0 {
				s += " "
			}
			if v == nil {
				s += "<nil>"
			} else {
				s += string(v)
			}
		}
		if err != nil || s+"]" != tc.want {
			t.Errorf("%s %v: %s] %v; want %s", tc.raw, tc.names, s, err, tc.want)
		}
	}
}

// TestCommandMethods: the method of each command key, as a list or named
// cmd, lower-cased and unescaped; nil for a body without cmd.
func TestCommandMethods(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, want string }{
		{`{"cmd":["CRM.Deal.List?x=1","user.get"]}`, "map[0:crm.deal.list 1:user.get]"},
		{`{"cmd":{"a":"crm%2Edeal%2Eget?id=1"}}`, "map[a:crm.deal.get]"},
		{`{"halt":0}`, "map[]"},
		{`not json`, "map[]"},
	} {
		if got := fmt.Sprint(CommandMethods([]byte(tc.body))); got != tc.want {
			t.Errorf("%s: %s; want %s", tc.body, got, tc.want)
		}
	}
}

func show(m map[string]json.RawMessage) string {
	s := map[string]string{}
	for k, v := range m {
		s[k] = string(v)
	}
	return fmt.Sprint(s)
}
