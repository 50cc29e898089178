package php

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// arr builds an Array from key, value pairs, in order.
func arr(kv ...any) *Array {
	a := NewArray()
	for i := 0; i < len(kv); i += 2 {
		a.Set(kv[i].(string), kv[i+1])
	}
	return a
}

// list builds an Array with keys "0".."n-1".
func list(vs ...any) *Array {
	a := NewArray()
	for _, v := range vs {
		a.Append(v)
	}
	return a
}

// dump writes a tree in a form that shows key order and value types, so that
// two trees are equal exactly when their dumps are.
func dump(v any) string {
	var sb strings.Builder
	dumpTo(&sb, v)
	return sb.String()
}

func dumpTo(sb *strings.Builder, v any) {
	switch t := v.(type) {
	case *Array:
		if t == nil {
			sb.WriteString("(*Array)(nil)")
			return
		}
		sb.WriteByte('{')
		i := 0
		for k, x := range t.All() {
			if i > 0 {
				sb.WriteByte(',')
			}
			i++
			sb.WriteString(strconv.Quote(k))
			sb.WriteByte(':')
			dumpTo(sb, x)
		}
		sb.WriteByte('}')
	case string:
		sb.WriteString(strconv.Quote(t))
	case json.Number:
		fmt.Fprintf(sb, "N(%s)", string(t))
	default:
		fmt.Fprintf(sb, "%T(%v)", v, v)
	}
}

func TestArraySetKeepsFirstPosition(t *testing.T) {
	// PHP: $a['x'] = 1; $a['y'] = 2; $a['x'] = 3; gives ['x' => 3, 'y' => 2].
	a := NewArray()
	a.Set("x", "1")
	a.Set("y", "2")
	a.Set("x", "3")
	if got, want := dump(a), `{"x":"3","y":"2"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if a.Len() != 2 {
		t.Errorf("Len = %d, want 2", a.Len())
	}
	if v, ok := a.Get("x"); !ok || v != "3" {
		t.Errorf("Get(x) = %v, %v", v, ok)
	}
	if _, ok := a.Get("z"); ok {
		t.Error("Get(z) found a value")
	}
}

func TestArrayAppend(t *testing.T) {
	tests := []struct {
		name string
		keys []string // Set before the appends
		n    int      // appends
		want []string // all keys afterwards
	}{
		{"empty array appends at 0", nil, 2, []string{"0", "1"}},
		{"after $a[5] the next index is 6", []string{"5"}, 1, []string{"5", "6"}},
		{"a lower key does not lower it", []string{"5", "2"}, 1, []string{"5", "2", "6"}},
		{"string keys do not count", []string{"x", "05", "1.5", "-0", "+3"}, 1, []string{"x", "05", "1.5", "-0", "+3", "0"}},
		{"PHP >= 8.3: after $a[-5] the next index is -4", []string{"-5"}, 2, []string{"-5", "-4", "-3"}},
		{"negative key after positive ones", []string{"3", "-5"}, 1, []string{"3", "-5", "4"}},
		{"appending fills from next, not from gaps", []string{"0", "2"}, 1, []string{"0", "2", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewArray()
			for _, k := range tt.keys {
				a.Set(k, "x")
			}
			for range tt.n {
				if !a.Append("y") {
					t.Fatal("Append failed")
				}
			}
			if got := a.Keys(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestArrayAppendAfterDeleteKeepsIndex(t *testing.T) {
	// PHP: unset() does not reset nNextFreeElement.
	a := list("a", "b", "c")
	a.Delete("2")
	a.Delete("1")
	a.Append("d")
	if got, want := dump(a), `{"0":"a","3":"d"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestArrayAppendAtMaxInt(t *testing.T) {
	// PHP: $a[PHP_INT_MAX] = 1; $a[] = 2; fails ("Cannot add element to the
	// array as the next element is already occupied").
	a := NewArray()
	a.Set(strconv.FormatInt(math.MaxInt64, 10), "x")
	if a.Append("y") {
		t.Errorf("Append succeeded: %s", dump(a))
	}
	b := NewArray()
	b.Set(strconv.FormatInt(math.MaxInt64-1, 10), "x")
	if !b.Append("y") {
		t.Fatal("first Append failed")
	}
	if b.Append("z") {
		t.Errorf("second Append succeeded: %s", dump(b))
	}
	if b.Len() != 2 {
		t.Errorf("Len = %d, want 2", b.Len())
	}
}

func TestArrayDeleteManyKeepsOrder(t *testing.T) {
	a := NewArray()
	for i := range 100 {
		a.Set("k"+strconv.Itoa(i), strconv.Itoa(i))
	}
	for i := range 100 {
		if i%10 != 3 {
			a.Delete("k" + strconv.Itoa(i))
		}
	}
	a.Delete("missing")
	want := []string{"k3", "k13", "k23", "k33", "k43", "k53", "k63", "k73", "k83", "k93"}
	if got := a.Keys(); !reflect.DeepEqual(got, want) {
		t.Errorf("keys = %q, want %q", got, want)
	}
	for _, k := range want {
		if v, ok := a.Get(k); !ok || v != k[1:] {
			t.Errorf("Get(%s) = %v, %v", k, v, ok)
		}
	}
	a.Set("k0", "new")
	if got := a.Keys(); got[len(got)-1] != "k0" || len(got) != 11 {
		t.Errorf("keys after re-adding = %q", got)
	}
}

func TestArrayIsList(t *testing.T) {
	tests := []struct {
		name string
		a    *Array
		want bool
	}{
		{"empty", NewArray(), true},
		{"nil", nil, true},
		{"0,1,2", list("a", "b", "c"), true},
		{"0 and 1 set out of order", arr("1", "b", "0", "a"), false},
		{"gap", arr("0", "a", "2", "c"), false},
		{"starts at 1", arr("1", "a"), false},
		{"string key", arr("0", "a", "x", "b"), false},
		{"after deleting the last", func() *Array { a := list("a", "b"); a.Delete("1"); return a }(), true},
		{"after deleting the first", func() *Array { a := list("a", "b"); a.Delete("0"); return a }(), false},
	}
	for _, tt := range tests {
		if got := tt.a.IsList(); got != tt.want {
			t.Errorf("%s: IsList = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestArrayToAny(t *testing.T) {
	a := arr("x", list("1", json.Number("2"), true, nil), "y", arr("k", NewArray()))
	want := map[string]any{
		"x": []any{"1", json.Number("2"), true, nil},
		"y": map[string]any{"k": []any{}},
	}
	if got := a.ToAny(); !reflect.DeepEqual(got, want) {
		t.Errorf("ToAny = %#v, want %#v", got, want)
	}
	if got := NewArray().ToAny(); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("empty ToAny = %#v", got)
	}
}

func TestIntKey(t *testing.T) {
	// PHP's ZEND_HANDLE_NUMERIC_STR: only canonical decimal int64 text.
	tests := []struct {
		key  string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{"-7", -7, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"07", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"0x1", 0, false},
	}
	for _, tt := range tests {
		got, ok := IntKey(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("IntKey(%q) = %d, %v; want %d, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestArrayJSONMarshalers(t *testing.T) {
	var s struct {
		A *Array `json:"a"`
	}
	if err := json.Unmarshal([]byte(`{"a":{"z":1,"b":[2],"a":"<"}}`), &s); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(s.A), `{"z":N(1),"b":{"0":N(2)},"a":"<"}`; got != want {
		t.Errorf("decoded %s, want %s", got, want)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json compacts and HTML-escapes the MarshalJSON output; the
	// order and the PHP escapes survive.
	if got, want := string(out), `{"a":{"z":1,"b":[2],"a":"\u003C"}}`; got != want {
		t.Errorf("marshalled %s, want %s", got, want)
	}
	var a Array
	if err := a.UnmarshalJSON([]byte(`"x"`)); err == nil {
		t.Error("UnmarshalJSON of a string succeeded")
	}
}
