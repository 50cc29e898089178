package jsonscan

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzSkipArray: on a valid text that is a list, SkipArray ends where
// SkipValue ends and its spans are the elements Elements gives, offset by
// where the list starts; spans given before are kept.
func FuzzSkipArray(f *testing.F) {
	for _, s := range []string{`[]`, `[ ]`, `[1]`, ` [ {"a":[1,2]} , "x\"]" ,null,[[]]] `, `[{"ID":"1","T":"a,b"},{"ID":"2"}]`, `{"a":1}`, `"["`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !Valid(b) {
			return
		}
		i := skipSpace(b, 0)
		before := []uint32{7, 9}
		end, spans, err := SkipArray(b, i, before)
		if b[i] != '[' {
			if err == nil {
				t.Fatalf("SkipArray(%q) of a %c: no error", b, b[i])
			}
			return
		}
		want, werr := SkipValue(b, i)
		if err != nil || werr != nil || end != want {
			t.Fatalf("SkipArray(%q) = %d, %v; SkipValue: %d, %v", b, end, err, want, werr)
		}
		if !reflect.DeepEqual(spans[:2], []uint32{7, 9}) || len(spans)%2 != 0 {
			t.Fatalf("SkipArray(%q) lost the spans given: %v", b, spans)
		}
		elems, err := Elements(b[i:end])
		if err != nil {
			t.Fatalf("Elements(%q): %v", b[i:end], err)
		}
		var got [][]byte
		for k := 2; k < len(spans); k += 2 {
			got = append(got, b[i+int(spans[k]):i+int(spans[k+1])])
		}
		if len(got) != len(elems) {
			t.Fatalf("SkipArray(%q): %q, Elements: %q", b, got, elems)
		}
		for k := range got {
			if !bytes.Equal(got[k], elems[k]) {
				t.Fatalf("SkipArray(%q): %q, Elements: %q", b, got, elems)
			}
		}
	})
}

// TestSkipArrayBad: a text that is not a list, or a list cut short, is an
// error, and the spans given come back as they were.
func TestSkipArrayBad(t *testing.T) {
	for _, s := range []string{``, `{}`, `[1,`, `[1 2]`, `["a]`, `[{"a":1}`, `[1}`} {
		_, spans, err := SkipArray([]byte(s), 0, []uint32{1, 2})
		if err == nil || len(spans) != 2 {
			t.Errorf("SkipArray(%q) = %v, %v; want an error and the spans given", s, spans, err)
		}
	}
}
