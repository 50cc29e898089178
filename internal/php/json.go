package php

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxJSONDepth is PHP's default depth for json_decode and json_encode: 512
// nested arrays or objects are accepted, 513 are an error.
const MaxJSONDepth = 512

var (
	// ErrUTF8 reports malformed UTF-8 (PHP: "Malformed UTF-8 characters,
	// possibly incorrectly encoded", JSON_ERROR_UTF8).
	ErrUTF8 = errors.New("php: malformed UTF-8 characters")
	// ErrUTF16 reports a \u escape naming half of a surrogate pair without
	// the other half (PHP: JSON_ERROR_UTF16).
	ErrUTF16 = errors.New("php: single unpaired UTF-16 surrogate in unicode escape")
	// ErrDepth reports nesting deeper than MaxJSONDepth (PHP: "Maximum stack
	// depth exceeded", JSON_ERROR_DEPTH).
	ErrDepth = errors.New("php: maximum stack depth exceeded")
	// ErrInfOrNaN reports a float PHP cannot encode (JSON_ERROR_INF_OR_NAN).
	ErrInfOrNaN = errors.New("php: Inf and NaN cannot be JSON encoded")
)

// SyntaxError is a DecodeJSON failure at a byte offset of the input. It wraps
// ErrUTF8, ErrUTF16 or ErrDepth when that is the cause.
type SyntaxError struct {
	Offset int // bytes of input before the error
	msg    string
	err    error
}

func (e *SyntaxError) Error() string {
	if e.Offset < 0 {
		return "php: json: " + e.msg
	}
	return fmt.Sprintf("php: json: %s at offset %d", e.msg, e.Offset)
}

func (e *SyntaxError) Unwrap() error { return e.err }

// DecodeJSON decodes JSON as PHP's json_decode($data, true) does, except that
// objects keep their key order:
//
//   - An object becomes a *Array with its keys in order; a key that appears
//     twice keeps its first position and its last value. Integer-like keys
//     ("0", "12") are PHP integer keys, so {"0":"a","1":"b"} and ["a","b"]
//     decode to equal arrays.
//   - An array becomes a *Array with keys "0".."n-1".
//   - A number becomes a json.Number with the exact text (PHP would make it
//     an int or a float).
//   - Strings, true, false and null become string, bool and nil.
//
// As in PHP the input must be one JSON value with optional whitespace around
// it (anything after it is an error), malformed UTF-8 anywhere is an error
// (ErrUTF8; PHP does not replace it), a \u escape of an unpaired surrogate is
// an error (ErrUTF16), raw control characters in strings are an error, and
// nesting deeper than MaxJSONDepth is an error (ErrDepth). Errors are
// *SyntaxError.
func DecodeJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	d.ws()
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.pos != len(d.data) {
		return nil, d.errorf("unexpected data after the value")
	}
	return v, nil
}

type jsonDecoder struct {
	data  []byte
	pos   int
	depth int
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, msg: fmt.Sprintf(format, args...)}
}

func (d *jsonDecoder) wrap(err error) error {
	return &SyntaxError{Offset: d.pos, msg: strings.TrimPrefix(err.Error(), "php: "), err: err}
}

func (d *jsonDecoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	default:
		return nil, d.errorf("unexpected character %q", c)
	}
}

func (d *jsonDecoder) literal(word string) error {
	if !strings.HasPrefix(string(d.data[d.pos:min(len(d.data), d.pos+len(word))]), word) {
		return d.errorf("invalid literal")
	}
	d.pos += len(word)
	return nil
}

func (d *jsonDecoder) enter() error {
	d.depth++
	if d.depth > MaxJSONDepth {
		return d.wrap(ErrDepth)
	}
	return nil
}

func (d *jsonDecoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '{'
	a := NewArray()
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return a, nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expected a string key")
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		d.ws()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expected ':'")
		}
		d.pos++
		d.ws()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		a.Set(k.(string), v)
		d.ws()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.ws()
		case '}':
			d.pos++
			d.depth--
			return a, nil
		default:
			return nil, d.errorf("expected ',' or '}'")
		}
	}
}

func (d *jsonDecoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '['
	a := NewArray()
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return a, nil
	}
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		a.Append(v)
		d.ws()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.ws()
		case ']':
			d.pos++
			d.depth--
			return a, nil
		default:
			return nil, d.errorf("expected ',' or ']'")
		}
	}
}

func (d *jsonDecoder) number() (any, error) {
	n := numberLen(d.data[d.pos:])
	if n == 0 {
		return nil, d.errorf("invalid number")
	}
	s := string(d.data[d.pos : d.pos+n])
	d.pos += n
	return json.Number(s), nil
}

// numberLen returns the length of the JSON number at the start of b, or 0.
func numberLen(b []byte) int {
	i := 0
	digits := func() int {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		digits()
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0
		}
	}
	return i
}

// string decodes a JSON string at d.pos (its opening quote); the fast path
// copies a string without escapes once.
func (d *jsonDecoder) string() (any, error) {
	d.pos++ // '"'
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := string(d.data[start:d.pos])
			d.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, d.errorf("control character in string")
		}
		if c < utf8.RuneSelf {
			d.pos++
			continue
		}
		r, size := utf8.DecodeRune(d.data[d.pos:])
		if r == utf8.RuneError && size == 1 {
			return nil, d.wrap(ErrUTF8)
		}
		d.pos += size
	}
	return d.escapedString(append([]byte(nil), d.data[start:d.pos]...))
}

// escapedString decodes the rest of a string that holds escapes, appending
// to buf what was read before the first one.
func (d *jsonDecoder) escapedString(buf []byte) (any, error) {
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		var err error
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return nil, d.errorf("control character in string")
		case c == '\\':
			buf, err = d.escape(buf)
			if err != nil {
				return nil, err
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				return nil, d.wrap(ErrUTF8)
			}
			buf = append(buf, d.data[d.pos:d.pos+size]...)
			d.pos += size
		}
	}
	return nil, d.errorf("unterminated string")
}

// jsonEscapes maps the one-letter escapes to the byte they stand for.
var jsonEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// escape appends the escape at d.pos (a backslash) to buf and moves past it.
func (d *jsonDecoder) escape(buf []byte) ([]byte, error) {
	if d.pos+1 >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	esc := d.data[d.pos+1]
	switch {
	case jsonEscapes[esc] != 0:
		buf = append(buf, jsonEscapes[esc])
	case esc == 'u':
		var err error
		if buf, err = d.unicodeEscape(buf); err != nil {
			return nil, err
		}
	default:
		return nil, d.errorf("invalid escape")
	}
	d.pos += 2
	return buf, nil
}

// unicodeEscape appends the \uXXXX escape at d.pos, or the surrogate pair
// it starts, to buf; d.pos moves past all but the first two bytes.
func (d *jsonDecoder) unicodeEscape(buf []byte) ([]byte, error) {
	r, ok := d.hex4(d.pos + 2)
	if !ok {
		return nil, d.errorf("invalid \\u escape")
	}
	switch {
	case utf16.IsSurrogate(r) && r < 0xDC00:
		r2, ok := rune(0), false
		if d.pos+7 < len(d.data) && d.data[d.pos+6] == '\\' && d.data[d.pos+7] == 'u' {
			r2, ok = d.hex4(d.pos + 8)
		}
		if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
			return nil, d.wrap(ErrUTF16)
		}
		buf = utf8.AppendRune(buf, utf16.DecodeRune(r, r2))
		d.pos += 6
	case utf16.IsSurrogate(r):
		return nil, d.wrap(ErrUTF16)
	default:
		buf = utf8.AppendRune(buf, r)
	}
	d.pos += 4
	return buf, nil
}

func (d *jsonDecoder) hex4(at int) (rune, bool) {
	if at+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[at : at+4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// EncodeJSON encodes v as PHP's json_encode does with the flags Bitrix24 uses
// (JSON_HEX_TAG|JSON_HEX_AMP|JSON_HEX_APOS|JSON_HEX_QUOT, and neither
// JSON_UNESCAPED_SLASHES nor JSON_UNESCAPED_UNICODE):
//
//   - In strings, "/" is written \/, the characters < > & ' " as \u003C
//     \u003E \u0026 \u0027 \u0022 (upper-case hex, as PHP writes them),
//     backslash as \\, the control characters \b \f \n \r \t by name and the
//     others as \u00XX, and every non-ASCII character as \uXXXX with
//     lower-case hex (two escapes, a UTF-16 surrogate pair, above U+FFFF).
//     DEL (0x7F) is written as it is. Malformed UTF-8 is an error (ErrUTF8).
//   - A *Array whose keys are "0".."n-1" in order (IsList) is a JSON array,
//     any other array an object with its keys in order. An empty array is
//     [] (PHP cannot tell an empty map from an empty list).
//   - A map[string]any is treated as the PHP array built by inserting its
//     keys in sorted order: an object with sorted keys, or [] when empty, or
//     an array when its sorted keys are "0".."n-1". A []any is an array.
//   - float64 (and float32) are written as PHP writes doubles with
//     serialize_precision -1: the shortest text that reads back as the same
//     number, in plain notation when the decimal exponent is from -4 to 17
//     (0.1, 0.0001, 0.024296045303344727, 10000000000000000) and otherwise
//     as d.ddde±x with at least one fraction digit (1.0e+25, 1.0e-5). An
//     integral float has no fraction (3.0 is written 3), because Bitrix24
//     does not pass JSON_PRESERVE_ZERO_FRACTION. NaN and ±Inf are an error
//     (ErrInfOrNaN).
//   - json.Number is written verbatim (it must be a valid JSON number), Go
//     integers as integers, bool and nil as true, false and null.
//   - json.RawMessage is decoded with DecodeJSON and re-encoded. Any other
//     value (structs, typed maps and slices, time.Time, json.Marshaler) is
//     marshalled with encoding/json, decoded with DecodeJSON and re-encoded,
//     so the escaping rules above hold for it too. Note that encoding/json
//     writes nil slices and maps as null.
//   - Nesting deeper than MaxJSONDepth is an error (ErrDepth); this also
//     stops a *Array that contains itself.
func EncodeJSON(v any) ([]byte, error) {
	e := jsonEncoder{}
	b, err := e.encode(nil, v)
	if err != nil {
		return nil, err
	}
	return b, nil
}

type jsonEncoder struct {
	depth int
}

func (e *jsonEncoder) enter() error {
	e.depth++
	if e.depth > MaxJSONDepth {
		return ErrDepth
	}
	return nil
}

func (e *jsonEncoder) encode(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case string:
		return appendJSONString(b, t)
	case json.Number:
		if len(t) == 0 || numberLen([]byte(t)) != len(t) {
			return nil, fmt.Errorf("php: invalid json.Number %q", string(t))
		}
		return append(b, t...), nil
	case float64:
		return appendPHPFloat(b, t, 64)
	case float32:
		return appendPHPFloat(b, float64(t), 32)
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case uint64:
		return strconv.AppendUint(b, t, 10), nil
	case uintptr:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case *Array:
		if t == nil {
			return append(b, "null"...), nil
		}
		return e.array(b, t)
	case map[string]any:
		return e.goMap(b, t)
	case []any:
		if err := e.enter(); err != nil {
			return nil, err
		}
		b = append(b, '[')
		for i, x := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = e.encode(b, x); err != nil {
				return nil, err
			}
		}
		e.depth--
		return append(b, ']'), nil
	case json.RawMessage:
		x, err := DecodeJSON(t)
		if err != nil {
			return nil, err
		}
		return e.encode(b, x)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("php: %w", err)
	}
	x, err := DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	return e.encode(b, x)
}

func (e *jsonEncoder) array(b []byte, a *Array) ([]byte, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	list := a.IsList()
	if list {
		b = append(b, '[')
	} else {
		b = append(b, '{')
	}
	i := 0
	for k, v := range a.All() {
		if i > 0 {
			b = append(b, ',')
		}
		i++
		var err error
		if !list {
			if b, err = appendJSONString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
		}
		if b, err = e.encode(b, v); err != nil {
			return nil, err
		}
	}
	e.depth--
	if list {
		return append(b, ']'), nil
	}
	return append(b, '}'), nil
}

func (e *jsonEncoder) goMap(b []byte, m map[string]any) ([]byte, error) {
	keys := sortedKeys(m)
	list := true
	for i, k := range keys {
		if k != strconv.Itoa(i) {
			list = false
			break
		}
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	if list {
		b = append(b, '[')
	} else {
		b = append(b, '{')
	}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if !list {
			if b, err = appendJSONString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
		}
		if b, err = e.encode(b, m[k]); err != nil {
			return nil, err
		}
	}
	e.depth--
	if list {
		return append(b, ']'), nil
	}
	return append(b, '}'), nil
}

const lowerHex = "0123456789abcdef"

// appendJSONString writes s as php_json_escape_string does with
// JSON_HEX_TAG|JSON_HEX_AMP|JSON_HEX_APOS|JSON_HEX_QUOT.
func appendJSONString(b []byte, s string) ([]byte, error) {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b = append(b, `\u0022`...)
			case '\\':
				b = append(b, `\\`...)
			case '/':
				b = append(b, `\/`...)
			case '<':
				b = append(b, `\u003C`...)
			case '>':
				b = append(b, `\u003E`...)
			case '&':
				b = append(b, `\u0026`...)
			case '\'':
				b = append(b, `\u0027`...)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				if c < 0x20 {
					b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&15])
				} else {
					b = append(b, c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, ErrUTF8
		}
		i += size
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			b = appendU(b, r1)
			b = appendU(b, r2)
		} else {
			b = appendU(b, r)
		}
	}
	return append(b, '"'), nil
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u',
		lowerHex[r>>12&15], lowerHex[r>>8&15], lowerHex[r>>4&15], lowerHex[r&15])
}

// appendPHPFloat writes f as PHP writes a double with serialize_precision -1
// (php_gcvt with mode 0 and precision 17): shortest round-trip digits, in
// exponential form when the decimal point position is below -3 or above 17.
func appendPHPFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, ErrInfOrNaN
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0"...), nil
		}
		return append(b, '0'), nil
	}
	s := strconv.FormatFloat(f, 'e', -1, bits) // [-]d[.ddd]e±xx
	if s[0] == '-' {
		b = append(b, '-')
		s = s[1:]
	}
	mant, exp, _ := strings.Cut(s, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	decpt := x + 1 // f = 0.digits × 10^decpt

	const precision = 17
	switch {
	case decpt < -3 || decpt > precision:
		b = append(b, digits[0], '.')
		if len(digits) == 1 {
			b = append(b, '0')
		} else {
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if x < 0 {
			b = append(b, '-')
			x = -x
		} else {
			b = append(b, '+')
		}
		return strconv.AppendInt(b, int64(x), 10), nil
	case decpt <= 0:
		b = append(b, "0."...)
		for range -decpt {
			b = append(b, '0')
		}
		return append(b, digits...), nil
	default:
		if len(digits) <= decpt {
			b = append(b, digits...)
			for range decpt - len(digits) {
				b = append(b, '0')
			}
			return b, nil
		}
		b = append(b, digits[:decpt]...)
		b = append(b, '.')
		return append(b, digits[decpt:]...), nil
	}
}
