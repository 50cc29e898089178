package php

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // dump
	}{
		{"object keeps key order", `{"b":1,"a":[true,false,null],"c":"x"}`,
			`{"b":N(1),"a":{"0":bool(true),"1":bool(false),"2":<nil>(<nil>)},"c":"x"}`},
		{"duplicate key: last value, first position", `{"a":1,"b":2,"a":3}`, `{"a":N(3),"b":N(2)}`},
		{"integer-like keys are integer keys", `{"0":"a","1":"b"}`, `{"0":"a","1":"b"}`},
		{"empty object and array are both empty arrays", `[{},[]]`, `{"0":{},"1":{}}`},
		{"empty key is allowed in assoc mode", `{"":1}`, `{"":N(1)}`},
		{"numbers keep their text", `[-0,1.50,1e400,12345678901234567890,-2E-3]`,
			`{"0":N(-0),"1":N(1.50),"2":N(1e400),"3":N(12345678901234567890),"4":N(-2E-3)}`},
		{"top-level scalar", ` "x" `, `"x"`},
		{"top-level number", "\n\t42\r ", `N(42)`},
		{"escapes", `"\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00\u0000"`, `"\"\\/\b\f\n\r\té€😀\x00"`},
		{"raw UTF-8", `"Сделка"`, `"Сделка"`},
		{"whitespace everywhere", " { \"a\" : [ 1 , 2 ] } ", `{"a":{"0":N(1),"1":N(2)}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := DecodeJSON([]byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeJSON(%s): %v", tt.in, err)
			}
			if got := dump(v); got != tt.want {
				t.Errorf("DecodeJSON(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
	// PHP: {"0":"a","1":"b"} and ["a","b"] are the same array.
	x, _ := DecodeJSON([]byte(`{"0":"a","1":"b"}`))
	y, _ := DecodeJSON([]byte(`["a","b"]`))
	if dump(x) != dump(y) {
		t.Errorf("%s != %s", dump(x), dump(y))
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		is   error // nil: any *SyntaxError
	}{
		{"empty input", ``, nil},
		{"only whitespace", "  ", nil},
		{"trailing garbage", `{} x`, nil},
		{"two values", `1 2`, nil},
		{"trailing comma in array", `[1,]`, nil},
		{"trailing comma in object", `{"a":1,}`, nil},
		{"unquoted key", `{a:1}`, nil},
		{"number key", `{1:2}`, nil},
		{"missing colon", `{"a" 1}`, nil},
		{"leading zero", `01`, nil},
		{"bare minus", `-`, nil},
		{"no fraction digits", `1.`, nil},
		{"no integer part", `.5`, nil},
		{"no exponent digits", `1e+`, nil},
		{"plus sign", `+1`, nil},
		{"literals are case-sensitive", `TRUE`, nil},
		{"truncated literal", `nul`, nil},
		{"unterminated string", `"abc`, nil},
		{"unterminated array", `[1`, nil},
		{"invalid escape", `"\x"`, nil},
		{"short \\u escape", `"\u12"`, nil},
		{"raw control character", "\"a\x01b\"", nil},
		{"raw newline", "\"a\nb\"", nil},
		{"single quotes", `'a'`, nil},
		{"JSON_ERROR_UTF8: invalid byte", "\"\xff\"", ErrUTF8},
		{"JSON_ERROR_UTF8: after an escape", "\"\\n\xc3\"", ErrUTF8},
		{"JSON_ERROR_UTF8: encoded surrogate", "\"\xed\xa0\x80\"", ErrUTF8},
		{"JSON_ERROR_UTF8: in a key", "{\"\xfe\":1}", ErrUTF8},
		{"JSON_ERROR_UTF16: lone high surrogate", `"\ud800"`, ErrUTF16},
		{"JSON_ERROR_UTF16: high then non-surrogate", `"\ud800\u0041"`, ErrUTF16},
		{"JSON_ERROR_UTF16: lone low surrogate", `"\udc00"`, ErrUTF16},
		{"JSON_ERROR_UTF16: two highs", `"\ud800\ud800"`, ErrUTF16},
		{"JSON_ERROR_DEPTH: 513 levels", strings.Repeat("[", 513) + strings.Repeat("]", 513), ErrDepth},
		{"JSON_ERROR_DEPTH: objects", strings.Repeat(`{"a":`, 513) + "1" + strings.Repeat("}", 513), ErrDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := DecodeJSON([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeJSON(%q) = %s, want an error", tt.in, dump(v))
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("error %v is not a *SyntaxError", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
	// 512 levels are accepted.
	if _, err := DecodeJSON([]byte(strings.Repeat("[", 512) + strings.Repeat("]", 512))); err != nil {
		t.Errorf("512 levels: %v", err)
	}
}

func TestEncodeJSONStrings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain ASCII", "abc 123", `"abc 123"`},
		{"empty", "", `""`},
		{"slash escaped without JSON_UNESCAPED_SLASHES", "a/b", `"a\/b"`},
		{"JSON_HEX_TAG", "<b>", `"\u003Cb\u003E"`},
		{"JSON_HEX_AMP", "a&b", `"a\u0026b"`},
		{"JSON_HEX_APOS", "it's", `"it\u0027s"`},
		{"JSON_HEX_QUOT", `say "hi"`, `"say \u0022hi\u0022"`},
		{"backslash", `a\b`, `"a\\b"`},
		{"named control escapes", "\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"other control characters in lower-case hex", "\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"DEL is not escaped", "\x7f", "\"\x7f\""},
		{"non-ASCII in lower-case hex", "Сделка é", `"\u0421\u0434\u0435\u043b\u043a\u0430 \u00e9"`},
		{"BMP above U+0FFF", "€\uffff", `"\u20ac\uffff"`},
		{"above U+FFFF as a surrogate pair", "😀\U0010FFFF", `"\ud83d\ude00\udbff\udfff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeJSON(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("EncodeJSON(%q) = %s, want %s", tt.in, got, tt.want)
			}
			var back string
			if err := json.Unmarshal(got, &back); err != nil || back != tt.in {
				t.Errorf("encoding/json reads %s as %q, %v", got, back, err)
			}
		})
	}
	for _, bad := range []string{"\xff", "a\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"} {
		if got, err := EncodeJSON(bad); !errors.Is(err, ErrUTF8) {
			t.Errorf("EncodeJSON(%q) = %s, %v; want ErrUTF8", bad, got, err)
		}
		if _, err := EncodeJSON(arr(bad, "x")); !errors.Is(err, ErrUTF8) {
			t.Errorf("EncodeJSON of key %q: err = %v; want ErrUTF8", bad, err)
		}
	}
}

func TestEncodeJSONFloats(t *testing.T) {
	// PHP json_encode with serialize_precision = -1 (php_gcvt, mode 0,
	// precision 17), without JSON_PRESERVE_ZERO_FRACTION.
	tests := []struct {
		in   float64
		want string
	}{
		{0.1, "0.1"},
		{0.024296045303344727, "0.024296045303344727"},
		{1757424672.203906, "1757424672.203906"},
		{0.694180965423584, "0.694180965423584"},
		{1.5, "1.5"},
		{-2.25, "-2.25"},
		{100.25, "100.25"},
		{3.0, "3"},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{0.0001, "0.0001"},
		{0.00012, "0.00012"},
		{0.00001, "1.0e-5"},
		{-2.5e-7, "-2.5e-7"},
		{1e16, "10000000000000000"},
		{1e17, "1.0e+17"},
		{123456789012345678, "1.2345678901234568e+17"},
		{12345678901234567, "12345678901234568"},
		{1e25, "1.0e+25"},
		{1.5e300, "1.5e+300"},
		{5e-324, "5.0e-324"}, // shortest digits, as zend_dtoa mode 0 gives
		{math.MaxFloat64, "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		got, err := EncodeJSON(tt.in)
		if err != nil {
			t.Errorf("EncodeJSON(%v): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("EncodeJSON(%v) = %s, want %s", tt.in, got, tt.want)
		}
		var back float64
		if err := json.Unmarshal(got, &back); err != nil || back != tt.in {
			t.Errorf("%s reads back as %v, %v", got, back, err)
		}
	}
	if got, err := EncodeJSON(float32(0.1)); err != nil || string(got) != "0.1" {
		t.Errorf("float32(0.1) = %s, %v", got, err)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := EncodeJSON(f); !errors.Is(err, ErrInfOrNaN) {
			t.Errorf("EncodeJSON(%v): err = %v", f, err)
		}
	}
}

func TestEncodeJSONValues(t *testing.T) {
	self := NewArray()
	self.Set("me", self)
	type inner struct {
		URL string `json:"url"`
	}
	tests := []struct {
		name string
		in   any
		want string // "" means an error is expected
	}{
		{"nil", nil, `null`},
		{"bools", []any{true, false}, `[true,false]`},
		{"Go integers", []any{int8(-8), uint16(16), int64(math.MinInt64), uint64(math.MaxUint64)},
			`[-8,16,-9223372036854775808,18446744073709551615]`},
		{"json.Number verbatim", []any{json.Number("1.0"), json.Number("1e400")}, `[1.0,1e400]`},
		{"invalid json.Number", json.Number("1x"), ""},
		{"empty json.Number", json.Number(""), ""},
		{"list array", list("a", "b"), `["a","b"]`},
		{"object array in key order", arr("z", "1", "a", "2"), `{"z":"1","a":"2"}`},
		{"keys 1,0 are an object", arr("1", "b", "0", "a"), `{"1":"b","0":"a"}`},
		{"empty array is []", NewArray(), `[]`},
		{"nil *Array", (*Array)(nil), `null`},
		{"nested", arr("a", list(arr("x", nil)), "b", NewArray()), `{"a":[{"x":null}],"b":[]}`},
		{"key escaping", arr("</a>", "é"), `{"\u003C\/a\u003E":"\u00e9"}`},
		{"map: sorted keys", map[string]any{"b": 1, "a": 2}, `{"a":2,"b":1}`},
		{"map: empty is []", map[string]any{}, `[]`},
		{"map: nil is []", map[string]any(nil), `[]`},
		{"map: keys 0..n-1 are a list", map[string]any{"1": "b", "0": "a"}, `["a","b"]`},
		{"map: keys 0..10 sort as strings", map[string]any{"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9, "10": 10},
			`{"0":0,"1":1,"10":10,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9}`},
		{"slice", []any{"a", 1.5, nil}, `["a",1.5,null]`},
		{"empty slice", []any{}, `[]`},
		{"struct: field order, escaping", struct {
			Z string `json:"z"`
			A inner  `json:"a"`
		}{"<&>", inner{"https://x/y"}}, `{"z":"\u003C\u0026\u003E","a":{"url":"https:\/\/x\/y"}}`},
		{"time.Time via its JSON form", time.Date(2024, 8, 30, 14, 29, 0, 0, time.FixedZone("", 2*3600)),
			`"2024-08-30T14:29:00+02:00"`},
		{"typed map", map[string]int{"b": 1, "a": 2}, `{"a":2,"b":1}`},
		{"typed slice", []string{"x/y"}, `["x\/y"]`},
		{"typed nil slice is null (encoding/json)", []string(nil), `null`},
		{"json.RawMessage keeps its order", json.RawMessage(`{"z":1,"a":"</","n":1.0}`), `{"z":1,"a":"\u003C\/","n":1.0}`},
		{"invalid json.RawMessage", json.RawMessage(`{`), ""},
		{"unsupported type", make(chan int), ""},
		{"array containing itself", self, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeJSON(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("EncodeJSON = %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("EncodeJSON: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("EncodeJSON\n got %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func TestEncodeJSONDepth(t *testing.T) {
	build := func(n int) *Array {
		a := NewArray()
		for range n - 1 {
			a = list(a)
		}
		return a
	}
	if got, err := EncodeJSON(build(MaxJSONDepth)); err != nil || len(got) != 2*MaxJSONDepth {
		t.Errorf("512 levels: %d bytes, %v", len(got), err)
	}
	if _, err := EncodeJSON(build(MaxJSONDepth + 1)); !errors.Is(err, ErrDepth) {
		t.Errorf("513 levels: err = %v", err)
	}
}

// toGo converts a DecodeJSON tree to what encoding/json decodes (with
// UseNumber) from EncodeJSON's output.
func toGo(v any) any {
	if a, ok := v.(*Array); ok {
		return a.ToAny()
	}
	return v
}

// FuzzJSONRoundTrip checks that DecodeJSON is never looser than
// encoding/json, and that for whatever it accepts EncodeJSON writes valid,
// pure-ASCII JSON with the PHP escapes, which DecodeJSON reads back as the
// same tree and encoding/json as the same values.
func FuzzJSONRoundTrip(f *testing.F) {
	f.Add([]byte(`{"a":[1,"<\/é😀>",null,true],"0":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeJSON(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("DecodeJSON accepted %q, which encoding/json rejects", data)
		}
		out, err := EncodeJSON(v)
		if err != nil {
			t.Fatalf("EncodeJSON(%s): %v", dump(v), err)
		}
		if !json.Valid(out) {
			t.Fatalf("EncodeJSON wrote invalid JSON %q", out)
		}
		for i := 0; i < len(out); i++ {
			c := out[i]
			if c == '\\' {
				i++ // the escaped character
				continue
			}
			if c >= 0x80 || c < 0x20 || strings.IndexByte(`/<>&'`, c) >= 0 {
				t.Fatalf("EncodeJSON wrote %q unescaped: %q", c, out)
			}
		}
		back, err := DecodeJSON(out)
		if err != nil {
			t.Fatalf("DecodeJSON(%q): %v", out, err)
		}
		if dump(back) != dump(v) {
			t.Fatalf("round trip through %q\n got %s\nwant %s", out, dump(back), dump(v))
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var std any
		if err := dec.Decode(&std); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if !reflect.DeepEqual(std, toGo(v)) {
			t.Fatalf("encoding/json reads %q as %#v, want %#v", out, std, toGo(v))
		}
	})
}
