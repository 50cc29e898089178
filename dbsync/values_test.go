package dbsync

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestConvert: each logical type takes the portal's spellings of its values,
// its empty values become NULL, and a value that does not fit is an error
// (never a guess).
func TestConvert(t *testing.T) {
	tm := time.Date(2024, 8, 30, 14, 29, 0, 0, time.FixedZone("", 7200))
	tests := []struct {
		raw, typ string
		want     any
		bad      bool
	}{
		{`"37"`, "integer", int64(37), false},
		{`37`, "integer", int64(37), false},
		{`""`, "integer", nil, false},
		{`null`, "integer", nil, false},
		{`false`, "integer", nil, false},
		{`"3.5"`, "integer", nil, true},
		{`"19999.99"`, "numeric", "19999.99", false},
		{`1.5`, "numeric", "1.5", false},
		{`"1e3"`, "numeric", nil, true},
		{`"100|EUR"`, "numeric", nil, true},
		{`"Y"`, "boolean", true, false},
		{`"N"`, "boolean", false, false},
		{`false`, "boolean", false, false},
		{`"1"`, "boolean", true, false},
		{`"maybe"`, "boolean", nil, true},
		{`"2024-08-30T02:00:00+02:00"`, "date", "2024-08-30", false},
		{`"30.08.2024"`, "date", nil, true},
		{`"2024-08-30T14:29:00+02:00"`, "timestamptz", tm, false},
		{`"2024-08-30 14:29:00"`, "timestamptz", nil, true},
		{`[{"ID":"1","VALUE":"+1"}]`, "json", `[{"ID":"1","VALUE":"+1"}]`, false},
		{`[]`, "json", nil, false},
		{`{}`, "text", nil, false},
		{`"x"`, "text", "x", false},
		{`{"a": 1}`, "text", `{"a":1}`, false},
	}
	for _, tt := range tests {
		got, err := convert(json.RawMessage(tt.raw), tt.typ)
		if tt.bad {
			if !errors.Is(err, ErrBadValue) {
				t.Errorf("%s as %s: %v, %v; want ErrBadValue", tt.raw, tt.typ, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s as %s: %v", tt.raw, tt.typ, err)
			continue
		}
		if g, ok := got.(time.Time); ok {
			if !g.Equal(tt.want.(time.Time)) {
				t.Errorf("%s: %v", tt.raw, g)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%s as %s = %#v, want %#v", tt.raw, tt.typ, got, tt.want)
		}
	}
}

// FuzzConvert: any answer bytes convert or fail with ErrBadValue, never
// panic; a value converted as JSON is valid JSON.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{`"1"`, `null`, `[1,2]`, `{"a":[]}`, `"2024-01-01T00:00:00Z"`, `"Y"`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, typ := range []string{"integer", "numeric", "date", "timestamptz", "boolean", "json", "text"} {
			v, err := convert(b, typ)
			if err != nil && !errors.Is(err, ErrBadValue) {
				t.Fatalf("%q as %s: %v", b, typ, err)
			}
			if s, ok := v.(string); ok && typ == "json" && !json.Valid([]byte(s)) {
				t.Fatalf("%q as json gave %q", b, s)
			}
		}
	})
}
