package batchwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"testing"

	"github.com/b24go/b24/internal/jsonscan"
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

// phpKeyedRef is PHPKeyed as it was written before the one-pass scanner:
// json.Unmarshal into a list or a map.
func phpKeyedRef(raw json.RawMessage) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]json.RawMessage{}, nil
	}
	switch raw[0] {
	case '[':
		var list []json.RawMessage
		err := json.Unmarshal(raw, &list)
		out := map[string]json.RawMessage{}
		for i, v := range list {
			out[fmt.Sprint(i)] = v
		}
		return out, err
	case '{':
		out := map[string]json.RawMessage{}
		return out, json.Unmarshal(raw, &out)
	}
	return nil, errors.New("not a PHP array")
}

// FuzzPHPKeyed: the one-pass PHPKeyed gives the same map (escaped keys,
// invalid UTF-8 in keys, repeated keys) and fails on the same texts as
// json.Unmarshal did; SplitEnvelope keeps the sections json.Unmarshal into
// an Envelope keeps, and SplitAt the same (checkSplitAt).
func FuzzPHPKeyed(f *testing.F) {
	for _, s := range []string{`["x",2]`, `{"a":1,"a":2}`, `{"\u0061":1,"b\"":[]}`, "{\"\xff\":1}", `[1,`, `{"a":1]`, `"s"`,
		`{"result":{"p0":[]},"RESULT_ERROR":[],"result_total":{"p0":5},"result_time":{"p0":{"start":1}}}`,
		`{"result":{"p0":[{"ID":"1"}, [2] ,"3"],"p1":[],"p0":[4]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := PHPKeyed(b)
		want, werr := phpKeyedRef(b)
		if (err != nil) != (werr != nil) {
			t.Fatalf("PHPKeyed(%q): error %v, json.Unmarshal: %v", b, err, werr)
		}
		if err == nil && !maps.EqualFunc(got, want, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) }) {
			t.Fatalf("PHPKeyed(%q) = %q, json.Unmarshal gives %q", b, got, want)
		}
		if !jsonscan.Valid(b) {
			return
		}
		var wantEnv Envelope
		werr = json.Unmarshal(b, &wantEnv)
		env, err := SplitEnvelope(b)
		env.Checked = false
		if (err != nil) != (werr != nil) || err == nil && !reflect.DeepEqual(env, wantEnv) {
			t.Fatalf("SplitEnvelope(%q) = %+v, %v; json.Unmarshal gives %+v, %v", b, env, err, wantEnv, werr)
		}
		checkSplitAt(t, b)
	})
}

// checkSplitAt: on an object, SplitAt gives SplitEnvelope's sections and
// Keyed gives the same sections from both, before and after a Rebase onto
// a copy.
func checkSplitAt(t *testing.T, b []byte) {
	i := 0
	for i < len(b) && jsonscan.IsSpace(b[i]) {
		i++
	}
	if i == len(b) || b[i] != '{' {
		return
	}
	want, werr := SplitEnvelope(b)
	got, end, err := SplitAt(b, i)
	if (err != nil) != (werr != nil) {
		t.Fatalf("SplitAt(%q): error %v, SplitEnvelope: %v", b, err, werr)
	}
	if err != nil {
		return
	}
	if end != len(jsonscan.Trim(b))+i {
		t.Fatalf("SplitAt(%q) ends at %d", b, end)
	}
	cp := bytes.Clone(b)
	moved, ok := got.Rebase(b, cp)
	if !ok {
		t.Fatalf("Rebase(%q) failed", b)
	}
	wantKeyed, werr := want.Keyed()
	for _, env := range []Envelope{got, moved} {
		plain := env
		plain.results, plain.spans = nil, nil
		if !reflect.DeepEqual(plain, want) {
			t.Fatalf("SplitAt(%q) = %+v, SplitEnvelope gives %+v", b, plain, want)
		}
		keyed, err := env.Keyed()
		if err == nil {
			checkSpans(t, b, keyed)
			keyed.Spans = nil
		}
		if (err != nil) != (werr != nil) || err == nil && !reflect.DeepEqual(keyed, wantKeyed) {
			t.Fatalf("SplitAt(%q).Keyed() = %+v, %v; SplitEnvelope's: %+v, %v", b, keyed, err, wantKeyed, werr)
		}
	}
	if len(b) > 0 {
		if _, ok := got.Rebase(cp, b); ok && got.Result != nil {
			t.Fatalf("Rebase(%q) from a text it was not split from succeeded", b)
		}
	}
}

// checkSpans: the spans of every keyed result that is a list are its
// elements as jsonscan.Elements splits it, and no other result has spans.
func checkSpans(t *testing.T, b []byte, s *Sections) {
	t.Helper()
	for k, v := range s.Result {
		spans, has := s.Spans[k]
		if len(v) == 0 || v[0] != '[' || s.Spans == nil {
			if has {
				t.Fatalf("%q: result %q (%s) has spans %v", b, k, v, spans)
			}
			continue
		}
		if !has {
			t.Fatalf("%q: the list %q (%s) has no spans", b, k, v)
		}
		want, err := jsonscan.Elements(v)
		if err != nil {
			t.Fatalf("%q: Elements(%s): %v", b, v, err)
		}
		var got [][]byte
		for i := 0; i+1 < len(spans); i += 2 {
			got = append(got, v[spans[i]:spans[i+1]])
		}
		if len(spans)%2 != 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: the spans of %q give %q, Elements %q", b, k, got, want)
		}
	}
	for k := range s.Spans {
		if _, ok := s.Result[k]; !ok {
			t.Fatalf("%q: spans of %q, which is not a result", b, k)
		}
	}
}

// TestSplitAtSpans: the results that are lists are split into their
// elements as they are passed; a key named twice keeps its last value's.
func TestSplitAtSpans(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]int // elements of each result with spans
	}{
		{`{"result":{"a":[{"ID":"1"}, {"ID":"2"} ,3],"b":{"x":[1]},"c":[],"d":"[1]"}}`, map[string]int{"a": 3, "c": 0}},
		{`{"result":{"a":[1,2],"a":"x"}}`, map[string]int{}},
		{`{"result":{"a":"x","a":[ [1,[2]] , {"y":[3]} ]}}`, map[string]int{"a": 2}},
		{`{"result":[[1,2]]}`, nil}, // a list of results: keyed by phpKeyed, not split
	} {
		env, _, err := SplitAt([]byte(tc.in), 0)
		if err != nil {
			t.Fatalf("SplitAt(%s): %v", tc.in, err)
		}
		s, err := env.Keyed()
		if err != nil {
			t.Fatalf("Keyed(%s): %v", tc.in, err)
		}
		if tc.want == nil {
			if s.Spans != nil {
				t.Errorf("%s: spans %v", tc.in, s.Spans)
			}
			continue
		}
		got := map[string]int{}
		for k, v := range s.Spans {
			got[k] = len(v) / 2
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: elements %v, want %v", tc.in, got, tc.want)
		}
		checkSpans(t, []byte(tc.in), s)
	}
}

// commandMethodsRef is CommandMethods's reading of cmd before the one-pass
// scanner: json.Unmarshal into a list, else a map.
func commandMethodsRef(body []byte) (map[string]string, bool) {
	var env struct {
		Cmd json.RawMessage `json:"cmd"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil, false
	}
	named := map[string]string{}
	var list []string
	if json.Unmarshal(env.Cmd, &list) == nil {
		for i, c := range list {
			named[fmt.Sprint(i)] = c
		}
	} else if json.Unmarshal(env.Cmd, &named) != nil {
		return nil, false
	}
	return named, true
}

// FuzzCommandLines: a batch body's commands read in one pass as
// json.Unmarshal read them.
func FuzzCommandLines(f *testing.F) {
	for _, s := range []string{`{"cmd":["crm.deal.list?a=1","x"]}`, `{"halt":0,"cmd":{"p0":"crm.deal.list?filter%5B%3EID%5D=5","p1":"user.get"}}`,
		`{"CMD":{"a":null},"cmd":["\u0061"]}`, `{"cmd":null}`, `{}`, `null`, `[]`, `{"cmd":[1]}`, `{"cmd":{"a":1}}`, `{"cmd":"x"}`, "{\"cmd\":[\"\xff\"]}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := commandLines(b)
		want, wok := commandMethodsRef(b)
		if ok != wok || ok && !maps.Equal(got, want) {
			t.Fatalf("commandLines(%q) = %q, %v; json.Unmarshal: %q, %v", b, got, ok, want, wok)
		}
	})
}
