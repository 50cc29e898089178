package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/b24go/b24/internal/php"
)

// parseParams turns a command's PARAMS arguments into a JSON body: one JSON
// value, "@file" (a file holding JSON), "-" (JSON on stdin), or key=value
// pairs whose keys use PHP's bracket syntax (filter[>ID]=5, select[]=ID).
// No arguments give nil.
func parseParams(args []string, stdin io.Reader) (json.RawMessage, error) {
	if len(args) == 0 {
		return nil, nil
	}
	if len(args) == 1 {
		a := args[0]
		switch {
		case a == "-":
			b, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading the parameters from stdin: %v", err)
			}
			if err := checkUTF8("parameters from stdin", 1, b); err != nil {
				return nil, err
			}
			return jsonParams(b, "stdin")
		case strings.HasPrefix(a, "@"):
			b, err := os.ReadFile(a[1:])
			if err != nil {
				return nil, usagef("parameters: %v", err)
			}
			if err := checkUTF8("parameters from "+a[1:], 1, b); err != nil {
				return nil, err
			}
			return jsonParams(b, a[1:])
		case looksJSON(a):
			if err := checkArgUTF8("parameters", a); err != nil {
				return nil, err
			}
			return jsonParams([]byte(a), "the argument")
		}
	}
	arr, err := parsePairs(args)
	if err != nil {
		return nil, err
	}
	return marshalJSON(arr, "")
}

func looksJSON(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")
}

// jsonParams checks that b is one JSON object (or array) and returns it.
func jsonParams(b []byte, from string) (json.RawMessage, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, usagef("parameters from %s are not valid JSON", from)
	}
	if b[0] != '{' && b[0] != '[' {
		return nil, usagef("parameters from %s must be a JSON object", from)
	}
	return json.RawMessage(b), nil
}

// parsePairs reads key=value arguments into a PHP array, keys interpreted
// as PHP reads a query string's names (brackets nest, [] appends). Each
// argument is split at its first "=" outside brackets ('filter[<=ID]=3').
// Values are strings, as in a form.
func parsePairs(args []string) (*php.Array, error) {
	arr := php.NewArray()
	for _, a := range args {
		k, v, ok := cutPair(a)
		if !ok {
			return nil, usagef("parameter %q is not key=value (or use JSON, @file or -)", a)
		}
		if k == "" || strings.HasPrefix(k, "[") {
			return nil, usagef("parameter %q has no name before its value", a)
		}
		if err := checkArgUTF8("parameter", a); err != nil {
			return nil, err
		}
		if err := arr.SetPath(k, v); err != nil {
			return nil, usagef("parameter %q: %v", a, err)
		}
	}
	return arr, nil
}

// cutPair splits a at its first "=" outside brackets, or, when brackets
// left open hide every "=", at its first "=".
func cutPair(a string) (key, value string, ok bool) {
	depth := 0
	for i := 0; i < len(a); i++ {
		switch a[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case '=':
			if depth == 0 {
				return a[:i], a[i+1:], true
			}
		}
	}
	return strings.Cut(a, "=")
}

// marshalJSON is json.Marshal without HTML escaping (">ID" stays ">ID"),
// indented when indent is not empty. The result ends without a newline.
func marshalJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
