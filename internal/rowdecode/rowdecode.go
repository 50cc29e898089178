// Package rowdecode decodes the rows of a list into a struct type in one
// pass over each row, as json.Unmarshal would, for the common shape of a
// row: an object of strings (and nulls) read into string fields and fields
// whose pointer is a json.Unmarshaler (b24.ID and the other value types).
// Anything else (another field kind, a number where a string is wanted, an
// error) decodes the row again with json.Unmarshal, whose result and error
// are then the answer: the fast path never decides a case differently, it
// only skips encoding/json's second scan and its reflection per member.
// The strings of one row share one allocation (one instead of one a
// field), and the rows of a page (Rows) blocks of 4 KiB: a string kept
// alone keeps the bytes of the other strings of its block.
package rowdecode

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/b24go/b24/internal/jsonscan"
)

// Decoder decodes rows into T.
type Decoder[T any] struct {
	plan *plan // nil: every row through json.Unmarshal
}

// For returns the decoder of T: the fast path when T is a struct whose
// fields it covers, json.Unmarshal otherwise.
func For[T any]() Decoder[T] {
	return Decoder[T]{plan: planOf(reflect.TypeFor[T]())}
}

// Rows decodes rows[i] into dst[i] (len(dst) >= len(rows), each T's zero
// value: a fresh slice): the results and errors are json.Unmarshal's. With
// valid set the rows are known to be valid JSON (parts of a text
// jsonscan.Valid accepted) and are not checked again; given any other
// text, the result is then undefined (never a panic). A json.RawMessage
// row is not copied: it is the row itself (trimmed, its capacity cut to
// its length, so that an append copies it rather than overwrite what
// follows it in the answer). The rows' strings share blocks of 4 KiB (a
// row's may not be the only ones a kept string holds). It stops at the
// first error and returns the index of its row.
func (d Decoder[T]) Rows(rows [][]byte, dst []T, valid bool) (int, error) {
	a := arena{block: arenaBlock}
	for i, row := range rows {
		if err := d.decodeIn(row, &dst[i], valid || jsonscan.Valid(row), &a); err != nil {
			return i, err
		}
	}
	return len(rows), nil
}

func (d Decoder[T]) decodeIn(row []byte, dst *T, valid bool, a *arena) error {
	if raw, ok := any(dst).(*json.RawMessage); ok && valid {
		t := jsonscan.Trim(row)
		*raw = t[:len(t):len(t)]
		return nil
	}
	if d.plan != nil && valid && d.plan.decode(row, reflect.ValueOf(dst).Elem(), a) {
		return nil
	}
	var zero T
	*dst = zero
	return json.Unmarshal(row, dst)
}

// plan is how a struct type's members are found: its fields by JSON name.
type plan struct {
	fields []field
}

type field struct {
	name      string
	index     int
	at        int     // its place in plan.fields
	offset    uintptr // where it is in the struct (a string field's is set through it)
	unmarshal bool    // *F is a json.Unmarshaler; else F is of string kind
}

var plans sync.Map // reflect.Type → *plan (nil: not covered)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := makePlan(t)
	plans.Store(t, p)
	return p
}

// makePlan covers a struct type whose fields are all exported or ignored,
// none embedded, each named once (whatever the case), without the string
// option, each of string kind (and no TextUnmarshaler) or with a pointer
// that is a json.Unmarshaler (and not itself a pointer or interface): the
// rules by which encoding/json finds and fills them are then simple and
// the same. nil for any other type.
func makePlan(t reflect.Type) *plan {
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return nil
	}
	p := &plan{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil
		}
		if !sf.IsExported() {
			continue
		}
		name, ok := jsonName(sf)
		if !ok {
			return nil
		}
		if name == "" {
			continue // json:"-"
		}
		f := field{name: name, index: i, offset: sf.Offset}
		pt := reflect.PointerTo(sf.Type)
		switch k := sf.Type.Kind(); {
		case k != reflect.Pointer && k != reflect.Interface && pt.Implements(unmarshalerType):
			f.unmarshal = true
		case k == reflect.String && !pt.Implements(textUnmarshalerType) && !pt.Implements(unmarshalerType):
		default:
			return nil
		}
		for _, g := range p.fields {
			if strings.EqualFold(g.name, name) {
				return nil
			}
		}
		f.at = len(p.fields)
		p.fields = append(p.fields, f)
	}
	return p
}

// jsonName is the field's member name ("" for json:"-"); ok is false for a
// tag this package leaves to encoding/json (the string option, a name that
// is not plain letters, digits and underscores).
func jsonName(sf reflect.StructField) (string, bool) {
	tag, has := sf.Tag.Lookup("json")
	if !has {
		return sf.Name, true
	}
	if tag == "-" {
		return "", true
	}
	name, opts, _ := strings.Cut(tag, ",")
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o != "omitempty" && o != "omitzero" {
			return "", false
		}
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return "", false
		}
	}
	if name == "" {
		name = sf.Name
	}
	return name, true
}

// decode fills v from row, a valid JSON text; false when a member needs
// encoding/json (then v is partly filled and the caller starts again).
// A string member is copied into the arena and set as it is read.
func (p *plan) decode(row []byte, v reflect.Value, a *arena) bool {
	base := v.Addr().UnsafePointer()
	ok := true
	next := 0 // the field after the last one found: rows list them in order
	err := jsonscan.EachMember(row, func(k, val []byte) bool {
		f := p.find(k, next)
		if f == nil {
			return true // a member no field names: ignored, as encoding/json does
		}
		next = f.at + 1
		if f.unmarshal {
			ok = v.Field(f.index).Addr().Interface().(json.Unmarshaler).UnmarshalJSON(val) == nil
			return ok
		}
		ok = setString(base, f, val, a)
		return ok
	})
	return ok && err == nil
}

// setString sets string field f of the struct at base to the JSON value
// val (a member named twice keeps its last value, as encoding/json does);
// false when encoding/json must decide.
func setString(base unsafe.Pointer, f *field, val []byte, a *arena) bool {
	switch val[0] {
	case 'n': // null leaves a string as it is
		return true
	case '"':
	default:
		return false // a number, a bool, an object or a list into a string
	}
	var str string
	if s := val[1 : len(val)-1]; jsonscan.IsPlainASCII(s) || utf8.Valid(s) && bytes.IndexByte(s, '\\') < 0 {
		str = a.copy(s)
	} else if str = unescaped(val); str == "" && len(val) > 2 {
		return false
	}
	// The field is of string kind (makePlan): a string at its offset.
	// reflect's Field and SetString cost more than the rest of a row.
	*(*string)(unsafe.Add(base, f.offset)) = str
	return true
}

// unescaped is the JSON string val decoded by encoding/json, "" when it
// fails (a string with escapes is never empty). Apart from setString: its
// &s moves s to the heap, which setString's plain path need not pay.
func unescaped(val []byte) string {
	var s string
	if json.Unmarshal(val, &s) != nil {
		return ""
	}
	return s
}

// arena allocates the strings of rows: each is written after the one
// before it in the current block, so that the rows of a page cost a few
// allocations, not one a string. A block is never written again where a
// string was taken from it.
type arena struct {
	block int // a block's size (a string longer gets a block of its own size)
	b     strings.Builder
}

// arenaBlock is the block of Rows: about a hundred rows of a few short
// fields, one row of a full record.
const arenaBlock = 4 << 10

// copy returns b as a string in the current block, or in a new one when
// the current one has not that much left.
func (a *arena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if a.b.Cap()-a.b.Len() < len(b) {
		a.b = strings.Builder{}
		a.b.Grow(max(len(b), a.block))
	}
	start := a.b.Len()
	a.b.Write(b)
	return a.b.String()[start:]
}

// find is the field the raw key (with its quotes) names: the exact name
// first, else the name equal under case folding (encoding/json's order; a
// key with escapes or bytes outside ASCII is unescaped by jsonscan.Key and
// folded by strings.EqualFold, as encoding/json folds it); nil for none.
// The exact name is looked for from fields[next] on first: a row lists
// its members in the struct's order more often than not.
func (p *plan) find(raw []byte, next int) *field {
	key := raw[1 : len(raw)-1]
	if next < len(p.fields) && string(key) == p.fields[next].name {
		return &p.fields[next]
	}
	for i := range p.fields {
		if string(key) == p.fields[i].name {
			return &p.fields[i]
		}
	}
	if jsonscan.IsPlainASCII(key) {
		for i := range p.fields {
			if jsonscan.EqualFoldASCII(key, p.fields[i].name) {
				return &p.fields[i]
			}
		}
		return nil
	}
	name := jsonscan.Key(raw)
	for i := range p.fields {
		if strings.EqualFold(name, p.fields[i].name) {
			return &p.fields[i]
		}
	}
	return nil
}
