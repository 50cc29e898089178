package listwalk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzListPageScan feeds a fuzzed list page to the scanner the list walk
// uses (pageRows splits a result into rows, rowID reads a row's id without
// decoding it). On any input nothing panics, every error of rowID wraps
// ErrNonNumericID and stays short, and when the page is valid JSON (UTF-8,
// no repeated key in any object) the scanner agrees with encoding/json: the
// same rows (an error exactly when the result holds no list of rows where
// the key says), and for each row the id a plain decode gives (a JSON
// number, or a string holding a number, with an integral value).
func FuzzListPageScan(f *testing.F) {
	for _, s := range [][3]string{
		{`[{"ID":"1","TITLE":"a"},{"ID":"2","TITLE":"b"}]`, "", "ID"},
		{`{"tasks":[{"id":"5","title":"x"},{"id":6}]}`, "tasks", "id"},
		{`{"items":[{"id":7,"title":"[\"]{"}],"total":1}`, "items", "id"},
		{`{"items":{"0":{"id":1},"5":{"id":2}}}`, "items", "id"},
		{`{"items":[]}`, "items", "id"},
		{`[]`, "items", "id"},
		{`{}`, "", "ID"},
		{`null`, "items", "id"},
		{`{"items":null}`, "items", "id"},
		{`{"items":3}`, "items", "id"},
		{`[1]`, "items", "id"},
		{`{"other":[]}`, "items", "id"},
		{`[{"\u0069d":"12"}]`, "", "id"},
		{`[{"ID":"abc"}]`, "", "ID"},
		{`[{"ID":1.5}]`, "", "ID"},
		{`[{"ID":"1e3"}]`, "", "ID"},
		{`[{"ID":2.0}]`, "", "ID"},
		{`[{"ID":null},{"ID":true},{"ID":{}},{"ID":[]}]`, "", "ID"},
		{`[{"ID":"9223372036854775807"},{"ID":"9223372036854775808"}]`, "", "ID"},
		{`[{"ID":"-3"},{"ID":"+4"},{"ID":" 5"}]`, "", "ID"},
		{`[{"TITLE":"no id"}]`, "", "ID"},
		{`[1,"x",null]`, "", "ID"},
		{`[{"ID":"1"`, "", "ID"},
		{`[{"ID":"1\"}]`, "", "ID"},
		{` [ { "ID" : "1" } , { "ID" : "2" } ] `, "", "ID"},
		{`{"a\"b":[{"ID":1}]}`, `a"b`, "ID"},
	} {
		f.Add([]byte(s[0]), s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, page []byte, resultKey, idKey string) {
		// A hang fails loudly: the scanner's loops only move forward.
		tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("SLOW %q %q %q", page, resultKey, idKey)) })
		defer tm.Stop()
		rows, err := pageRows(page, resultKey)
		ids := make([]int64, len(rows))
		idErrs := make([]error, len(rows))
		for i, r := range rows {
			ids[i], idErrs[i] = rowID(r, idKey)
			if e := idErrs[i]; e != nil {
				if !errors.Is(e, ErrNonNumericID) {
					t.Fatalf("rowID(%q): %v does not wrap ErrNonNumericID", r, e)
				}
				if n := len(e.Error()); n > 200+2*len(idKey) {
					t.Fatalf("rowID(%q): an error of %d bytes", r, n)
				}
			}
		}
		if !utf8.Valid(page) || !utf8.ValidString(resultKey) || !utf8.ValidString(idKey) || !json.Valid(page) {
			return
		}
		doc, ok := ordered(page)
		if !ok {
			return // a repeated key: encoding/json keeps the last, the scanner the first
		}
		want, wantErr := oracleRows(doc, resultKey)
		if (err != nil) != wantErr {
			t.Fatalf("pageRows(%q, %q): error %v, encoding/json says error=%v", page, resultKey, err, wantErr)
		}
		if err != nil {
			return
		}
		if len(rows) != len(want) {
			t.Fatalf("pageRows(%q, %q): %d rows, encoding/json %d", page, resultKey, len(rows), len(want))
		}
		for i, r := range rows {
			got, ok := ordered(r)
			if !ok || !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("pageRows(%q, %q): row %d is %q, encoding/json gives %#v", page, resultKey, i, r, want[i])
			}
			checkID(t, r, idKey, ids[i], idErrs[i])
		}
	})
}

// checkID compares rowID's answer with a plain encoding/json decode of the
// row into map[string]any.
func checkID(t *testing.T, row []byte, key string, id int64, err error) {
	t.Helper()
	var m map[string]any
	if json.Unmarshal(row, &m) != nil {
		if err == nil {
			t.Fatalf("rowID(%q) = %d, but the row is not an object", row, id)
		}
		return
	}
	v, present := m[key]
	var f float64
	var s string
	numeric := false
	switch x := v.(type) {
	case float64:
		f, numeric = x, true
		s = string(rawMember(row, key))
	case string:
		s = x
		var perr error
		f, perr = strconv.ParseFloat(x, 64)
		numeric = perr == nil
	}
	if err == nil {
		if !present || !numeric || f != float64(id) {
			t.Fatalf("rowID(%q, %q) = %d, encoding/json gives %#v", row, key, id, v)
		}
		return
	}
	// An integer literal in range must be read, exactly.
	if present {
		if n, perr := strconv.ParseInt(s, 10, 64); perr == nil && s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
			t.Fatalf("rowID(%q, %q): %v, but the id is the integer %d", row, key, err, n)
		}
	}
}

// rawMember returns the raw JSON value of the member key of the object row.
func rawMember(row []byte, key string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(row, &m) != nil {
		return nil
	}
	return m[key]
}

// jsonMember is one member of a JSON object, in document order.
type jsonMember struct {
	K string
	V any
}

// ordered decodes a JSON value with encoding/json's tokenizer, keeping the
// order of object members ([]jsonMember); it reports false when an object
// repeats a key.
func ordered(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, ok := orderedValue(d)
	if !ok {
		return nil, false
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

func orderedValue(d *json.Decoder) (any, bool) {
	tok, err := d.Token()
	if err != nil {
		return nil, false
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '[':
			out := []any{}
			for d.More() {
				v, ok := orderedValue(d)
				if !ok {
					return nil, false
				}
				out = append(out, v)
			}
			_, err := d.Token()
			return out, err == nil
		case '{':
			out := []jsonMember{}
			seen := map[string]bool{}
			for d.More() {
				k, err := d.Token()
				ks, isStr := k.(string)
				if err != nil || !isStr || seen[ks] {
					return nil, false
				}
				seen[ks] = true
				v, ok := orderedValue(d)
				if !ok {
					return nil, false
				}
				out = append(out, jsonMember{ks, v})
			}
			_, err := d.Token()
			return out, err == nil
		}
		return nil, false
	}
	return tok, true
}

// oracleRows says what rows a list result holds, from its decoded form:
// the result itself or its jsonMember key; a list's elements, or an object's
// jsonMember values in order; null (or PHP's empty array where an object is
// expected) is no rows; anything else is an error.
func oracleRows(doc any, key string) ([]any, bool) {
	if doc == nil {
		return nil, false
	}
	if key != "" {
		switch x := doc.(type) {
		case []any:
			return nil, len(x) != 0
		case []jsonMember:
			found := false
			for _, m := range x {
				if m.K == key {
					doc, found = m.V, true
					break
				}
			}
			if !found {
				return nil, true
			}
			if doc == nil {
				return nil, false
			}
		default:
			return nil, true
		}
	}
	switch x := doc.(type) {
	case []any:
		return x, false
	case []jsonMember:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m.V
		}
		return out, false
	}
	return nil, true
}
