package php

import (
	"iter"
	"math"
	"strconv"
)

// Array is a PHP array: an ordered map whose keys are strings or integers.
//
// PHP stores a key that is the canonical decimal text of a 64-bit integer
// ("0", "42", "-7"; not "007", "-0", "+1" or " 1") as that integer, and every
// other key as a string. Array keeps every key as a string: since the mapping
// between canonical decimal text and integers is one to one, "5" here is PHP's
// integer key 5, and "05" is PHP's string key "05".
//
// Setting an existing key replaces its value and keeps its position. Deleting a
// key does not lower the next append index (as in PHP).
//
// The zero value is not ready for use; call NewArray. An Array is not safe for
// concurrent mutation.
type Array struct {
	entries []entry        // in insertion order; deleted entries are tombstones
	index   map[string]int // key -> position in entries
	dead    int            // tombstones in entries

	// next is PHP's nNextFreeElement: the key Append uses. Until an integer
	// key has been stored it is unset and Append uses 0. PHP 8.3 and later
	// set it to k+1 for every integer key k >= next, negative keys included
	// (before 8.3 an array whose only integer keys were negative appended
	// at 0).
	next    int64
	nextSet bool
}

type entry struct {
	key  string
	val  any
	dead bool
}

// NewArray returns an empty array.
func NewArray() *Array {
	return &Array{index: make(map[string]int)}
}

// Len returns the number of elements.
func (a *Array) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries) - a.dead
}

// Keys returns the keys in order.
func (a *Array) Keys() []string {
	if a == nil {
		return nil
	}
	keys := make([]string, 0, a.Len())
	for _, e := range a.entries {
		if !e.dead {
			keys = append(keys, e.key)
		}
	}
	return keys
}

// All iterates over the elements in order. The array must not be changed
// during the iteration.
func (a *Array) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if a == nil {
			return
		}
		for _, e := range a.entries {
			if !e.dead && !yield(e.key, e.val) {
				return
			}
		}
	}
}

// Get returns the value stored under key.
func (a *Array) Get(key string) (any, bool) {
	if a == nil {
		return nil, false
	}
	i, ok := a.index[key]
	if !ok {
		return nil, false
	}
	return a.entries[i].val, true
}

// Set stores v under key: a new key goes to the end, an existing key keeps
// its position ($a[$key] = $v). If key is an integer key k (see Array) and k
// is not below the next append index, the next append index becomes k+1.
func (a *Array) Set(key string, v any) {
	if i, ok := a.index[key]; ok {
		a.entries[i].val = v
		return
	}
	if a.index == nil {
		a.index = make(map[string]int)
	}
	a.index[key] = len(a.entries)
	a.entries = append(a.entries, entry{key: key, val: v})
	if k, ok := IntKey(key); ok && (!a.nextSet || k >= a.next) {
		a.nextSet = true
		if k < math.MaxInt64 {
			a.next = k + 1
		} else {
			a.next = math.MaxInt64
		}
	}
}

// Append stores v under the next free integer index ($a[] = $v) and reports
// whether it could. Like PHP it fails, storing nothing, when that index is
// already taken, which only happens once the key 9223372036854775807 has been
// used.
func (a *Array) Append(v any) bool {
	var k int64
	if a.nextSet {
		k = a.next
	}
	key := strconv.FormatInt(k, 10)
	if _, ok := a.index[key]; ok {
		return false
	}
	a.Set(key, v)
	return true
}

// Delete removes key (unset($a[$key])). The next append index is unchanged.
func (a *Array) Delete(key string) {
	i, ok := a.index[key]
	if !ok {
		return
	}
	delete(a.index, key)
	a.entries[i] = entry{dead: true}
	a.dead++
	if a.dead > 16 && a.dead > len(a.entries)/2 {
		a.compact()
	}
}

func (a *Array) compact() {
	live := make([]entry, 0, a.Len())
	for _, e := range a.entries {
		if !e.dead {
			a.index[e.key] = len(live)
			live = append(live, e)
		}
	}
	a.entries = live
	a.dead = 0
}

// IsList reports whether the keys are exactly "0", "1", … "n-1" in that
// order (PHP's array_is_list). json_encode writes such an array as a JSON
// array and every other array as an object. An empty array is a list.
func (a *Array) IsList() bool {
	if a == nil {
		return true
	}
	n := 0
	for _, e := range a.entries {
		if e.dead {
			continue
		}
		if e.key != strconv.Itoa(n) {
			return false
		}
		n++
	}
	return true
}

// ToAny converts the array to plain Go values, recursively: a list (IsList)
// becomes []any, any other array map[string]any (losing the order). Other
// values are returned as they are. An empty array becomes an empty []any.
func (a *Array) ToAny() any {
	if a == nil {
		return nil
	}
	if a.IsList() {
		s := make([]any, 0, a.Len())
		for _, v := range a.All() {
			s = append(s, toAny(v))
		}
		return s
	}
	m := make(map[string]any, a.Len())
	for k, v := range a.All() {
		m[k] = toAny(v)
	}
	return m
}

func toAny(v any) any {
	if c, ok := v.(*Array); ok && c != nil {
		return c.ToAny()
	}
	return v
}

// MarshalJSON encodes the array with EncodeJSON.
func (a *Array) MarshalJSON() ([]byte, error) {
	return EncodeJSON(a)
}

// UnmarshalJSON decodes a JSON object or array with DecodeJSON, replacing the
// array's contents. Any other JSON value is an error.
func (a *Array) UnmarshalJSON(data []byte) error {
	v, err := DecodeJSON(data)
	if err != nil {
		return err
	}
	c, ok := v.(*Array)
	if !ok {
		return &SyntaxError{Offset: -1, msg: "JSON value is not an object or an array"}
	}
	*a = *c
	return nil
}

// IntKey reports whether key is one PHP stores as an integer, and which:
// the canonical decimal text of an int64 ("0", "17", "-3"; not "", "-0",
// "017", "+1", " 1" or "9223372036854775808").
func IntKey(key string) (int64, bool) {
	if key == "" || len(key) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != key {
		return 0, false
	}
	return n, true
}
