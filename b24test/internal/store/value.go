package store

import (
	"strconv"
	"strings"
	"time"
)

const isoLayout = "2006-01-02T15:04:05-07:00"

// Value is one field value in the portal's legacy form: text (ids, money and dates
// included), null, or a list of texts.
type Value struct {
	Null   bool
	S      string
	List   []string
	IsList bool
}

// Str returns a text value.
func Str(s string) Value { return Value{S: s} }

// Null returns the null value.
func Null() Value { return Value{Null: true} }

// List returns a list value (an empty list when l is nil).
func List(l []string) Value { return Value{List: l, IsList: true} }

// Empty reports whether the value is null, "" or an empty list.
func (v Value) Empty() bool {
	if v.IsList {
		return len(v.List) == 0
	}
	return v.Null || v.S == ""
}

// Multi is one row of a multifield (PHONE, EMAIL, WEB, IM, LINK).
type Multi struct {
	ID        int64
	TypeID    string // PHONE, EMAIL, ...
	ValueType string // WORK, HOME, MOBILE, ...
	Value     string
}

// Record is a snapshot of one record. Values are indexed like the entity's Schema.Fields.
type Record struct {
	Entity Entity
	ID     int64
	Values []Value
	FM     []Multi
}

// Get returns the value of the named field (UPPER or camelCase name).
func (r *Record) Get(name string) (Value, bool) {
	s := schemas[r.Entity]
	i, ok := s.Lookup(name)
	if !ok {
		return Value{}, false
	}
	return r.valueAt(i), true
}

func (r *Record) valueAt(i int) Value {
	fd := &schemas[r.Entity].Fields[i]
	if fd.Kind == KindMulti {
		return Value{} // multifields are read through Multi
	}
	return r.Values[i]
}

// Multi returns the record's multifield rows of one type (PHONE, EMAIL, ...).
func (r *Record) Multi(typeID string) []Multi {
	var out []Multi
	for _, m := range r.FM {
		if m.TypeID == typeID {
			out = append(out, m)
		}
	}
	return out
}

func (r *Record) clone() *Record {
	c := &Record{Entity: r.Entity, ID: r.ID, Values: make([]Value, len(r.Values)), FM: append([]Multi(nil), r.FM...)}
	for i, v := range r.Values {
		if v.IsList {
			v.List = append([]string(nil), v.List...)
		}
		c.Values[i] = v
	}
	return c
}

// parseNumber parses a filter or field value as a number; ok is false when it is not one.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"02.01.2006 15:04:05",
	"02.01.2006 15:04",
	"02.01.2006",
}

// ParseTime parses ISO 8601 (with or without offset) or the portal's dd.mm.yyyy format;
// values without an offset are in loc.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
