package main

import (
	"unicode/utf16"
	"unicode/utf8"
)

// unescapeJSON returns the valid JSON text b with the \uXXXX escapes of its
// strings (PHP's "\u0421\u0434") written as the characters they stand for,
// and "\/" as "/" ("\u0022" as "\""). Everything else is kept byte for byte: key order, number
// text, whitespace, and the escapes JSON needs (\", \\, control characters,
// lone surrogates).
func unescapeJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString := false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if !inString {
			out = append(out, ch)
			inString = ch == '"'
			continue
		}
		switch {
		case ch == '"':
			out = append(out, ch)
			inString = false
		case ch != '\\' || i+1 >= len(b):
			out = append(out, ch)
		case b[i+1] == '/':
			out = append(out, '/')
			i++
		case b[i+1] == 'u':
			if r, ok := hex4(b[i:]); ok && (r == '"' || r == '\\') {
				out = append(out, '\\', byte(r)) // PHP's JSON_HEX_QUOT
				i += 5
				continue
			}
			r, n := escapedRune(b[i:])
			if n == 0 { // keep the escape; its hex digits follow as they are
				out = append(out, '\\', 'u')
				i++
				continue
			}
			out = utf8.AppendRune(out, r)
			i += n - 1
		default: // \" \\ \b \f \n \r \t
			out = append(out, ch, b[i+1])
			i++
		}
	}
	return out
}

// escapedRune decodes the \uXXXX escape at the start of b, or a surrogate
// pair of two, into a rune that may stand as itself in a JSON string; n is
// the escape's length, 0 when it must stay escaped.
func escapedRune(b []byte) (r rune, n int) {
	r1, ok := hex4(b)
	if !ok {
		return 0, 0
	}
	switch {
	case r1 < 0x20 || r1 == '"' || r1 == '\\':
		return 0, 0
	case utf16.IsSurrogate(r1):
		r2, ok := hex4(b[6:])
		if !ok {
			return 0, 0
		}
		if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
			return r, 12
		}
		return 0, 0
	}
	return r1, 6
}

// hex4 reads "\uXXXX" at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
