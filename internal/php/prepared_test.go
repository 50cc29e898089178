package php

import (
	"encoding/json"
	"testing"
)

// TestTemplate: a template's query with a string in place of the
// placeholder is the query of the value holding that string; a placeholder
// found twice, or a value that does not encode, makes no template; a
// Prepared value encodes to its query and marshals as its value.
func TestTemplate(t *testing.T) {
	const ph = "PH_x-1"
	value := func(s string) map[string]any {
		return map[string]any{"filter": map[string]any{">ID": s, "%TITLE": "a b&c"}, "select": []any{"ID", "*"}, "start": -1}
	}
	tmpl, ok := NewTemplate(value(ph), ph)
	if !ok {
		t.Fatal("no template")
	}
	for _, s := range []string{"$result[p0][49][ID]", "", "ü&=[]%", ph} {
		want, err := Encode(value(s))
		if got := tmpl.With(s); err != nil || got != want {
			t.Errorf("With(%q) = %q, Encode %q (%v)", s, got, want, err)
		}
	}
	for _, v := range []any{
		map[string]any{"a": ph, "b": ph},      // twice
		map[string]any{"a": ph + "x"},         // once, inside another value: still once, still exact
		map[string]any{"a": ph, "b": []any{}}, // does not encode
	} {
		_, ok := NewTemplate(v, ph)
		if want := len(v.(map[string]any)) == 1; ok != want {
			t.Errorf("NewTemplate(%v) ok = %v, want %v", v, ok, want)
		}
	}
	if _, ok := NewTemplate(value("x"), "a b"); ok {
		t.Error("a placeholder that encodes differently made a template")
	}
	p := Prepared{V: value("1"), Query: "q=1"}
	if q, err := Encode(p); q != "q=1" || err != nil {
		t.Errorf("Encode(Prepared) = %q, %v", q, err)
	}
	got, _ := json.Marshal(p)
	want, _ := json.Marshal(p.V)
	if string(got) != string(want) {
		t.Errorf("json.Marshal(Prepared) = %s, want %s", got, want)
	}
}
