package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for _, s := range []string{
		``, ` `, `{}`, `[]`, ` { } `, `[ ]`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1,]`, `[,1]`, `[1 2]`,
		`{"a":[1,{"b":null}],"c":"d"}`, `{"a":{"b":{}}}`, `[[[]]]`, `[[]`, `[]]`, `{"a":1}}`, `{"a":1]`, `[1}`,
		`0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e10`, `1.5.5`, `+1`,
		`true`, `tru`, `truex`, `false`, `null`, `nul`, `nulll`, `true false`,
		`""`, `"a"`, `"a`, `"\"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u00e9"`, `"\u00g9"`, `"\u00e"`, `"\x"`,
		"\"\x01\"", "\"\x7f\"", "\"\xff\xfe\"", "\"é\"", "\t[1]\r\n", "[1]\x00", `"abcdefgh"`, `"abcdefg\"h"`,
		`{"a":"b","c":["d",1,true,null,{"e":-2.5E-3}]}`, `{"":""}`, `{"a":1 "b":2}`,
	} {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%q) = %v, json.Valid says %v", s, got, want)
		}
	}
}

// TestValidDepth: nesting up to encoding/json's limit is valid, one level
// more is not, as for json.Valid.
func TestValidDepth(t *testing.T) {
	for _, depth := range []int{63, 64, 65, maxDepth, maxDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			closer := map[string]string{"[": "]", `{"a":`: "}"}[open]
			b := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closer, depth))
			if got, want := Valid(b), json.Valid(b); got != want {
				t.Errorf("depth %d of %s: Valid = %v, json.Valid = %v", depth, open, got, want)
			}
			empty := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
			if got, want := Valid(empty), json.Valid(empty); got != want {
				t.Errorf("depth %d of []: Valid = %v, json.Valid = %v", depth, got, want)
			}
		}
	}
}

func TestValidAllocs(t *testing.T) {
	b := []byte(`{"result":{"p0":[{"ID":"1","TITLE":"a \"b\" \u00e9"}],"p1":[]},"total":[1,2.5e3,true,null]}`)
	if n := testing.AllocsPerRun(100, func() { Valid(b) }); n != 0 {
		t.Errorf("Valid allocates %v times a call", n)
	}
}

// FuzzValid: Valid accepts exactly what json.Valid accepts.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"d"}`, `[1,2`, `"\u00e9\n"`, `-1.5e+10`, `{"a" : true }`, "\"\xff\"", `01`, `[[]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

func BenchmarkValid(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"result":{"result":{`)
	for p := range 50 {
		if p > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"p` + string(rune('0'+p%10)) + `":[`)
		for r := range 50 {
			if r > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`{"ID":"123456","TITLE":"Deal number 123456","STAGE_ID":"C1:NEW","OPPORTUNITY":"15000.00"}`)
		}
		sb.WriteString(`]`)
	}
	sb.WriteString(`}}}`)
	data := []byte(sb.String())
	b.Run("jsonscan", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			Valid(data)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			json.Valid(data)
		}
	})
}

// FuzzAppendCompact: for every text Valid accepts, AppendCompact writes
// what json.Compact writes.
func FuzzAppendCompact(f *testing.F) {
	for _, s := range []string{` { "a" : [ 1 , "b c" ] , "d\"e" : null } `, "\t[\n]\r\n", `"  "`, `{"ID":"1","TITLE":"Deal 1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !Valid(b) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, b); err != nil {
			t.Fatalf("json.Compact(%q): %v", b, err)
		}
		if got := AppendCompact([]byte("x"), b); string(got) != "x"+want.String() {
			t.Fatalf("AppendCompact(%q) = %q, json.Compact: %q", b, got[1:], want.Bytes())
		}
	})
}

// FuzzUnquote: Unquote reads a JSON string as json.Unmarshal does, and
// fails where it fails.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"a"`, `"crm.deal.list?a=1\u0026b=2"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ude00\ud83d"`,
		`"\"\\\/\b\f\n\r\t"`, "\"\xff\xfe\"", `"a"b"`, `"\x"`, `"\u12"`, "\"\t\"", `"`, `""`, `"é"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = Trim(b)
		var want string
		werr := json.Unmarshal(b, &want)
		got, ok := Unquote(b)
		if ok != (werr == nil) || ok && got != want {
			t.Fatalf("Unquote(%q) = %q, %v; json.Unmarshal: %q, %v", b, got, ok, want, werr)
		}
	})
}
