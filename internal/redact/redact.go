// Package redact finds and masks every echo of the webhook secret in bytes,
// strings and headers that came from the portal: in any letter case,
// percent-encoded or JSON-escaped (see Find).
package redact

import (
	"bytes"
	"net/http"
	"strings"
)

// Mask is what stands in place of an echo of the secret.
const Mask = "****"

// An echo of the webhook secret need not be byte for byte: a portal or a
// proxy may change its letter case, percent-encode any of its characters
// (%xx, either hex case) or write them as JSON escapes (\u00xx, also the
// '%' and hex digits of a percent-encoding). Find finds all of these
// forms; the secret's characters need no escaping anywhere (checkSecret), so
// "****" in place of an echo keeps a JSON string or a URL valid.

// Find returns the first echo of sec in b at or after from, or -1.
// It skips whole JSON escapes it does not match, so that a replacement
// never starts inside one.
//
// The bytes an echo can start with are searched for (bytes.IndexByte);
// when they are frequent in b (a digit in a list of numbers), each costs
// a search and a check, and Find goes on with findDense instead.
func Find(b []byte, sec string, from int) (start, end int) {
	first := [4]byte{lowerASCII(sec[0]), upperASCII(sec[0]), '%', '\\'}
	next := [4]int{-2, -2, -2, -2} // next position of each byte of first; -1: none left, -2: not searched
	begin, checked := from, 0
	for from < len(b) {
		if checked++; checked > 16+(from-begin)/32 {
			return findDense(b, sec, from)
		}
		i := -1
		for k, c := range first {
			if next[k] == -2 || next[k] >= 0 && next[k] < from {
				next[k] = -1
				if j := bytes.IndexByte(b[from:], c); j >= 0 {
					next[k] = from + j
				}
			}
			if next[k] >= 0 && (i < 0 || next[k] < i) {
				i = next[k]
			}
		}
		if i < 0 {
			return -1, -1
		}
		if e := matchSecret(b, i, sec); e > 0 {
			return i, e
		}
		from = i + 1
		if b[i] == '\\' {
			from = i + escapeLen(b, i)
		}
	}
	return -1, -1
}

// findDense is Find by one pass over b that checks a position only when
// its byte can start an echo and, for the secret's first character, the
// next byte can go on with it (a byte table each): the same echoes and
// the same escapes skipped as Find (FuzzFind), at a cost per byte rather
// than per candidate.
func findDense(b []byte, sec string, from int) (start, end int) {
	var cand, second [256]bool // cand: the bytes an echo starts with
	cand[lowerASCII(sec[0])], cand[upperASCII(sec[0])], cand['%'], cand['\\'] = true, true, true, true
	one := len(sec) == 1 // any byte, or none, may follow a one-character echo
	if !one {
		second[lowerASCII(sec[1])], second[upperASCII(sec[1])], second['%'], second['\\'] = true, true, true, true
	}
	for i := from; i < len(b); i++ {
		c := b[i]
		if !cand[c] || c != '%' && c != '\\' && !one && (i+1 == len(b) || !second[b[i+1]]) {
			continue
		}
		if e := matchSecret(b, i, sec); e > 0 {
			return i, e
		}
		if c == '\\' {
			i += escapeLen(b, i) - 1
		}
	}
	return -1, -1
}

// matchSecret returns the end of an echo of sec starting at b[i], or -1.
func matchSecret(b []byte, i int, sec string) int {
	for k := 0; k < len(sec); k++ {
		c, n := decodedByte(b, i)
		if n == 0 {
			return -1
		}
		if c == '%' { // a percent-encoding, its three bytes each maybe JSON-escaped
			h1, n1 := decodedByte(b, i+n)
			h2, n2 := decodedByte(b, i+n+n1)
			x1, ok1 := unhex(h1)
			x2, ok2 := unhex(h2)
			if n1 == 0 || n2 == 0 || !ok1 || !ok2 {
				return -1
			}
			c, n = x1<<4|x2, n+n1+n2
		}
		if lowerASCII(c) != lowerASCII(sec[k]) {
			return -1
		}
		i += n
	}
	return i
}

// decodedByte returns the byte at b[i], reading a JSON escape \u00xx as the
// byte it stands for, and how many bytes of b it took (0 at the end).
func decodedByte(b []byte, i int) (byte, int) {
	if i >= len(b) {
		return 0, 0
	}
	if b[i] == '\\' && i+5 < len(b) && b[i+1] == 'u' && b[i+2] == '0' && b[i+3] == '0' {
		x1, ok1 := unhex(b[i+4])
		x2, ok2 := unhex(b[i+5])
		if ok1 && ok2 {
			return x1<<4 | x2, 6
		}
	}
	return b[i], 1
}

// escapeLen returns the length of the JSON escape at b[i] (a backslash), or
// 1 when it is not one.
func escapeLen(b []byte, i int) int {
	if i+1 >= len(b) {
		return 1
	}
	switch b[i+1] {
	case 'u':
		if i+5 < len(b) {
			for _, c := range b[i+2 : i+6] {
				if _, ok := unhex(c); !ok {
					return 1
				}
			}
			return 6
		}
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	}
	return 1
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// Bytes returns b with every echo of sec replaced by "****", or b
// itself when it holds none (no copy).
func Bytes(b []byte, sec string) []byte {
	if sec == "" {
		return b
	}
	i, e := Find(b, sec, 0)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	last := 0
	for i >= 0 {
		out = append(append(out, b[last:i]...), Mask...)
		last = e
		i, e = Find(b, sec, e)
	}
	return append(out, b[last:]...)
}

// mayHold reports whether s has a byte an echo of sec can start with:
// the fast path of String.
func mayHold(s, sec string) bool {
	return strings.IndexByte(s, lowerASCII(sec[0])) >= 0 || strings.IndexByte(s, upperASCII(sec[0])) >= 0 ||
		strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '\\') >= 0
}

// String is Bytes for a string. A short string is
// scanned in a stack buffer: no allocation unless it holds an echo.
func String(s, sec string) string {
	if sec == "" || !mayHold(s, sec) {
		return s
	}
	var buf [512]byte
	b := append(buf[:0], s...)
	if i, _ := Find(b, sec, 0); i < 0 {
		return s
	}
	return string(Bytes(b, sec))
}

// Header returns hd, or a copy with every echo of sec in its names
// and values redacted when it holds one.
func Header(hd http.Header, sec string) http.Header {
	if sec == "" {
		return hd
	}
	var out http.Header
	for k, vs := range hd {
		rk := String(k, sec)
		changed := rk != k
		for _, v := range vs {
			if !changed && String(v, sec) != v {
				changed = true
			}
		}
		if !changed {
			continue
		}
		if out == nil {
			out = hd.Clone()
		}
		delete(out, k)
		rv := make([]string, len(vs))
		for j, v := range vs {
			rv[j] = String(v, sec)
		}
		out[rk] = append(out[rk], rv...)
	}
	if out == nil {
		return hd
	}
	return out
}
