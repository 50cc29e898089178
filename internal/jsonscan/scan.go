// Package jsonscan is the one JSON scanner of the module: it finds values
// in a JSON text without decoding them, on the bytes given (nothing is
// copied: every value returned is a sub-slice of the input). The list engine
// splits pages into rows and reads ids with it; package rawjson and the
// value types read objects with it.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrBadJSON is the error of a text that is not the JSON expected.
var ErrBadJSON = errors.New("malformed JSON")

// IsSpace reports whether c is one of JSON's four whitespace bytes.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Trim removes JSON whitespace around a value.
func Trim(b []byte) []byte {
	for len(b) > 0 && IsSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && IsSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// IsEmptyForm reports whether the trimmed JSON text b is one of the five
// empty spellings: null, "", false, [] or {} (whitespace allowed inside the
// brackets).
func IsEmptyForm(b []byte) bool {
	switch string(b) {
	case "null", `""`, "false":
		return true
	}
	if len(b) < 2 {
		return false
	}
	if (b[0] != '[' || b[len(b)-1] != ']') && (b[0] != '{' || b[len(b)-1] != '}') {
		return false
	}
	for _, c := range b[1 : len(b)-1] {
		if !IsSpace(c) {
			return false
		}
	}
	return true
}

// Key returns the text of a raw JSON key or string (with its quotes),
// decoding escapes only when it has some.
// The text is json.Unmarshal's: escapes decoded, bytes of invalid UTF-8
// replaced by U+FFFD.
func Key(raw []byte) string {
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	if s, ok := Unquote(raw); ok {
		return s
	}
	return string(raw)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := stringEnd(b, i+1); j < len(b); j = stringEnd(b, j) {
		switch b[j] {
		case '\\':
			j += 2
		case '"':
			return j + 1, nil
		default:
			j++
		}
	}
	return 0, ErrBadJSON
}

// SkipValue returns the index after the value starting at b[i] (no leading space).
func SkipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, ErrBadJSON
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, ErrBadJSON
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
			j++
		}
		if j == i {
			return 0, ErrBadJSON
		}
		return j, nil
	}
}

// EachMember calls f for each member of the object b (keys raw, with quotes).
func EachMember(b []byte, f func(key, val []byte) bool) error {
	i := skipSpace(b, 0)
	stop := false
	_, err := Members(b, i, func(key []byte, at int) (int, error) {
		end, err := SkipValue(b, at)
		if err == nil && !f(key, b[at:end]) {
			stop = true
			return end, errStop
		}
		return end, err
	})
	if stop {
		return nil
	}
	return err
}

// errStop ends Members early (EachMember's f returned false).
var errStop = errors.New("stop")

// Members reads the object that starts at b[i] and returns the index after
// it. For each member it calls f with the raw key (with quotes) and the
// index of the value's first byte; f returns the index after the value, so
// that it can split the value while it passes it (SkipValue only passes it)
// instead of the value being passed twice. An error of f ends the reading
// and is returned.
func Members(b []byte, i int, f func(key []byte, at int) (int, error)) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return 0, ErrBadJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return 0, ErrBadJSON
		}
		kEnd, err := skipString(b, i)
		if err != nil {
			return 0, err
		}
		key := b[i:kEnd]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return 0, ErrBadJSON
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return 0, ErrBadJSON
		}
		vEnd, err := f(key, i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		return 0, ErrBadJSON
	}
	return 0, ErrBadJSON
}

// IsPlainASCII reports whether the content of a JSON string (without its
// quotes) is ASCII without a backslash: text that reads as it is written.
func IsPlainASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

// EqualFoldASCII is strings.EqualFold for two ASCII texts (a key without
// escapes matched against a field name, as encoding/json folds it).
func EqualFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// KeyIs reports whether the raw JSON key (with quotes) is name.
func KeyIs(raw []byte, name string) bool {
	if len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name {
		return true
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return false
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && s == name
}

// Field returns the value of the top-level member name of the object b.
func Field(b []byte, name string) ([]byte, bool, error) {
	var out []byte
	found := false
	err := EachMember(b, func(k, v []byte) bool {
		if KeyIs(k, name) {
			out, found = v, true
			return false
		}
		return true
	})
	return out, found, err
}

// Elements splits the JSON array b into its elements. An object (PHP's
// serialisation of a list that is not 0..n-1, or of an empty array as {})
// gives its member values in order.
func Elements(b []byte) ([][]byte, error) {
	out, err := AppendElements(nil, b)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// AppendElements is Elements appending to out: a caller that splits page
// after page reuses one slice. On an error out holds what was appended.
func AppendElements(out [][]byte, b []byte) ([][]byte, error) {
	i := skipSpace(b, 0)
	if i >= len(b) {
		return out, ErrBadJSON
	}
	if b[i] == '{' {
		err := EachMember(b[i:], func(_, v []byte) bool { out = append(out, v); return true })
		return out, err
	}
	if b[i] != '[' {
		return out, ErrBadJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, nil
	}
	if out == nil {
		out = make([][]byte, 0, 50)
	}
	for i < len(b) {
		end, err := SkipValue(b, i)
		if err != nil {
			return out, err
		}
		out = append(out, b[i:end])
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return out, nil
		}
		return out, ErrBadJSON
	}
	return out, ErrBadJSON
}

// FoldKey lower-cases s and drops underscores: the comparison of
// UPPER_SNAKE and camelCase keys (rawjson.UnwrapFold, b24.Multifield).
func FoldKey(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		if r == '_' {
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// Unquote returns the text of the JSON string raw (with its quotes) as
// json.Unmarshal into a string gives it: escapes decoded (a lone or
// broken surrogate as U+FFFD), bytes of invalid UTF-8 as U+FFFD; ok is
// false for a text that is not one valid JSON string (FuzzUnquote).
func Unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	s := raw[1 : len(raw)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\':
			r, n := unescape(s[i:])
			if n == 0 {
				return "", false
			}
			out = utf8.AppendRune(out, r)
			i += n
		case c == '"' || c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, r)
			i += n
		}
	}
	return string(out), true
}

// unescape decodes the escape at the start of s; n is 0 when it is not one.
func unescape(s []byte) (r rune, n int) {
	if len(s) < 2 {
		return 0, 0
	}
	switch s[1] {
	case '"', '\\', '/':
		return rune(s[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r := hex4(s[2:])
		if r < 0 {
			return 0, 0
		}
		if utf16.IsSurrogate(r) {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2 := hex4(s[8:]); r2 >= 0 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						return dec, 12
					}
				}
			}
			return utf8.RuneError, 6
		}
		return r, 6
	}
	return 0, 0
}

// hex4 reads four hex digits; -1 if s does not start with four.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// SkipArray is SkipValue for the array that starts at b[i] that also
// appends where each element starts and ends to spans, as offsets from i
// (two a row), so that a caller that must pass an array anyway splits it
// in the same pass (a batch's list pages). spans is returned as it was
// given when an offset would not fit in 32 bits.
func SkipArray(b []byte, i int, spans []uint32) (int, []uint32, error) {
	if i >= len(b) || b[i] != '[' {
		return 0, spans, ErrBadJSON
	}
	n := len(spans)
	if len(b)-i > 1<<32-1 {
		end, err := SkipValue(b, i)
		return end, spans, err
	}
	j := skipSpace(b, i+1)
	if j < len(b) && b[j] == ']' {
		return j + 1, spans, nil
	}
	for j < len(b) {
		end, err := SkipValue(b, j)
		if err != nil {
			return 0, spans[:n], err
		}
		spans = append(spans, uint32(j-i), uint32(end-i))
		j = skipSpace(b, end)
		if j < len(b) && b[j] == ',' {
			j = skipSpace(b, j+1)
			continue
		}
		if j < len(b) && b[j] == ']' {
			return j + 1, spans, nil
		}
		return 0, spans[:n], ErrBadJSON
	}
	return 0, spans[:n], ErrBadJSON
}
