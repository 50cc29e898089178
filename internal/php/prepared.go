package php

import (
	"encoding/json"
	"strings"
)

// Prepared is a value whose query string is already known: Encode returns
// Query as it is, and encoding/json marshals V. Query must be Encode(V);
// Template makes such queries for values that differ in one string.
type Prepared struct {
	V     any
	Query string
}

// MarshalJSON marshals V.
func (p Prepared) MarshalJSON() ([]byte, error) { return json.Marshal(p.V) }

// Template is the query of a value in which one string, the placeholder,
// stands for a value that changes: With gives the query of the value with
// another string in its place, without encoding it all again.
type Template struct {
	prefix, suffix string
}

// NewTemplate encodes v, in which the string ph (unreserved characters
// only) is one scalar value; ok is false when the query holds ph other than
// exactly once (another value contains it) or v does not encode.
func NewTemplate(v any, ph string) (t Template, ok bool) {
	q, err := Encode(v)
	if err != nil || ph == "" || percentEncode(ph) != ph || strings.Count(q, ph) != 1 {
		return Template{}, false
	}
	i := strings.Index(q, ph)
	return Template{prefix: q[:i], suffix: q[i+len(ph):]}, true
}

// With is the query of the template's value with s in place of the
// placeholder.
func (t Template) With(s string) string {
	return t.prefix + percentEncode(s) + t.suffix
}
