package dbsync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrBadValue is wrapped by the error for a value that does not fit its
// field's type (a hostile or changed portal): the run stops, nothing is
// written as a guess.
var ErrBadValue = fmt.Errorf("dbsync: value does not fit its column")

var decimalRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// empty reports whether raw is one of the portal's empty values: null, "",
// [] or {} (false is empty too, but for booleans).
func empty(raw json.RawMessage, logical string) bool {
	t := bytes.TrimSpace(raw)
	switch string(t) {
	case "null", `""`, "[]", "{}", "":
		return true
	case "false":
		return logical != "boolean"
	}
	return false
}

// scalarText returns a JSON string's or number's text.
func scalarText(raw json.RawMessage) (string, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && bytes.IndexByte(t, '\\') < 0 {
		return string(t[1 : len(t)-1]), true // no escape: the text as it is (the walk checked the JSON)
	}
	if len(t) > 0 && t[0] == '"' {
		var s string
		if json.Unmarshal(t, &s) != nil {
			return "", false
		}
		return s, true
	}
	if len(t) > 0 && (t[0] == '-' || t[0] >= '0' && t[0] <= '9') {
		return string(t), true
	}
	return "", false
}

// convert turns one answered value into what its column holds: nil for an
// empty value, int64, a decimal string, a date string, time.Time, bool, a
// JSON string or text.
func convert(raw json.RawMessage, logical string) (any, error) {
	if empty(raw, logical) {
		return nil, nil
	}
	if logical == "json" {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadValue, err)
		}
		return b.String(), nil
	}
	if logical == "boolean" {
		return convertBool(raw)
	}
	s, ok := scalarText(raw)
	if !ok {
		if logical == "text" { // a composite value where text was announced: kept as JSON text
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err == nil {
				return b.String(), nil
			}
		}
		return nil, fmt.Errorf("%w: %s is not a %s", ErrBadValue, clip(raw), logical)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	return convertText(s, logical)
}

func convertText(s, logical string) (any, error) {
	switch logical {
	case "integer":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not an integer", ErrBadValue, clip([]byte(s)))
		}
		return n, nil
	case "numeric":
		if !decimalRE.MatchString(s) {
			return nil, fmt.Errorf("%w: %q is not a decimal", ErrBadValue, clip([]byte(s)))
		}
		return s, nil
	case "date":
		if len(s) < 10 || !dateRE.MatchString(s[:10]) {
			return nil, fmt.Errorf("%w: %q is not a date", ErrBadValue, clip([]byte(s)))
		}
		return s[:10], nil // the date as the portal wrote it, in its own zone
	case "timestamptz":
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not a time with an offset", ErrBadValue, clip([]byte(s)))
		}
		return t, nil
	}
	return s, nil
}

var dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

func convertBool(raw json.RawMessage) (any, error) {
	t := string(bytes.TrimSpace(raw))
	switch t {
	case "true", `"Y"`, `"1"`, "1", `"true"`:
		return true, nil
	case "false", `"N"`, `"0"`, "0", `"false"`:
		return false, nil
	}
	return nil, fmt.Errorf("%w: %s is not Y/N", ErrBadValue, clip(raw))
}

// clip shortens a value quoted in an error.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
