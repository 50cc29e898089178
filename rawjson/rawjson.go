// Package rawjson reads raw JSON as the portal writes it, without decoding
// it into Go values: the shape of a value (KindOf), its empty spellings
// (IsEmpty), an object's keys in document order (Keys), and the value
// inside a one-key wrapper such as {"item": {...}} (Unwrap, UnwrapFold).
// Values returned share the input's bytes.
package rawjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24go/b24/internal/jsonscan"
)

// Kind is the shape of a JSON value, as told by KindOf.
type Kind uint8

// The kinds of JSON values. Invalid, the zero Kind, stands for input
// that is not exactly one JSON value.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid", "null", "bool", "number", "string", "array", "object"}

// String returns the kind's lower-case name: "invalid", "null", "bool",
// "number", "string", "array" or "object".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// KindOf tells the shape of raw, for fields whose shape depends on the data
// (a PHP array that is a list one time and an object the next, a result that
// is true or an object). It returns Invalid if raw is empty or is not
// exactly one valid JSON value (surrounding whitespace is fine).
//
//	switch rawjson.KindOf(resp.Result) {
//	case rawjson.Array: // a list, or PHP's empty map []
//	case rawjson.Object:
//	}
func KindOf(raw json.RawMessage) Kind {
	b := jsonscan.Trim(raw)
	if len(b) == 0 || !json.Valid(b) {
		return Invalid
	}
	switch b[0] {
	case 'n':
		return Null
	case 't', 'f':
		return Bool
	case '"':
		return String
	case '[':
		return Array
	case '{':
		return Object
	}
	return Number
}

// IsEmpty reports whether raw is one of the portal's spellings of "no
// value": null, "", false, [] or {} (whitespace inside the brackets allowed),
// or no JSON at all (an absent field's nil json.RawMessage, or only
// whitespace).
//
// The numbers 0 and "0" are not empty: a zero amount, count or sort order is
// a value, and an id of 0 reads as ID(0) anyway. Invalid JSON is not empty.
func IsEmpty(raw json.RawMessage) bool {
	b := jsonscan.Trim(raw)
	return len(b) == 0 || jsonscan.IsEmptyForm(b)
}

// ErrKeyNotFound is matched (errors.Is) by the error Unwrap and UnwrapFold
// return when the object does not have the key.
var ErrKeyNotFound = errors.New("rawjson: key not found")

type member struct {
	key   string
	value json.RawMessage
}

// objectMembers returns the members of the JSON object raw in document
// order (values share raw's bytes), or the value's kind if it is not an
// object.
func objectMembers(raw json.RawMessage) ([]member, Kind, error) {
	k := KindOf(raw)
	if k != Object {
		return nil, k, nil
	}
	var out []member
	err := jsonscan.EachMember(raw, func(key, val []byte) bool {
		out = append(out, member{jsonscan.Key(key), val})
		return true
	})
	return out, k, err
}

// Unwrap returns the value under key in the JSON object raw: the row inside
// a one-key wrapper such as crm.item.get's {"item": {...}}, tasks.task.get's
// {"task": {...}}, crm.item.list's {"items": [...]}, tasks.task.list's
// {"tasks": [...]}, or REST 3.0's {"item"}, {"items"} and {"result"}.
//
//	row, err := rawjson.Unwrap(resp.Result, "item")
//
// The key must match exactly; other keys beside it are ignored, and of
// duplicate keys the last counts (as in encoding/json). If raw is an object
// without the key, or PHP's empty map [], the error matches ErrKeyNotFound
// and lists the keys present; any other shape is an error naming it.
func Unwrap(raw json.RawMessage, key string) (json.RawMessage, error) {
	return unwrap(raw, key, false)
}

// UnwrapFold is Unwrap with a looser key match: case and underscores are
// ignored, so "items" finds "ITEMS", and "UF_CRM_TASK" finds "ufCrmTask".
// An exact match is preferred; otherwise the first matching key in the
// document wins.
func UnwrapFold(raw json.RawMessage, key string) (json.RawMessage, error) {
	return unwrap(raw, key, true)
}

func unwrap(raw json.RawMessage, key string, fold bool) (json.RawMessage, error) {
	name := "Unwrap"
	if fold {
		name = "UnwrapFold"
	}
	members, k, err := objectMembers(raw)
	if err != nil {
		return nil, fmt.Errorf("rawjson: %s %q: %w", name, key, err)
	}
	if k != Object {
		if k == Array && jsonscan.IsEmptyForm(jsonscan.Trim(raw)) {
			return nil, fmt.Errorf("rawjson: %s %q: %w (the value is PHP's empty map [])", name, key, ErrKeyNotFound)
		}
		return nil, fmt.Errorf("rawjson: %s %q: want an object, got %s", name, key, k)
	}
	var found json.RawMessage
	for _, m := range members {
		if m.key == key {
			found = m.value
		}
	}
	if found == nil && fold {
		fk := jsonscan.FoldKey(key)
		for _, m := range members {
			if jsonscan.FoldKey(m.key) == fk {
				found = m.value
				break
			}
		}
	}
	if found != nil {
		return found, nil
	}
	keys := make([]string, 0, min(len(members), 10))
	for i, m := range members {
		if i == 10 {
			keys = append(keys, "...")
			break
		}
		keys = append(keys, strconv.Quote(m.key))
	}
	return nil, fmt.Errorf("rawjson: %s %q: %w (keys: %s)", name, key, ErrKeyNotFound, strings.Join(keys, ", "))
}

// Keys returns the keys of the JSON object raw in document order (each once,
// at its first place). In keeping with PHPMap, an array counts as a PHP array
// too: [] has no keys, and a list of n values has the keys "0".."n-1". Any
// other value is an error naming its kind.
func Keys(raw json.RawMessage) ([]string, error) {
	members, k, err := objectMembers(raw)
	if err != nil {
		return nil, fmt.Errorf("rawjson: Keys: %w", err)
	}
	switch k {
	case Object:
		seen := make(map[string]bool, len(members))
		keys := make([]string, 0, len(members))
		for _, m := range members {
			if !seen[m.key] {
				seen[m.key] = true
				keys = append(keys, m.key)
			}
		}
		return keys, nil
	case Array:
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("rawjson: Keys: %w", err)
		}
		keys := make([]string, len(list))
		for i := range list {
			keys[i] = strconv.Itoa(i)
		}
		return keys, nil
	}
	return nil, fmt.Errorf("rawjson: Keys: want an object or an array, got %s", k)
}
