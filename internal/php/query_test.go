package php

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  string // dump of the result
	}{
		{"plain pairs", "a=1&b=2", `{"a":"1","b":"2"}`},
		{"empty query", "", `{}`},
		{"empty pairs are skipped", "&&a=1&&", `{"a":"1"}`},
		{"no '=' gives an empty value", "a&b=", `{"a":"","b":""}`},
		{"value split at the first '='", "a=b=c", `{"a":"b=c"}`},
		{"'+' is a space", "a+b=c+d", `{"a_b":"c d"}`},
		{"percent-decoding, any case", "a=%41%2b%2B%e2%82%AC", `{"a":"A++€"}`},
		{"a bad escape stays as it is", "a=%zz%4%", `{"a":"%zz%4%"}`},
		{"name decoded before brackets", "a%5Bb%5D=1", `{"a":{"b":"1"}}`},
		{"encoded '&' and '=' stay in the value", "a=x%26y%3Dz", `{"a":"x&y=z"}`},
		{"later duplicate wins, first position kept", "a=1&b=2&a=3", `{"a":"3","b":"2"}`},
		{"empty name is dropped", "=1&[a]=2&%20=3", `{}`},
		{"leading spaces of the name are removed", "+a=1&%20%20b=2", `{"a":"1","b":"2"}`},
		{"'.' and ' ' in the name become '_'", "a.b+c=1", `{"a_b_c":"1"}`},
		{"only in the top-level name", "a.b[c.d+e]=1", `{"a_b":{"c.d e":"1"}}`},
		{"nested keys", "a[b][0]=x&a[b][1]=y", `{"a":{"b":{"0":"x","1":"y"}}}`},
		{"bracket appends", "a[]=x&a[]=y", `{"a":{"0":"x","1":"y"}}`},
		{"nested appends make new arrays", "a[][b]=1&a[][b]=2", `{"a":{"0":{"b":"1"},"1":{"b":"2"}}}`},
		{"append after an explicit index", "a[5]=x&a[]=y", `{"a":{"5":"x","6":"y"}}`},
		{"PHP >= 8.3: append after a negative index", "a[-5]=x&a[]=y", `{"a":{"-5":"x","-4":"y"}}`},
		{"non-canonical integer key is a string", "a[05]=x&a[]=y", `{"a":{"05":"x","0":"y"}}`},
		{"[ ] is an append", "a[ ]=x", `{"a":{"0":"x"}}`},
		{"one leading space is kept in a key", "a[ b]=x&a[  ]=y", `{"a":{" b":"x","  ":"y"}}`},
		{"key runs to the first ']'", "a[b[c]=1", `{"a":{"b[c":"1"}}`},
		{"text after ']' is ignored", "a[b]c[d]=1", `{"a":{"b":"1"}}`},
		{"unclosed '[' at top level becomes '_'", "a[b=1", `{"a_b":"1"}`},
		{"after it ' ', '.', '[' become '_'", "a.x[b.c+d[e=1", `{"a_x_b_c_d_e":"1"}`},
		{"unclosed '[' right after the name", "a[=1&b[[c=2", `{"a_":"1","b__c":"2"}`},
		{"unclosed '[' deeper ends the name", "a[b][c=1", `{"a":{"b":"1"}}`},
		{"unclosed '[' after an append", "a[][c=1", `{"a":{"0":"1"}}`},
		{"scalar replaced by an array in place", "a=1&b=2&a[x]=3", `{"a":{"x":"3"},"b":"2"}`},
		{"array replaced by a scalar", "a[x]=1&a=2", `{"a":"2"}`},
		{"the name ends at NUL", "a%00b=1&c[d%00]=2", `{"a":"1","c_d":"2"}`},
		{"values are binary safe", "a=x%00y", `{"a":"x\x00y"}`},
		{"legacy positional parameters", "0=a&1[x]=b", `{"0":"a","1":{"x":"b"}}`},
		{"filter operators in keys", "filter[%3EID]=5&filter[!%25TITLE]=x&select[]=ID",
			`{"filter":{">ID":"5","!%TITLE":"x"},"select":{"0":"ID"}}`},
		{"append refused at PHP_INT_MAX", "a[9223372036854775807]=1&a[]=2&a[][x]=3",
			`{"a":{"9223372036854775807":"1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(tt.query)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.query, err)
			}
			if got := dump(a); got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.query, got, tt.want)
			}
		})
	}
}

func TestParseNestingLevel(t *testing.T) {
	deep := func(n int) string { return "a" + strings.Repeat("[x]", n) + "=v" }

	// max_input_nesting_level = 64: 64 bracket groups are accepted.
	a, err := Parse(deep(MaxNestingLevel))
	if err != nil {
		t.Fatalf("64 levels: %v", err)
	}
	v, _ := a.Get("a")
	for range MaxNestingLevel {
		c, ok := v.(*Array)
		if !ok {
			t.Fatalf("64 levels: not an array: %s", dump(v))
		}
		v, _ = c.Get("x")
	}
	if v != "v" {
		t.Errorf("64 levels: leaf = %v", v)
	}

	// 65: PHP drops the whole top-level variable, including what was there.
	a, err = Parse("b=1&a[y]=2&" + deep(MaxNestingLevel+1) + "&c=3")
	if !errors.Is(err, ErrNestingLevel) {
		t.Fatalf("65 levels: err = %v", err)
	}
	if got, want := dump(a), `{"b":"1","c":"3"}`; got != want {
		t.Errorf("65 levels: got %s, want %s", got, want)
	}

	// A later pair can set the variable again.
	a, err = Parse(deep(MaxNestingLevel+1) + "&a=z")
	if !errors.Is(err, ErrNestingLevel) {
		t.Fatalf("err = %v", err)
	}
	if got, want := dump(a), `{"a":"z"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParsePathologicalInput(t *testing.T) {
	// Huge names must be handled in about linear time and without panics.
	inputs := []string{
		"a" + strings.Repeat("[", 1<<16) + "=1",
		"a" + strings.Repeat("[]", 1<<16) + "=1",
		"a" + strings.Repeat("[b", 1<<16) + "=1",
		strings.Repeat("a[]=1&", 1<<14),
		strings.Repeat("%", 1<<16),
		strings.Repeat("]", 1<<16) + "=" + strings.Repeat("[", 1<<16),
	}
	for _, q := range inputs {
		a, _ := Parse(q)
		if a == nil {
			t.Errorf("Parse(%.20q…) returned nil", q)
		}
	}
	a, _ := Parse(strings.Repeat("a[]=1&", 1<<14))
	v, _ := a.Get("a")
	if n := v.(*Array).Len(); n != 1<<14 {
		t.Errorf("appends: Len = %d", n)
	}
}

func TestSetPath(t *testing.T) {
	// A multipart parser feeds raw (not URL-decoded) names in order.
	a := NewArray()
	steps := []struct {
		name  string
		value any
	}{
		{"fields[TITLE]", "Deal"},
		{"fields[PHONE][][VALUE]", "+1 555"},
		{"fields[PHONE][][VALUE]", "+2"},
		{"a+b", "plus is not decoded"},
		{"a%5Bb%5D", "nor is a percent escape"},
		{"n", json.Number("7")},
	}
	for _, s := range steps {
		if err := a.SetPath(s.name, s.value); err != nil {
			t.Fatalf("SetPath(%q): %v", s.name, err)
		}
	}
	want := `{"fields":{"TITLE":"Deal","PHONE":{"0":{"VALUE":"+1 555"},"1":{"VALUE":"+2"}}},` +
		`"a+b":"plus is not decoded","a%5Bb%5D":"nor is a percent escape","n":N(7)}`
	if got := dump(a); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if err := a.SetPath("fields"+strings.Repeat("[]", MaxNestingLevel+1), "x"); !errors.Is(err, ErrNestingLevel) {
		t.Errorf("too deep: err = %v", err)
	}
	if _, ok := a.Get("fields"); ok {
		t.Error("too deep: the top-level variable is still there")
	}
}

type encodeStruct struct {
	Zeta  string         `json:"zeta"`
	Alpha int            `json:"alpha"`
	When  time.Time      `json:"when"`
	Skip  string         `json:"-"`
	Opt   string         `json:"opt,omitempty"`
	Map   map[string]int `json:"map"`
}

func TestEncode(t *testing.T) {
	when := time.Date(2024, 8, 30, 14, 29, 0, 0, time.FixedZone("", 2*3600))
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, ""},
		{"flat map, sorted keys", map[string]any{"b": "2", "a": "1"}, "a=1&b=2"},
		{"nested map and list with explicit indices",
			map[string]any{"fields": map[string]any{"TITLE": "Deal", "PHONE": []any{map[string]any{"VALUE": "1"}}}},
			"fields[PHONE][0][VALUE]=1&fields[TITLE]=Deal"},
		{"*Array keeps its order", arr("z", "1", "a", list("x", "y")), "z=1&a[0]=x&a[1]=y"},
		{"top-level list: positional parameters", []any{"a", map[string]any{"x": "b"}}, "0=a&1[x]=b"},
		{"numbers as JSON text", arr("i", 42, "u", uint8(7), "f", 1.5, "e", 1e21, "n", json.Number("1e+5")),
			"i=42&u=7&f=1.5&e=1e%2B21&n=1e%2B5"},
		{"RFC 3986: unreserved kept, space %20", arr("k", "a-._~ b+&=/?#%é"), "k=a-._~%20b%2B%26%3D%2F%3F%23%25%C3%A9"},
		{"keys percent-encoded inside brackets", arr("filter", arr(">=DATE", "1", "!%TITLE", "a b", "b[c", "x")),
			"filter[%3E%3DDATE]=1&filter[%21%25TITLE]=a%20b&filter[b%5Bc]=x"},
		{"']' allowed in a top-level key", arr("a]b", "1"), "a%5Db=1"},
		{"struct: field order kept", encodeStruct{Zeta: "z", Alpha: 1, When: when, Skip: "s", Map: map[string]int{"y": 2, "x": 1}},
			"zeta=z&alpha=1&when=2024-08-30T14%3A29%3A00%2B02%3A00&map[x]=1&map[y]=2"},
		{"pointer to struct", &encodeStruct{Zeta: "p", Map: map[string]int{"a": 1}}, "zeta=p&alpha=0&when=0001-01-01T00%3A00%3A00Z&map[a]=1"},
		{"empty top level: no parameters", map[string]any{}, ""},
		{"time.Time as RFC 3339", map[string]any{"d": when}, "d=2024-08-30T14%3A29%3A00%2B02%3A00"},
		{"json.RawMessage keeps its order", json.RawMessage(`{"z":{"b":"y","a":[1,2.5]},"a":"x"}`),
			"z[b]=y&z[a][0]=1&z[a][1]=2.5&a=x"},
		{"typed map", map[string]string{"b": "2", "a": "1"}, "a=1&b=2"},
		{"nested typed values", map[string]any{"ids": []int{1, 2}}, "ids[0]=1&ids[1]=2"},
		{"typed nil pointer", (*encodeStruct)(nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.in)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got != tt.want {
				t.Errorf("Encode\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	deep := any("x")
	for range MaxNestingLevel + 1 {
		deep = []any{deep}
	}
	tests := []struct {
		name string
		in   any
		is   error
	}{
		{"top-level scalar", "x", nil},
		{"top-level JSON scalar", json.RawMessage(`1`), nil},
		{"empty top-level key: PHP drops it", map[string]any{"": "x"}, ErrKey},
		{"'.' in a top-level key: PHP makes it '_'", map[string]any{"a.b": "x"}, ErrKey},
		{"' ' in a top-level key: PHP makes it '_'", map[string]any{"a b": "x"}, ErrKey},
		{"leading space: PHP strips it", map[string]any{" a": "x"}, ErrKey},
		{"'[' in a top-level key starts brackets", map[string]any{"a[b": "x"}, ErrKey},
		{"NUL in a key: PHP ends the name there", map[string]any{"a": map[string]any{"b\x00": "x"}}, ErrKey},
		{"empty nested key means append", map[string]any{"a": map[string]any{"": "x"}}, ErrKey},
		{"' ' nested key means append", map[string]any{"a": map[string]any{" ": "x"}}, ErrKey},
		{"']' in a nested key ends it early", map[string]any{"a": map[string]any{"b]c": "x"}}, ErrKey},
		{"deeper than max_input_nesting_level", map[string]any{"a": deep}, ErrNestingLevel},
		{"NaN", map[string]any{"a": math.NaN()}, ErrInfOrNaN},
		{"unsupported type", map[string]any{"a": make(chan int)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.in)
			if err == nil {
				t.Fatalf("Encode = %q, want an error", got)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}
	// 64 levels below the top-level name are fine.
	ok := any("x")
	for range MaxNestingLevel {
		ok = []any{ok}
	}
	if _, err := Encode(map[string]any{"a": ok}); err != nil {
		t.Errorf("64 levels: %v", err)
	}
}

// TestEncodeRefusesValues: a query string cannot carry an empty array, null
// or a boolean as a JSON body does (PHP would see no key, "" or "1"/"0"), so
// Encode refuses them, naming the key path. Before, it wrote them silently.
func TestEncodeRefusesValues(t *testing.T) {
	tests := []struct {
		name       string
		in         any
		path, what string
	}{
		{"empty list in a filter", map[string]any{"filter": map[string]any{"ID": []any{}}}, "filter[ID]", "an empty array"},
		{"empty map in fields", map[string]any{"fields": map[string]any{"CONTACT_IDS": map[string]any{}}}, "fields[CONTACT_IDS]", "an empty array"},
		{"empty *Array", arr("a", arr("b", NewArray())), "a[b]", "an empty array"},
		{"empty top-level value", map[string]any{"select": []string{}}, "select", "an empty array"},
		{"nil", map[string]any{"a": nil}, "a", "null"},
		{"nil *Array", arr("a", (*Array)(nil)), "a", "null"},
		{"nil slice in a struct is null", encodeStruct{Zeta: "z"}, "map", "null"},
		{"true", map[string]any{"filter": map[string]any{"OPENED": true}}, "filter[OPENED]", "true"},
		{"false in a list", map[string]any{"a": []any{"x", false}}, "a[1]", "false"},
		{"JSON null", json.RawMessage(`{"z":{"a":[1,null]}}`), "z[a][1]", "null"},
		{"path keeps the key's own text", map[string]any{"filter": map[string]any{">=DATE x": nil}}, "filter[>=DATE x]", "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Encode(tt.in)
			var ve *ValueError
			if !errors.As(err, &ve) || !errors.Is(err, ErrValue) {
				t.Fatalf("Encode = %q, %v; want a *ValueError", q, err)
			}
			if ve.Path != tt.path || ve.Value != tt.what {
				t.Errorf("ValueError{%q, %q}, want {%q, %q}", ve.Path, ve.Value, tt.path, tt.what)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

// TestMaxInputVars: parse_str reads the first 1000 non-empty pairs and
// drops the rest; Encode refuses a tree of more values (at the 1001st),
// since the portal would drop them. Before, both had no bound.
func TestMaxInputVars(t *testing.T) {
	pairs := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "&&a[]=%d", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		n    int
		want int
		err  bool
	}{{999, 999, false}, {1000, 1000, false}, {1001, 1000, true}, {1500, 1000, true}} {
		a, err := ParseInput(pairs(tc.n) + "&")
		v, _ := a.Get("a")
		l, _ := v.(*Array)
		if l == nil || l.Len() != tc.want || errors.Is(err, ErrInputVars) != tc.err {
			t.Errorf("%d pairs: %d read, %v", tc.n, l.Len(), err)
		}
		if a, err := Parse(pairs(tc.n)); err != nil || a.Len() != 1 {
			t.Errorf("Parse of %d pairs: %v", tc.n, err)
		}
		list := make([]any, tc.n)
		for i := range list {
			list[i] = strconv.Itoa(i)
		}
		_, err = Encode(map[string]any{"a": list})
		var ve *ValueError
		if got := errors.As(err, &ve); got != tc.err || got && ve.Path != "a[1000]" {
			t.Errorf("Encode of %d values: %v", tc.n, err)
		}
	}
}

func TestEncodeParsesBack(t *testing.T) {
	// Encode's output read by parse_str gives the same tree.
	in := arr(
		"fields", arr("TITLE", "Сделка & co", "PHONE", list(arr("VALUE", "+1 555", "TYPE", "WORK")), "A=B", "x%y+z"),
		"filter", arr(">ID", "5", "!%NAME", "a[b]c"),
		"select", list("ID", "TITLE"),
		"05", arr("-3", "neg", "9", "nine"),
	)
	q, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	if dump(back) != dump(in) {
		t.Errorf("round trip through %s\n got %s\nwant %s", q, dump(back), dump(in))
	}
}

// FuzzParse checks that Parse never panics and that what it returns is a
// tree Encode can write and parse_str reads back unchanged (Parse never
// produces keys PHP could not read, empty arrays or too deep nesting).
func FuzzParse(f *testing.F) {
	f.Add("a[b][0]=x&a[]=y&c.d+e=%41")
	f.Fuzz(func(t *testing.T, q string) {
		a, err := Parse(q)
		if a == nil {
			t.Fatal("Parse returned nil")
		}
		if err != nil && !errors.Is(err, ErrNestingLevel) {
			t.Fatalf("unexpected error %v", err)
		}
		enc, err := Encode(a)
		if errors.Is(err, ErrValue) && strings.Contains(err.Error(), "max_input_vars") {
			return // more values than PHP reads back
		}
		if err != nil {
			t.Fatalf("Encode(Parse(%q)) = %v; tree %s", q, err, dump(a))
		}
		back, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse(%q): %v", enc, err)
		}
		if dump(back) != dump(a) {
			t.Fatalf("Parse(%q)\n= %s\nre-encoded as %q\nparses as %s", q, dump(a), enc, dump(back))
		}
	})
}

// treeReader builds a tree of string leaves from fuzz bytes.
type treeReader struct{ b []byte }

func (r *treeReader) next() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *treeReader) str() string {
	n := min(int(r.next()%6), len(r.b))
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *treeReader) tree(depth int) *Array {
	a := NewArray()
	for range r.next() % 4 {
		k := r.str()
		if depth < MaxNestingLevel+3 && r.next()%3 == 0 {
			a.Set(k, r.tree(depth+1))
		} else {
			a.Set(k, r.str())
		}
	}
	return a
}

// expressible is the independent statement of which keys survive parse_str:
// level 0 is the top-level name, level n the n-th bracket group.
func expressible(a *Array, level int) bool {
	for k, v := range a.All() {
		if level == 0 {
			if k == "" || k[0] == ' ' || strings.ContainsAny(k, ". [\x00") {
				return false
			}
		} else if level > MaxNestingLevel || k == "" || k == " " || strings.ContainsAny(k, "]\x00") {
			return false
		}
		if c, ok := v.(*Array); ok && !expressible(c, level+1) {
			return false
		}
	}
	return true
}

// hasEmpty reports whether a holds an empty array below its top level: a
// query string cannot carry one.
func hasEmpty(a *Array) bool {
	for _, v := range a.All() {
		if c, ok := v.(*Array); ok && (c.Len() == 0 || hasEmpty(c)) {
			return true
		}
	}
	return false
}

// FuzzEncodeParseRoundTrip checks that any tree of string leaves either
// encodes and parses back equal, or has a key PHP cannot read back or an
// empty array, and is refused.
func FuzzEncodeParseRoundTrip(f *testing.F) {
	f.Add([]byte("\x02\x01a\x00\x01x\x01b\x00\x01y"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &treeReader{b: data}
		tree := r.tree(0)
		q, err := Encode(tree)
		if !expressible(tree, 0) || hasEmpty(tree) {
			if err == nil {
				t.Fatalf("Encode(%s) = %q, want an error", dump(tree), q)
			}
			if !errors.Is(err, ErrKey) && !errors.Is(err, ErrNestingLevel) && !errors.Is(err, ErrValue) {
				t.Fatalf("Encode(%s): unexpected error %v", dump(tree), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Encode(%s): %v", dump(tree), err)
		}
		back, err := Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		if got, want := dump(back), dump(tree); got != want {
			t.Fatalf("encoded as %q\n got %s\nwant %s", q, got, want)
		}
	})
}
