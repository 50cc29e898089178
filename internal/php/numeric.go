package php

import (
	"strconv"
	"strings"
)

// NumericPrefix returns the longest numeric prefix of s after leading
// whitespace, as PHP reads a "leading-numeric" string: a sign, digits, a
// fraction, an exponent ("" when there are no digits).
func NumericPrefix(s string) string {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	digits := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
		digits++
	}
	if end < len(s) && s[end] == '.' {
		end++
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
			digits++
		}
	}
	if digits == 0 {
		return ""
	}
	if end < len(s) && (s[end] == 'e' || s[end] == 'E') {
		e := end + 1
		if e < len(s) && (s[e] == '+' || s[e] == '-') {
			e++
		}
		if e < len(s) && s[e] >= '0' && s[e] <= '9' {
			for e < len(s) && s[e] >= '0' && s[e] <= '9' {
				e++
			}
			end = e
		}
	}
	return s[:end]
}

// FloatVal is PHP's floatval of a string: its NumericPrefix, 0 when there is
// none ("12abc" is 12, "abc" and "" are 0), ±Inf out of range. It is how the
// portal reads a filter value for a numeric field.
func FloatVal(s string) float64 {
	p := NumericPrefix(s)
	if p == "" {
		return 0
	}
	f, _ := strconv.ParseFloat(p, 64)
	return f
}
