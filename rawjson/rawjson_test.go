package rawjson_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/b24go/b24/rawjson"
)

// emptyForms are the portal's five spellings of "no value", with
// whitespace variants.
var emptyForms = []string{`null`, `""`, `false`, `[]`, `{}`, `[ ]`, "{\n\t}", ` null `}

func fuzzSeeds(f *testing.F, extra ...string) {
	for _, s := range append(emptyForms, append([]string{`0`, `"42"`, `-7`, `1e3`, `"x"`}, extra...)...) {
		f.Add([]byte(s))
	}
}

func TestKindOf(t *testing.T) {
	cases := []struct {
		in   string
		want rawjson.Kind
		name string
	}{
		{`null`, rawjson.Null, "null"},
		{` true `, rawjson.Bool, "bool"},
		{`false`, rawjson.Bool, "bool"},
		{`-1.5e3`, rawjson.Number, "number"},
		{`0`, rawjson.Number, "number"},
		{`"x"`, rawjson.String, "string"},
		{`[]`, rawjson.Array, "array"},
		{"\n[1,{}]\n", rawjson.Array, "array"},
		{`{"a":[]}`, rawjson.Object, "object"},
		{``, rawjson.Invalid, "invalid"},
		{`   `, rawjson.Invalid, "invalid"},
		{`{`, rawjson.Invalid, "invalid"},
		{`tru`, rawjson.Invalid, "invalid"},
		{`1 2`, rawjson.Invalid, "invalid"},
		{`"a`, rawjson.Invalid, "invalid"},
		{`01`, rawjson.Invalid, "invalid"},
	}
	for _, c := range cases {
		k := rawjson.KindOf(json.RawMessage(c.in))
		if k != c.want || k.String() != c.name {
			t.Errorf("KindOf(%q) = %v (%d), want %v", c.in, k, k, c.want)
		}
	}
	if s := rawjson.Kind(200).String(); s != "Kind(200)" {
		t.Errorf("unknown kind: %q", s)
	}
}

func TestIsEmpty(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{`null`, true},
		{`""`, true},
		{`false`, true},
		{`[]`, true},
		{`{}`, true},
		{"[\n]", true},
		{` { } `, true},
		{``, true},
		{` `, true},
		{`0`, false},
		{`"0"`, false},
		{`0.0`, false},
		{`" "`, false},
		{`true`, false},
		{`[0]`, false},
		{`[null]`, false},
		{`{"a":null}`, false},
		{`"N"`, false},
		{`[ x ]`, false},
		{`nul`, false},
	}
	for _, c := range cases {
		if got := rawjson.IsEmpty(json.RawMessage(c.in)); got != c.want {
			t.Errorf("IsEmpty(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if !rawjson.IsEmpty(nil) {
		t.Error("IsEmpty(nil): an absent field is empty")
	}
}

func TestUnwrap(t *testing.T) {
	cases := []struct {
		fold     bool
		in, key  string
		want     string
		notFound bool // error matching ErrKeyNotFound
		ok       bool
	}{
		{false, `{"item":{"id":1}}`, "item", `{"id":1}`, false, true},
		{false, ` {"tasks": [ {"id":"1"} ] , "x":1} `, "tasks", `[ {"id":"1"} ]`, false, true},
		{false, `{"result":true}`, "result", `true`, false, true},
		{false, `{"item":1,"item":2}`, "item", `2`, false, true},
		{false, `{"item":null}`, "item", `null`, false, true},
		{false, `{"ITEM":1}`, "item", ``, true, false},
		{false, `{"a":1,"b":2}`, "item", ``, true, false},
		{false, `{}`, "item", ``, true, false},
		{false, `[]`, "item", ``, true, false},
		{false, `[{"item":1}]`, "item", ``, false, false},
		{false, `"item"`, "item", ``, false, false},
		{false, `null`, "item", ``, false, false},
		{false, `{"item":`, "item", ``, false, false},
		{false, ``, "item", ``, false, false},
		{true, `{"ITEMS":[1]}`, "items", `[1]`, false, true},
		{true, `{"ufCrmTask":"x"}`, "UF_CRM_TASK", `"x"`, false, true},
		{true, `{"Item":1,"item":2,"ITEM":3}`, "item", `2`, false, true},
		{true, `{"Item":1,"ITEM":3}`, "item", `1`, false, true},
		{true, `{"tasks":[]}`, "task", ``, true, false},
		{true, `[]`, "task", ``, true, false},
		{true, `1`, "task", ``, false, false},
	}
	for _, c := range cases {
		f := rawjson.Unwrap
		if c.fold {
			f = rawjson.UnwrapFold
		}
		got, err := f(json.RawMessage(c.in), c.key)
		if (err == nil) != c.ok {
			t.Errorf("fold=%v %s[%q]: err %v, want ok=%v", c.fold, c.in, c.key, err, c.ok)
			continue
		}
		if !c.ok {
			if errors.Is(err, rawjson.ErrKeyNotFound) != c.notFound {
				t.Errorf("fold=%v %s[%q]: errors.Is(%v, ErrKeyNotFound) = %v", c.fold, c.in, c.key, err, !c.notFound)
			}
			if !strings.Contains(err.Error(), `"`+c.key+`"`) {
				t.Errorf("error %q does not name the key", err)
			}
			continue
		}
		if string(got) != c.want {
			t.Errorf("fold=%v %s[%q] = %s, want %s", c.fold, c.in, c.key, got, c.want)
		}
	}
	_, err := rawjson.Unwrap(json.RawMessage(`{"items":[],"total":1}`), "item")
	if err == nil || !strings.Contains(err.Error(), `"items", "total"`) {
		t.Errorf("missing key error should list the keys present: %v", err)
	}
	_, err = rawjson.Unwrap(json.RawMessage(`[1]`), "item")
	if err == nil || !strings.Contains(err.Error(), "got array") {
		t.Errorf("shape error should name the kind: %v", err)
	}
}

func TestKeys(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`{"b":1,"a":2,"c":{"z":1}}`, []string{"b", "a", "c"}, true},
		{`{"a":1,"b":2,"a":3}`, []string{"a", "b"}, true},
		{`{}`, []string{}, true},
		{`[]`, []string{}, true},
		{`["x","y",{}]`, []string{"0", "1", "2"}, true},
		{`1`, nil, false},
		{`null`, nil, false},
		{`"a"`, nil, false},
		{`{"a":}`, nil, false},
		{``, nil, false},
	}
	for _, c := range cases {
		got, err := rawjson.Keys(json.RawMessage(c.in))
		if (err == nil) != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("Keys(%s) = %q, %v; want %q (ok=%v)", c.in, got, err, c.want, c.ok)
		}
	}
}

// FuzzRawHelpers checks that KindOf, IsEmpty, Keys and Unwrap agree with
// encoding/json on what is valid, and never panic.
func FuzzRawHelpers(f *testing.F) {
	fuzzSeeds(f, `{"item":{"id":1}}`, `{"ITEMS":[1,2]}`, `[1,2]`, `{"a":1,"a":2}`, `{ }`, "\t[\n]")
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := json.RawMessage(data)
		k := rawjson.KindOf(raw)
		valid := json.Valid(data)
		if (k != rawjson.Invalid) != valid {
			t.Fatalf("KindOf(%q) = %v, json.Valid = %v", data, k, valid)
		}
		if rawjson.IsEmpty(raw) && !valid && strings.TrimSpace(string(data)) != "" {
			t.Fatalf("IsEmpty(%q) on invalid JSON", data)
		}
		if keys, err := rawjson.Keys(raw); err == nil {
			if k != rawjson.Object && k != rawjson.Array {
				t.Fatalf("Keys(%q) = %q for a %v", data, keys, k)
			}
		}
		for _, f := range []func(json.RawMessage, string) (json.RawMessage, error){rawjson.Unwrap, rawjson.UnwrapFold} {
			v, err := f(raw, "item")
			if err == nil && (k != rawjson.Object || !json.Valid(v)) {
				t.Fatalf("Unwrap(%q) = %q from a %v", data, v, k)
			}
		}
	})
}
