package b24

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// A small JSON scanner for list pages: it splits a page into its rows and
// reads a row's id without decoding the row, on the bytes of the response
// (nothing is copied).

var errBadJSON = errors.New("malformed JSON")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errBadJSON
}

// skipValue returns the index after the value starting at b[i] (no leading space).
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
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
		return 0, errBadJSON
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
			j++
		}
		if j == i {
			return 0, errBadJSON
		}
		return j, nil
	}
}

// eachMember calls f for each member of the object b (keys raw, with quotes).
func eachMember(b []byte, f func(key, val []byte) bool) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errBadJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return errBadJSON
		}
		kEnd, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := b[i:kEnd]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return errBadJSON
		}
		i = skipSpace(b, i+1)
		vEnd, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if !f(key, b[i:vEnd]) {
			return nil
		}
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return nil
		}
		return errBadJSON
	}
	return errBadJSON
}

// keyIs reports whether the raw JSON key (with quotes) is name.
func keyIs(raw []byte, name string) bool {
	if len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name {
		return true
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return false
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && s == name
}

// field returns the value of the top-level member name of the object b.
func field(b []byte, name string) ([]byte, bool, error) {
	var out []byte
	found := false
	err := eachMember(b, func(k, v []byte) bool {
		if keyIs(k, name) {
			out, found = v, true
			return false
		}
		return true
	})
	return out, found, err
}

// elements splits the JSON array b into its elements. An object (PHP's
// serialisation of a list that is not 0..n-1, or of an empty array as {})
// gives its member values in order.
func elements(b []byte) ([][]byte, error) {
	i := skipSpace(b, 0)
	if i >= len(b) {
		return nil, errBadJSON
	}
	if b[i] == '{' {
		var out [][]byte
		err := eachMember(b[i:], func(_, v []byte) bool { out = append(out, v); return true })
		return out, err
	}
	if b[i] != '[' {
		return nil, errBadJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil, nil
	}
	out := make([][]byte, 0, 50)
	for i < len(b) {
		end, err := skipValue(b, i)
		if err != nil {
			return nil, err
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
		return nil, errBadJSON
	}
	return nil, errBadJSON
}

// pageRows returns the rows of a list result: the result itself, or its
// member key.
func pageRows(result []byte, key string) ([][]byte, error) {
	r := bytes.TrimSpace(result)
	if len(r) == 0 || string(r) == "null" {
		return nil, nil
	}
	if key != "" {
		if r[0] == '[' { // PHP's empty array: no rows
			rows, err := elements(r)
			if err == nil && len(rows) == 0 {
				return nil, nil
			}
			return nil, fmt.Errorf("the result is a list, not an object with %q", key)
		}
		v, ok, err := field(r, key)
		if err != nil {
			return nil, fmt.Errorf("reading the result: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("the result has no %q", key)
		}
		r = v
		if string(r) == "null" {
			return nil, nil
		}
	}
	if r[0] != '[' && r[0] != '{' {
		return nil, fmt.Errorf("the rows are not a list")
	}
	rows, err := elements(r)
	if err != nil {
		return nil, fmt.Errorf("reading the rows: %w", err)
	}
	return rows, nil
}

// rowID reads the integer id of a row: a JSON number or a numeric string.
func rowID(row []byte, key string) (int64, error) {
	v, ok, err := field(row, key)
	if err != nil {
		return 0, fmt.Errorf("%w: the row is not an object", ErrNonNumericID)
	}
	if !ok {
		return 0, fmt.Errorf("%w: the row has no %q", ErrNonNumericID, key)
	}
	s := v
	if len(s) > 0 && s[0] == '"' {
		// REST v2 sends ids as strings ("ID":"42"): read a plain one in
		// place, and decode only one with escapes.
		if len(s) >= 2 && s[len(s)-1] == '"' && bytes.IndexByte(s, '\\') < 0 {
			s = s[1 : len(s)-1]
		} else {
			var str string
			if json.Unmarshal(s, &str) != nil {
				return 0, fmt.Errorf("%w: %s=%s", ErrNonNumericID, key, v)
			}
			s = []byte(str)
		}
	}
	if n, err := strconv.ParseInt(string(s), 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(string(s), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), nil
	}
	if len(v) > 40 {
		v = append(v[:40:40], "..."...)
	}
	return 0, fmt.Errorf("%w: %s=%s", ErrNonNumericID, key, v)
}
