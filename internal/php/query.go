package php

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// MaxNestingLevel is PHP's default max_input_nesting_level: how many bracket
// groups a variable name may have (a[1][2]…[64] is the deepest accepted).
const MaxNestingLevel = 64

// MaxInputVars is PHP's default max_input_vars: parse_str, $_GET and $_POST
// read the first 1000 variables (pairs) of a query string and drop the rest
// with a warning.
const MaxInputVars = 1000

// ErrNestingLevel reports a variable nested deeper than MaxNestingLevel. PHP
// drops the whole top-level variable in that case (with a warning); Parse and
// SetPath do the same and return this error.
var ErrNestingLevel = errors.New("php: input variable nesting level exceeded")

// ErrKey reports a key that PHP cannot read back from a query string, so
// Encode refuses it rather than let the portal see a different key.
var ErrKey = errors.New("php: key cannot be expressed in a query string")

// ErrValue reports a value that a query string cannot carry as a JSON body
// carries it (an empty array, null, a boolean).
var ErrValue = errors.New("php: value cannot be expressed in a query string")

// ValueError is Encode's refusal of one value: Path is its key path in
// PHP's notation ("filter[ID]"), Value what it is ("an empty array",
// "null", "true", "false", or "variable 1001, past PHP's max_input_vars").
type ValueError struct {
	Path  string
	Value string
}

func (e *ValueError) Error() string {
	return "php: " + e.Path + " is " + e.Value + ", which a query string cannot express"
}

func (e *ValueError) Unwrap() error { return ErrValue }

// Parse reads a query string as PHP's parse_str does (and as PHP fills $_GET
// and $_POST from an application/x-www-form-urlencoded body):
//
//   - The string is split at "&"; empty pairs are skipped. Each pair is split
//     at its first "="; without one the value is "".
//   - Name and value are URL-decoded: "+" is a space, "%XX" with two hex
//     digits is that byte, any other "%" stays as it is. The name is decoded
//     before its brackets are read, so "a%5Bb%5D=1" is a[b]=1.
//   - The name is then interpreted by SetPath (brackets, appends and PHP's
//     name mangling). A later pair overwrites an earlier one with the same
//     path; the key keeps its first position.
//
// Parse returns the array PHP would build even when err is non-nil. The only
// error is ErrNestingLevel (wrapped), after which, as in PHP, the offending
// top-level variable is missing; a server emulating PHP ignores the error, a
// client treats it as a bug.
//
// PHP's max_input_vars is not applied here; ParseInput applies it.
func Parse(query string) (*Array, error) {
	return parse(query, -1)
}

// ParseInput is Parse with PHP's max_input_vars: as parse_str, $_GET and
// $_POST do, it reads the first MaxInputVars non-empty pairs and drops the
// rest, returning ErrInputVars (wrapped) then.
func ParseInput(query string) (*Array, error) {
	return parse(query, MaxInputVars)
}

// ErrInputVars reports a query string of more than MaxInputVars variables.
var ErrInputVars = errors.New("php: input variables exceeded max_input_vars")

// parse reads at most max pairs (no bound when max < 0).
func parse(query string, max int) (*Array, error) {
	a := NewArray()
	var first error
	for n := 0; len(query) > 0; {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if pair == "" {
			continue
		}
		if n++; max >= 0 && n > max {
			return a, fmt.Errorf("%w: the first %d are read", ErrInputVars, max)
		}
		name, value, _ := strings.Cut(pair, "=")
		if err := a.SetPath(urlDecode(name), urlDecode(value)); err != nil && first == nil {
			first = err
		}
	}
	return a, first
}

// urlDecode is PHP's urldecode: "+" is a space, "%XX" (either case) a byte,
// and a "%" not followed by two hex digits is kept.
func urlDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// SetPath stores value under a PHP variable name such as "fields[TITLE]",
// "select[]" or "a[b][0][]", exactly as PHP registers one request variable
// (php_register_variable_ex). The name is taken as it is: URL-decode it
// first if it comes from a query string. A multipart/form-data parser calls
// SetPath for each field in order.
//
// PHP's rules, in order:
//
//   - The name ends at its first NUL byte (PHP reads it as a C string).
//   - Leading spaces are removed. In the top-level name (before the first
//     "["), "." and " " become "_": "a.b c" is "a_b_c".
//   - An empty top-level name ("", "=x", "[a]=x") stores nothing.
//   - Each "[key]" descends one level; a value that is not an array on the
//     way is replaced by an empty array in place. "[]" (or "[ ]") appends:
//     it uses the next free integer index (see Array.Append). A key is the
//     text up to the next "]", so it may contain "[" ("a[b[c]" is key "b[c")
//     and may keep a single leading space ("a[ b]" is key " b").
//   - Text after a "]" that does not start another "[" is ignored:
//     "a[b]c" is a[b].
//   - An unclosed "[" in the top-level name turns into "_", and " ", "." and
//     "[" after it too: "a[b.c" is the plain variable "a_b_c". An unclosed
//     "[" deeper down ends the name: "a[b][c" is a[b].
//   - More than MaxNestingLevel bracket groups: the whole top-level variable
//     is removed and ErrNestingLevel (wrapped) is returned.
//   - Integer-like keys are PHP integer keys ("5" raises the next append
//     index); "05" stays a string key.
func (a *Array) SetPath(name string, value any) error {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	b := []byte(strings.TrimLeft(name, " "))
	base, p := topName(b)
	if base == "" {
		return nil
	}
	if p == len(b) {
		a.Set(base, value)
		return nil
	}
	table := a
	index, hasIndex := base, true // the key to store under in table; false: append
	for level := 1; ; level++ {
		if level > MaxNestingLevel {
			a.Delete(base)
			return fmt.Errorf("%w: %q has more than %d levels", ErrNestingLevel, base, MaxNestingLevel)
		}
		next, nextHas, end, ok := bracketKey(b, p)
		if !ok {
			// Not an index: at the top level the "[" and the rest of the
			// name become part of the name; deeper down the rest is ignored.
			if level == 1 {
				index = base + "_" + underscored(b[p+1:])
			}
			break
		}
		if table = descend(table, index, hasIndex); table == nil {
			return nil
		}
		index, hasIndex = next, nextHas
		p = end + 1 // past the ']'
		if p >= len(b) || b[p] != '[' {
			break
		}
	}
	if hasIndex {
		table.Set(index, value)
	} else {
		table.Append(value)
	}
	return nil
}

// topName returns the top-level variable name of b (" " and "." turned into
// "_") and where it ends: at the first "[", or len(b).
func topName(b []byte) (string, int) {
	p := 0
	for ; p < len(b) && b[p] != '['; p++ {
		if b[p] == ' ' || b[p] == '.' {
			b[p] = '_'
		}
	}
	return string(b[:p]), p
}

// bracketKey reads the "[key]" group at b[p] (a "["): the key (has false
// for "[]" or "[ ]", an append) and the index of its "]"; ok is false
// when no "]" closes it.
func bracketKey(b []byte, p int) (key string, has bool, end int, ok bool) {
	start := p + 1
	i := start
	if i < len(b) && b[i] == ' ' {
		i++
	}
	if i < len(b) && b[i] == ']' {
		return "", false, i, true
	}
	j := bytes.IndexByte(b[i:], ']')
	if j < 0 {
		return "", false, 0, false
	}
	return string(b[start : i+j]), true, i + j, true
}

// underscored returns rest with " ", "." and "[" turned into "_".
func underscored(rest []byte) string {
	for i, c := range rest {
		if c == ' ' || c == '.' || c == '[' {
			rest[i] = '_'
		}
	}
	return string(rest)
}

// descend returns the array stored under index in table (replacing a value
// that is not one), or with hasIndex false a new array appended to table;
// nil when table cannot take another append.
func descend(table *Array, index string, hasIndex bool) *Array {
	if !hasIndex {
		child := NewArray()
		if !table.Append(child) {
			return nil
		}
		return child
	}
	if v, _ := table.Get(index); v != nil {
		if c, ok := v.(*Array); ok && c != nil {
			return c
		}
	}
	child := NewArray()
	table.Set(index, child)
	return child
}

// Encode writes v as a query string that PHP's parse_str reads back into the
// same tree. It is the encoding of the parameters of a v2 batch command
// ("crm.deal.list?" + query).
//
// v may be a *Array, a map[string]any, a []any, a json.RawMessage (the key
// order of the JSON text is kept), or any value encoding/json can marshal (it
// is marshalled and decoded with DecodeJSON, so a struct keeps its field
// order and a time.Time becomes its RFC 3339 JSON text). nil encodes to "".
// The top level must be an array, map, slice or struct. A Prepared value
// is its Query.
//
// Rules:
//
//   - Nested arrays are written with brackets and explicit indices:
//     fields[PHONE][0][VALUE]=1. Brackets are left as they are; every key
//     and value is percent-encoded per RFC 3986 (unreserved characters
//     A-Z a-z 0-9 - . _ ~ kept, everything else %XX, a space %20).
//   - Numbers are written as their JSON text (json.Number verbatim).
//   - A value a query string cannot carry as JSON does is refused with a
//     *ValueError (wrapping ErrValue) naming its key path: an empty array
//     or map (the key would be absent), nil (it would be ""), true and
//     false (they would be the strings "1" and "0"; http_build_query drops
//     null and writes 1 and 0). An empty top level is the empty string.
//   - More than MaxInputVars values are refused the same way (at the first
//     one past it): PHP would drop them.
//   - Go maps are written in sorted key order (as encoding/json does);
//     *Array and JSON text in their own order. The output is deterministic.
//
// Keys PHP would mangle are refused with ErrKey (wrapped): a top-level key
// that is empty, starts with a space or contains ".", " " or "[", any key
// containing a NUL byte, and a nested key that is "", " " (both mean append)
// or contains "]". Trees deeper than MaxNestingLevel are refused with
// ErrNestingLevel.
func Encode(v any) (string, error) {
	switch p := v.(type) {
	case nil:
		return "", nil
	case Prepared:
		return p.Query, nil
	}
	t, err := normalize(v)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	e := queryEncoder{sb: &sb}
	switch t := t.(type) {
	case *Array:
		if t == nil {
			return "", nil
		}
		for k, val := range t.All() {
			if err := e.top(k, val); err != nil {
				return "", err
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			if err := e.top(k, t[k]); err != nil {
				return "", err
			}
		}
	case []any:
		for i, val := range t {
			if err := e.top(strconv.Itoa(i), val); err != nil {
				return "", err
			}
		}
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("php: Encode: %T is not an array, map or struct", v)
	}
	return sb.String(), nil
}

type queryEncoder struct {
	sb    *strings.Builder
	pairs int
}

func (e *queryEncoder) top(key string, v any) error {
	if key == "" || key[0] == ' ' || strings.ContainsAny(key, ". [\x00") {
		return fmt.Errorf("%w: top-level key %q", ErrKey, key)
	}
	return e.value(percentEncode(key), key, v, 0)
}

func (e *queryEncoder) nested(prefix, path, key string, v any, level int) error {
	if key == "" || key == " " || strings.ContainsAny(key, "]\x00") {
		return fmt.Errorf("%w: nested key %q", ErrKey, key)
	}
	if level > MaxNestingLevel {
		return fmt.Errorf("%w: more than %d levels", ErrNestingLevel, MaxNestingLevel)
	}
	return e.value(prefix+"["+percentEncode(key)+"]", path+"["+key+"]", v, level)
}

// value writes v under prefix, which is at the given nesting level; path
// is prefix unescaped, for errors.
func (e *queryEncoder) value(prefix, path string, v any, level int) error {
	t, err := normalize(v)
	if err != nil {
		return err
	}
	n := 0
	switch t := t.(type) {
	case *Array:
		if t == nil {
			return &ValueError{Path: path, Value: "null"}
		}
		for k, val := range t.All() {
			n++
			if err := e.nested(prefix, path, k, val, level+1); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			n++
			if err := e.nested(prefix, path, k, t[k], level+1); err != nil {
				return err
			}
		}
	case []any:
		for i, val := range t {
			n++
			if err := e.nested(prefix, path, strconv.Itoa(i), val, level+1); err != nil {
				return err
			}
		}
	case nil:
		return &ValueError{Path: path, Value: "null"}
	case bool:
		return &ValueError{Path: path, Value: strconv.FormatBool(t)}
	default:
		s, err := scalarText(t)
		if err != nil {
			return fmt.Errorf("php: Encode %s: %w", path, err)
		}
		if e.pairs++; e.pairs > MaxInputVars {
			return &ValueError{Path: path, Value: "variable " + strconv.Itoa(e.pairs) + ", past PHP's max_input_vars (" + strconv.Itoa(MaxInputVars) + ")"}
		}
		return e.leaf(prefix, s)
	}
	if n == 0 {
		return &ValueError{Path: path, Value: "an empty array"}
	}
	return nil
}

func (e *queryEncoder) leaf(prefix, s string) error {
	if e.sb.Len() > 0 {
		e.sb.WriteByte('&')
	}
	e.sb.WriteString(prefix)
	e.sb.WriteByte('=')
	e.sb.WriteString(percentEncode(s))
	return nil
}

// normalize returns v itself if it is one of the shapes the encoders walk
// directly (*Array, map[string]any, []any, string, bool, nil, json.Number,
// Go numbers), and otherwise v marshalled with encoding/json and decoded
// with DecodeJSON.
func normalize(v any) (any, error) {
	switch t := v.(type) {
	case nil, *Array, map[string]any, []any, string, bool, json.Number,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64:
		return v, nil
	case json.RawMessage:
		return DecodeJSON(t)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("php: %w", err)
	}
	return DecodeJSON(data)
}

// scalarText is the query-string text of a scalar.
func scalarText(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case json.Number:
		return string(t), nil
	case float64:
		return jsonFloat(t, 64)
	case float32:
		return jsonFloat(float64(t), 32)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	}
	return "", fmt.Errorf("unsupported value of type %T", v)
}

// jsonFloat is encoding/json's text for a float.
func jsonFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", ErrInfOrNaN
	}
	var data []byte
	var err error
	if bits == 32 {
		data, err = json.Marshal(float32(f))
	} else {
		data, err = json.Marshal(f)
	}
	return string(data), err
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// percentEncode is PHP's rawurlencode (RFC 3986): unreserved characters are
// kept, every other byte is written as %XX with upper-case hex digits.
func percentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
