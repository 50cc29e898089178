package b24_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/rawjson"
)

// valEmptyForms are the portal's five spellings of "no value", with
// whitespace variants.
var valEmptyForms = []string{`null`, `""`, `false`, `[]`, `{}`, `[ ]`, "{\n\t}", ` null `}

// valIntCase is one input of the integer types (ID and Int).
type valIntCase struct {
	in   string
	want int64
	ok   bool
}

var valIntCases = []valIntCase{
	{`37`, 37, true},
	{`"37"`, 37, true},
	{`394`, 394, true},
	{`0`, 0, true},
	{`"0"`, 0, true},
	{`-5`, -5, true},
	{`"-5"`, -5, true},
	{` 37 `, 37, true},
	{`"\u0033\u0037"`, 37, true},
	{`9223372036854775807`, math.MaxInt64, true},
	{`"-9223372036854775808"`, math.MinInt64, true},
	{`true`, 0, false},
	{`"abc"`, 0, false},
	{`"37a"`, 0, false},
	{`"+37"`, 0, false},
	{`" 37"`, 0, false},
	{`"037"`, 0, false},
	{`"0x10"`, 0, false},
	{`1.5`, 0, false},
	{`"1.5"`, 0, false},
	{`37.0`, 0, false},
	{`1e3`, 0, false},
	{`9223372036854775808`, 0, false},
	{`"-9223372036854775809"`, 0, false},
	{`[1]`, 0, false},
	{`{"ID":1}`, 0, false},
	{``, 0, false},
	{`"`, 0, false},
	{`nul`, 0, false},
	{`-`, 0, false},
}

func TestValueIDAndInt(t *testing.T) {
	cases := slices.Clone(valIntCases)
	for _, e := range valEmptyForms {
		cases = append(cases, valIntCase{e, 0, true})
	}
	for _, c := range cases {
		// Start from a non-zero value: an empty form must reset it.
		id := b24.ID(99)
		err := id.UnmarshalJSON([]byte(c.in))
		n := b24.Int(99)
		errInt := n.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok || (errInt == nil) != c.ok {
			t.Errorf("%s: ID err %v, Int err %v; want ok=%v", c.in, err, errInt, c.ok)
			continue
		}
		if !c.ok {
			var ve *b24.ValueError
			if !errors.As(err, &ve) || ve.Type != "b24.ID" {
				t.Errorf("%s: ID error %#v is not a *ValueError for b24.ID", c.in, err)
			}
			if !errors.As(errInt, &ve) || ve.Type != "b24.Int" {
				t.Errorf("%s: Int error %#v is not a *ValueError for b24.Int", c.in, errInt)
			}
			continue
		}
		if int64(id) != c.want || int64(n) != c.want {
			t.Errorf("%s: got ID %d, Int %d; want %d", c.in, id, n, c.want)
		}
	}
}

func TestValueErrorReasons(t *testing.T) {
	cases := []struct {
		in, want string
		u        json.Unmarshaler
	}{
		{`1.5`, `b24: cannot decode 1.5 into b24.ID: not an integer`, new(b24.ID)},
		{`"1e3"`, `b24: cannot decode "1e3" into b24.Int: not an integer`, new(b24.Int)},
		{`9223372036854775808`, `b24: cannot decode 9223372036854775808 into b24.ID: out of range for int64`, new(b24.ID)},
		{`true`, `b24: cannot decode true into b24.ID: want an integer or a string holding one`, new(b24.ID)},
		{`"1,5"`, `b24: cannot decode "1,5" into b24.Float: not a number`, new(b24.Float)},
		{`1e400`, `b24: cannot decode 1e400 into b24.Float: out of range for float64`, new(b24.Float)},
		{`"yes"`, `b24: cannot decode "yes" into b24.YN: want "Y", "N", a boolean, 1 or 0`, new(b24.YN)},
		{`5`, `b24: cannot decode 5 into b24.DateTime: want a date string`, new(b24.DateTime)},
		{`"5 May"`, `b24: cannot decode "5 May" into b24.DateTime: not a date in a known layout`, new(b24.DateTime)},
		{`{"ID":"x"}`, `b24: Multifield ID: b24: cannot decode "x" into b24.ID: not a number`, new(b24.Multifield)},
	}
	for _, c := range cases {
		err := c.u.UnmarshalJSON([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %s", c.in, err, c.want)
		}
	}
}

func TestValueIDInStruct(t *testing.T) {
	var v struct {
		ID     b24.ID   `json:"ID"`
		LeadID b24.ID   `json:"LEAD_ID"`
		IDs    []b24.ID `json:"IDS"`
		Sort   b24.Int  `json:"SORT"`
	}
	in := `{"ID":"410","LEAD_ID":null,"IDS":["1",2,""],"SORT":"500"}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != 410 || v.LeadID != 0 || !slices.Equal(v.IDs, []b24.ID{1, 2, 0}) || v.Sort != 500 {
		t.Fatalf("got %+v", v)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"ID":410,"LEAD_ID":0,"IDS":[1,2,0],"SORT":500}`; string(out) != want {
		t.Errorf("marshal: got %s, want %s", out, want)
	}
	if s := b24.ID(-42).String(); s != "-42" {
		t.Errorf("String: got %q", s)
	}
	err = json.Unmarshal([]byte(`{"ID":"12,5"}`), &v)
	if err == nil || err.Error() != `b24: cannot decode "12,5" into b24.ID: not a number` {
		t.Errorf("error text: %v", err)
	}
}

func TestValueErrorShortensValue(t *testing.T) {
	long := `"` + strings.Repeat("й", 100) + `"`
	var id b24.ID
	err := id.UnmarshalJSON([]byte(long))
	var ve *b24.ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	if len(ve.Value) > 64 || !strings.HasSuffix(ve.Value, "...") || !strings.HasPrefix(ve.Value, `"йй`) {
		t.Errorf("Value %q (%d bytes): want at most 64 bytes, cut on a rune, ending in ...", ve.Value, len(ve.Value))
	}
	if strings.ContainsRune(ve.Value, '\uFFFD') {
		t.Errorf("Value %q has a cut rune", ve.Value)
	}
}

func TestValueFloat(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{`19999.99`, 19999.99, true},
		{`"19999.99"`, 19999.99, true},
		{`"1000000.00"`, 1000000, true},
		{`999.9`, 999.9, true},
		{`19000`, 19000, true},
		{`"0.00"`, 0, true},
		{`-1.5`, -1.5, true},
		{`"1e3"`, 1000, true},
		{`1E-2`, 0.01, true},
		{`"1,5"`, 0, false},
		{`" 1"`, 0, false},
		{`"NaN"`, 0, false},
		{`"Inf"`, 0, false},
		{`"-Infinity"`, 0, false},
		{`"0x10"`, 0, false},
		{`"1_000"`, 0, false},
		{`"."`, 0, false},
		{`"1."`, 0, false},
		{`".5"`, 0, false},
		{`"01"`, 0, false},
		{`"+1"`, 0, false},
		{`1e400`, 0, false},
		{`"1e400"`, 0, false},
		{`true`, 0, false},
		{`[1]`, 0, false},
		{`{"a":1}`, 0, false},
		{`"abc"`, 0, false},
		{``, 0, false},
	}
	for _, e := range valEmptyForms {
		cases = append(cases, struct {
			in   string
			want float64
			ok   bool
		}{e, 0, true})
	}
	for _, c := range cases {
		f := b24.Float(7)
		err := f.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		var ve *b24.ValueError
		if !c.ok && (!errors.As(err, &ve) || ve.Type != "b24.Float") {
			t.Errorf("%s: error %v is not a *ValueError for b24.Float", c.in, err)
		}
		if c.ok && float64(f) != c.want {
			t.Errorf("%s: got %v, want %v", c.in, f, c.want)
		}
	}
	for _, c := range []struct {
		in   b24.Float
		want string
	}{{19999.99, `19999.99`}, {0, `0`}, {1e21, `1e+21`}, {-0.5, `-0.5`}} {
		out, err := json.Marshal(c.in)
		if err != nil || string(out) != c.want {
			t.Errorf("marshal %v: got %s, %v; want %s", float64(c.in), out, err, c.want)
		}
	}
	if _, err := json.Marshal(b24.Float(math.NaN())); err == nil {
		t.Error("marshal NaN: want an error")
	}
}

func TestValueYN(t *testing.T) {
	cases := []struct {
		in   string
		want bool
		ok   bool
	}{
		{`"Y"`, true, true},
		{`"N"`, false, true},
		{`"y"`, true, true},
		{`"n"`, false, true},
		{`true`, true, true},
		{`false`, false, true},
		{`"1"`, true, true},
		{`"0"`, false, true},
		{`1`, true, true},
		{`0`, false, true},
		{` "Y" `, true, true},
		{`"yes"`, false, false},
		{`"YES"`, false, false},
		{`"true"`, false, false},
		{`"false"`, false, false},
		{`" Y"`, false, false},
		{`2`, false, false},
		{`"2"`, false, false},
		{`1.0`, false, false},
		{`-1`, false, false},
		{`[1]`, false, false},
		{`{"a":1}`, false, false},
		{``, false, false},
	}
	for _, e := range valEmptyForms {
		cases = append(cases, struct {
			in   string
			want bool
			ok   bool
		}{e, false, true})
	}
	for _, c := range cases {
		v := b24.YN(!c.want) // start from the opposite
		err := v.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		var ve *b24.ValueError
		if !c.ok && (!errors.As(err, &ve) || ve.Type != "b24.YN") {
			t.Errorf("%s: error %v is not a *ValueError for b24.YN", c.in, err)
		}
		if c.ok && bool(v) != c.want {
			t.Errorf("%s: got %v, want %v", c.in, v, c.want)
		}
	}
	out, err := json.Marshal(map[string]b24.YN{"a": true, "b": false})
	if err != nil || string(out) != `{"a":"Y","b":"N"}` {
		t.Errorf("marshal: %s, %v", out, err)
	}
	if b24.YN(true).String() != "Y" || b24.YN(false).String() != "N" {
		t.Error("String")
	}
}

func TestValueDateTime(t *testing.T) {
	plus2 := time.FixedZone("", 2*3600)
	cases := []struct {
		in   string
		want time.Time // zero: the zero time
		ok   bool
	}{
		{`"2024-08-30T14:29:00+02:00"`, time.Date(2024, 8, 30, 14, 29, 0, 0, plus2), true},
		{`"2024-08-05T09:02:13+00:00"`, time.Date(2024, 8, 5, 9, 2, 13, 0, time.UTC), true},
		{`"2024-08-05T09:02:13Z"`, time.Date(2024, 8, 5, 9, 2, 13, 0, time.UTC), true},
		{`"2024-08-30T14:29:00.25-03:30"`, time.Date(2024, 8, 30, 14, 29, 0, 250e6, time.FixedZone("", -(3*3600+1800))), true},
		{`"2024-07-23 08:08:50"`, time.Date(2024, 7, 23, 8, 8, 50, 0, time.UTC), true},
		{`"24.08.2023 13:19:39"`, time.Date(2023, 8, 24, 13, 19, 39, 0, time.UTC), true},
		{`"2024-08-30T14:29:00"`, time.Date(2024, 8, 30, 14, 29, 0, 0, time.UTC), true},
		{`"2024-08-30"`, time.Date(2024, 8, 30, 0, 0, 0, 0, time.UTC), true},
		{`"30.08.2024"`, time.Date(2024, 8, 30, 0, 0, 0, 0, time.UTC), true},
		{`"2024-08-30T14:29:00\u002B02:00"`, time.Date(2024, 8, 30, 14, 29, 0, 0, plus2), true},
		{`12345`, time.Time{}, false},
		{`1722848533.4`, time.Time{}, false},
		{`true`, time.Time{}, false},
		{`"2024-13-01"`, time.Time{}, false},
		{`"2024-02-30"`, time.Time{}, false},
		{`"30.08.24"`, time.Time{}, false},
		{`"2024-8-30"`, time.Time{}, false},
		{`"2024-08-30T14:29"`, time.Time{}, false},
		{`"2024-08-30T14:29:00+25:00"`, time.Time{}, false},
		{`"yesterday"`, time.Time{}, false},
		{`" 2024-08-30"`, time.Time{}, false},
		{`["2024-08-30"]`, time.Time{}, false},
		{`{"date":"2024-08-30"}`, time.Time{}, false},
		{``, time.Time{}, false},
	}
	for _, e := range valEmptyForms {
		cases = append(cases, struct {
			in   string
			want time.Time
			ok   bool
		}{e, time.Time{}, true})
	}
	for _, c := range cases {
		d := b24.DateTime{Time: time.Unix(1, 0)}
		err := d.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		var ve *b24.ValueError
		if !c.ok && (!errors.As(err, &ve) || ve.Type != "b24.DateTime") {
			t.Errorf("%s: error %v is not a *ValueError for b24.DateTime", c.in, err)
		}
		if !c.ok {
			continue
		}
		if !d.Equal(c.want) || d.IsZero() != c.want.IsZero() {
			t.Errorf("%s: got %v, want %v", c.in, d.Time, c.want)
		}
		_, gotOff := d.Zone()
		_, wantOff := c.want.Zone()
		if gotOff != wantOff {
			t.Errorf("%s: offset %d, want %d", c.in, gotOff, wantOff)
		}
	}
	for _, c := range []struct {
		in   b24.DateTime
		want string
		ok   bool
	}{
		{b24.DateTime{}, `""`, true},
		{b24.DateTime{Time: time.Date(2024, 8, 30, 14, 29, 0, 0, plus2)}, `"2024-08-30T14:29:00+02:00"`, true},
		{b24.DateTime{Time: time.Date(2024, 8, 30, 14, 29, 0, 999e6, time.UTC)}, `"2024-08-30T14:29:00Z"`, true},
		{b24.DateTime{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, ``, false},
		{b24.DateTime{Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}, ``, false},
	} {
		out, err := json.Marshal(c.in)
		if (err == nil) != c.ok || string(out) != c.want {
			t.Errorf("marshal %v: got %s, %v; want %s (ok=%v)", c.in.Time, out, err, c.want, c.ok)
		}
	}
	if d, err := b24.ParseDateTime("24.08.2023 13:19:39"); err != nil || d.Format(time.DateTime) != "2023-08-24 13:19:39" {
		t.Errorf("ParseDateTime: %v, %v", d, err)
	}
	if _, err := b24.ParseDateTime("next week"); err == nil || !strings.Contains(err.Error(), `"next week"`) {
		t.Errorf("ParseDateTime error should quote the value: %v", err)
	}
}

func TestValuePHPMap(t *testing.T) {
	cases := []struct {
		in      string
		want    map[string]b24.Int
		wantNil bool
		ok      bool
	}{
		{`{"a":1,"b":"2"}`, map[string]b24.Int{"a": 1, "b": 2}, false, true},
		{`{"1":10}`, map[string]b24.Int{"1": 10}, false, true},
		{`[]`, map[string]b24.Int{}, false, true},
		{`[ ]`, map[string]b24.Int{}, false, true},
		{`{}`, map[string]b24.Int{}, false, true},
		{`[10,"20"]`, map[string]b24.Int{"0": 10, "1": 20}, false, true},
		{`""`, map[string]b24.Int{}, false, true},
		{`false`, map[string]b24.Int{}, false, true},
		{`null`, nil, true, true},
		{`1`, nil, false, false},
		{`"x"`, nil, false, false},
		{`true`, nil, false, false},
		{`{"a":"x"}`, nil, false, false},
		{`["x"]`, nil, false, false},
		{`{"a":1`, nil, false, false},
		{``, nil, false, false},
	}
	for _, c := range cases {
		m := b24.PHPMap[b24.Int]{"stale": 1}
		err := m.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		if (m == nil) != c.wantNil || !reflect.DeepEqual(map[string]b24.Int(m), c.want) && !c.wantNil {
			t.Errorf("%s: got %#v, want %#v", c.in, m, c.want)
		}
	}
	var bad b24.PHPMap[b24.Int]
	err := bad.UnmarshalJSON([]byte(`"x"`))
	if err == nil || err.Error() != `b24: cannot decode "x" into b24.PHPMap[b24.Int]: want an object or an array` {
		t.Errorf("error text: %v", err)
	}

	for _, c := range []struct {
		in   b24.PHPMap[b24.Int]
		want string
	}{{nil, `null`}, {b24.PHPMap[b24.Int]{}, `{}`}, {b24.PHPMap[b24.Int]{"1": 20, "0": 10}, `{"0":10,"1":20}`}} {
		out, err := json.Marshal(c.in)
		if err != nil || string(out) != c.want {
			t.Errorf("marshal %#v: %s, %v; want %s", c.in, out, err, c.want)
		}
	}
}

func TestValueMultifield(t *testing.T) {
	cases := []struct {
		in   string
		want b24.Multifield
		ok   bool
	}{
		{`{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+13333333555","TYPE_ID":"PHONE"}`,
			b24.Multifield{ID: 156, TypeID: "PHONE", ValueType: "WORK", Value: "+13333333555"}, true},
		{`{"id":101,"valueType":"WORK","value":"+6111111111","typeId":"PHONE"}`,
			b24.Multifield{ID: 101, TypeID: "PHONE", ValueType: "WORK", Value: "+6111111111"}, true},
		{`{"ID":"157","DELETE":"Y"}`, b24.Multifield{ID: 157, Delete: true}, true},
		{`{"ID":157,"VALUE":null,"VALUE_TYPE_NAME":"x"}`, b24.Multifield{ID: 157}, true},
		{`null`, b24.Multifield{}, true},
		{`[]`, b24.Multifield{}, true},
		{`[1]`, b24.Multifield{}, false},
		{`"x"`, b24.Multifield{}, false},
		{`{"ID":"x"}`, b24.Multifield{}, false},
		{`{"VALUE":1}`, b24.Multifield{}, false},
		{`{"DELETE":"maybe"}`, b24.Multifield{}, false},
		{`{"ID":1`, b24.Multifield{}, false},
	}
	for _, c := range cases {
		m := b24.Multifield{ID: 9, Value: "stale"}
		err := m.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && m != c.want {
			t.Errorf("%s: got %+v, want %+v", c.in, m, c.want)
		}
	}

	// The update rows of docs/protocol.md §9.
	for _, c := range []struct {
		row  b24.Multifield
		want string
	}{
		{b24.MultifieldAdd("WORK", "+15550100"), `{"VALUE_TYPE":"WORK","VALUE":"+15550100"}`},
		{b24.MultifieldSet(156, "+15550101"), `{"ID":156,"VALUE":"+15550101"}`},
		{b24.MultifieldDelete(157), `{"ID":157,"DELETE":"Y"}`},
		{b24.Multifield{ID: 5, TypeID: "EMAIL", ValueType: "HOME", Value: `a"b@x`}, `{"ID":5,"TYPE_ID":"EMAIL","VALUE_TYPE":"HOME","VALUE":"a\"b@x"}`},
		{b24.Multifield{ID: 5, ValueType: "HOME", Value: "x", Delete: true}, `{"ID":5,"DELETE":"Y"}`},
		{b24.Multifield{}, `{"VALUE":""}`},
	} {
		out, err := json.Marshal(c.row)
		if err != nil || string(out) != c.want {
			t.Errorf("marshal %+v: %s, %v; want %s", c.row, out, err, c.want)
		}
	}

	// Reading a contact's rows and sending a row back by its ID updates it in
	// place; the row without an ID is an addition.
	var contact struct {
		Phone []b24.Multifield `json:"PHONE"`
	}
	if err := json.Unmarshal([]byte(`{"PHONE":[{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+1","TYPE_ID":"PHONE"}]}`), &contact); err != nil {
		t.Fatal(err)
	}
	update := []b24.Multifield{b24.MultifieldSet(contact.Phone[0].ID, "+2"), b24.MultifieldAdd("HOME", "+3")}
	out, _ := json.Marshal(map[string]any{"PHONE": update})
	if want := `{"PHONE":[{"ID":156,"VALUE":"+2"},{"VALUE_TYPE":"HOME","VALUE":"+3"}]}`; string(out) != want {
		t.Errorf("update rows: %s, want %s", out, want)
	}
}

// Fuzz targets: no input panics, and what decodes re-encodes to something
// that decodes to the same value.

func valFuzzSeeds(f *testing.F, extra ...string) {
	for _, c := range valIntCases {
		f.Add([]byte(c.in))
	}
	for _, s := range valEmptyForms {
		f.Add([]byte(s))
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

func FuzzValueID(f *testing.F) {
	valFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v b24.ID
		if v.UnmarshalJSON(data) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %d: %v", v, err)
		}
		var back b24.ID
		if err := json.Unmarshal(out, &back); err != nil || back != v {
			t.Fatalf("%q -> %d -> %s -> %d, %v", data, v, out, back, err)
		}
	})
}

func FuzzValueInt(f *testing.F) {
	valFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v b24.Int
		if v.UnmarshalJSON(data) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %d: %v", v, err)
		}
		var back b24.Int
		if err := json.Unmarshal(out, &back); err != nil || back != v {
			t.Fatalf("%q -> %d -> %s -> %d, %v", data, v, out, back, err)
		}
	})
}

func FuzzValueFloat(f *testing.F) {
	valFuzzSeeds(f, `"19999.99"`, `999.9`, `"1e3"`, `1e400`, `-0`, `"NaN"`)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v b24.Float
		if v.UnmarshalJSON(data) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %v: %v", float64(v), err)
		}
		var back b24.Float
		if err := json.Unmarshal(out, &back); err != nil || back != v {
			t.Fatalf("%q -> %v -> %s -> %v, %v", data, float64(v), out, float64(back), err)
		}
	})
}

func FuzzValueYN(f *testing.F) {
	valFuzzSeeds(f, `"Y"`, `"N"`, `"y"`, `true`, `"1"`, `1`, `"yes"`)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v b24.YN
		if v.UnmarshalJSON(data) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back b24.YN
		if err := json.Unmarshal(out, &back); err != nil || back != v {
			t.Fatalf("%q -> %v -> %s -> %v, %v", data, v, out, back, err)
		}
	})
}

func FuzzValueDateTime(f *testing.F) {
	valFuzzSeeds(f, `"2024-08-30T14:29:00+02:00"`, `"2024-07-23 08:08:50"`, `"24.08.2023 13:19:39"`,
		`"2024-08-30"`, `"30.08.2024"`, `"2024-08-30T14:29:00.123456789-03:30"`, `"0000-01-01T00:00:00+01:00"`,
		`"9999-12-31T23:59:59-23:59"`, `"0001-01-01T00:00:00Z"`)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v b24.DateTime
		if v.UnmarshalJSON(data) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %v (from %q): %v", v.Time, data, err)
		}
		var back b24.DateTime
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q -> %s: %v", data, out, err)
		}
		want := v.Truncate(time.Second) // the portal's precision
		_, off := v.Zone()
		_, backOff := back.Zone()
		if !back.Equal(want) || back.IsZero() != v.IsZero() || (!v.IsZero() && off != backOff) {
			t.Fatalf("%q -> %v -> %s -> %v", data, v.Time, out, back.Time)
		}
		again, err := json.Marshal(back)
		if err != nil || string(again) != string(out) {
			t.Fatalf("marshal not stable: %s then %s, %v", out, again, err)
		}
	})
}

func FuzzValuePHPMap(f *testing.F) {
	valFuzzSeeds(f, `{"a":1,"b":[2]}`, `[1,"x",{"y":null}]`, `{"1":{"id":"1"}}`, `[[]]`)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v b24.PHPMap[any]
		if v.UnmarshalJSON(data) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %#v: %v", v, err)
		}
		var back b24.PHPMap[any]
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("%q -> %#v -> %s -> %#v, %v", data, v, out, back, err)
		}
	})
}

func FuzzValueMultifield(f *testing.F) {
	valFuzzSeeds(f, `{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+1","TYPE_ID":"PHONE"}`,
		`{"id":101,"valueType":"WORK","value":"x","typeId":"EMAIL"}`, `{"ID":"157","DELETE":"Y","VALUE":"x"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v b24.Multifield
		if v.UnmarshalJSON(data) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %+v: %v", v, err)
		}
		var back b24.Multifield
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q -> %+v -> %s: %v", data, v, out, err)
		}
		want := v
		if want.Delete { // a delete row carries only ID (and TYPE_ID)
			want.Value, want.ValueType = "", ""
		}
		if back != want {
			t.Fatalf("%q -> %+v -> %s -> %+v", data, v, out, back)
		}
	})
}

// The vectors are real response bodies (testdata/vectors, shared with the
// b24test package's tests). Every vector that carries a
// "result" must have a case below that decodes it into typed Go structs built
// from the value types and checks specific values.

const valVectorDir = "testdata/vectors"

// Typed shapes of the vectors' results, as a user of the SDK would write them.

type valDeal struct {
	ID                  b24.ID       `json:"ID"`
	Title               string       `json:"TITLE"`
	CategoryID          b24.ID       `json:"CATEGORY_ID"`
	StageID             string       `json:"STAGE_ID"`
	Probability         b24.Int      `json:"PROBABILITY"`
	CurrencyID          string       `json:"CURRENCY_ID"`
	Opportunity         b24.Float    `json:"OPPORTUNITY"`
	IsManualOpportunity b24.YN       `json:"IS_MANUAL_OPPORTUNITY"`
	TaxValue            b24.Float    `json:"TAX_VALUE"`
	LeadID              b24.ID       `json:"LEAD_ID"`
	CompanyID           b24.ID       `json:"COMPANY_ID"`
	ContactID           b24.ID       `json:"CONTACT_ID"`
	BeginDate           b24.DateTime `json:"BEGINDATE"`
	CloseDate           b24.DateTime `json:"CLOSEDATE"`
	AssignedByID        b24.ID       `json:"ASSIGNED_BY_ID"`
	DateCreate          b24.DateTime `json:"DATE_CREATE"`
	Opened              b24.YN       `json:"OPENED"`
	Closed              b24.YN       `json:"CLOSED"`
	IsNew               b24.YN       `json:"IS_NEW"`
	ParentID1220        b24.ID       `json:"PARENT_ID_1220"`
	UFString            string       `json:"UF_CRM_1721244482250"`
}

type valContact struct {
	ID               b24.ID           `json:"ID"`
	Name             string           `json:"NAME"`
	LastName         string           `json:"LAST_NAME"`
	Photo            b24.ID           `json:"PHOTO"`
	CompanyID        b24.ID           `json:"COMPANY_ID"`
	BirthDate        b24.DateTime     `json:"BIRTHDATE"`
	Export           b24.YN           `json:"EXPORT"`
	HasPhone         b24.YN           `json:"HAS_PHONE"`
	HasImol          b24.YN           `json:"HAS_IMOL"`
	AssignedByID     b24.ID           `json:"ASSIGNED_BY_ID"`
	DateCreate       b24.DateTime     `json:"DATE_CREATE"`
	LastActivityTime b24.DateTime     `json:"LAST_ACTIVITY_TIME"`
	Phone            []b24.Multifield `json:"PHONE"`
	Email            []b24.Multifield `json:"EMAIL"`
	Web              []b24.Multifield `json:"WEB"`
}

type valField struct {
	Type        string          `json:"type"`
	IsRequired  bool            `json:"isRequired"`
	IsReadOnly  bool            `json:"isReadOnly"`
	IsImmutable bool            `json:"isImmutable"`
	IsMultiple  bool            `json:"isMultiple"`
	Title       string          `json:"title"`
	StatusType  string          `json:"statusType"`
	UpperName   string          `json:"upperName"`
	Settings    b24.PHPMap[any] `json:"settings"`
}

type valItem struct {
	ID                  b24.ID           `json:"id"`
	EntityTypeID        b24.Int          `json:"entityTypeId"`
	Title               string           `json:"title"`
	LastName            string           `json:"lastName"`
	CreatedTime         b24.DateTime     `json:"createdTime"`
	DateCreateShort     b24.DateTime     `json:"dateCreateShort"`
	CreatedBy           b24.ID           `json:"createdBy"`
	AssignedByID        b24.ID           `json:"assignedById"`
	Opened              b24.YN           `json:"opened"`
	LeadID              b24.ID           `json:"leadId"`
	CompanyID           b24.ID           `json:"companyId"`
	CategoryID          b24.ID           `json:"categoryId"`
	Probability         b24.Int          `json:"probability"`
	Opportunity         b24.Float        `json:"opportunity"`
	IsManualOpportunity b24.YN           `json:"isManualOpportunity"`
	TaxValue            b24.Float        `json:"taxValue"`
	Begindate           b24.DateTime     `json:"begindate"`
	Birthdate           b24.DateTime     `json:"birthdate"`
	MovedTime           b24.DateTime     `json:"movedTime"`
	HasImol             b24.YN           `json:"hasImol"`
	WebformID           b24.ID           `json:"webformId"`
	FM                  []b24.Multifield `json:"fm"`
	Observers           []b24.ID         `json:"observers"`
	ContactIDs          []b24.ID         `json:"contactIds"`
	UFMoney             b24.Float        `json:"ufCrm_1721244707107"`
}

type valUser struct {
	ID               b24.ID       `json:"ID"`
	Active           b24.YN       `json:"ACTIVE"`
	Admin            b24.YN       `json:"ADMIN"`
	Name             string       `json:"NAME"`
	LastName         string       `json:"LAST_NAME"`
	Email            string       `json:"EMAIL"`
	LastLogin        b24.DateTime `json:"LAST_LOGIN"`
	DateRegister     b24.DateTime `json:"DATE_REGISTER"`
	IsOnline         b24.YN       `json:"IS_ONLINE"`
	TimestampX       b24.DateTime `json:"TIMESTAMP_X"`
	LastActivityDate b24.DateTime `json:"LAST_ACTIVITY_DATE"`
	PersonalGender   string       `json:"PERSONAL_GENDER"`
	PersonalBirthday b24.DateTime `json:"PERSONAL_BIRTHDAY"`
	EmploymentDate   b24.DateTime `json:"UF_EMPLOYMENT_DATE"`
	TimeZone         string       `json:"TIME_ZONE"`
	Department       []b24.ID     `json:"UF_DEPARTMENT"`
}

type valDepartment struct {
	ID   b24.ID  `json:"ID"`
	Name string  `json:"NAME"`
	Sort b24.Int `json:"SORT"`
}

type valTime struct {
	Start            b24.Float    `json:"start"`
	Finish           b24.Float    `json:"finish"`
	Duration         b24.Float    `json:"duration"`
	Processing       b24.Float    `json:"processing"`
	DateStart        b24.DateTime `json:"date_start"`
	DateFinish       b24.DateTime `json:"date_finish"`
	Operating        b24.Float    `json:"operating"`
	OperatingResetAt b24.Int      `json:"operating_reset_at"`
}

type valBatchError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

type valBatch struct {
	Result      b24.PHPMap[json.RawMessage] `json:"result"`
	ResultError b24.PHPMap[valBatchError]   `json:"result_error"`
	ResultTotal b24.PHPMap[b24.Int]         `json:"result_total"`
	ResultNext  b24.PHPMap[b24.Int]         `json:"result_next"`
	ResultTime  b24.PHPMap[valTime]         `json:"result_time"`
}

type valTaskUser struct {
	ID           b24.ID `json:"id"`
	Name         string `json:"name"`
	WorkPosition string `json:"workPosition"`
}

type valTaskV2 struct {
	ID                b24.ID                   `json:"id"`
	Title             string                   `json:"title"`
	Priority          b24.Int                  `json:"priority"`
	Status            b24.Int                  `json:"status"`
	Mark              string                   `json:"mark"`
	Multitask         b24.YN                   `json:"multitask"`
	Subordinate       b24.YN                   `json:"subordinate"`
	Favorite          b24.YN                   `json:"favorite"`
	CreatedBy         b24.ID                   `json:"createdBy"`
	ResponsibleID     b24.ID                   `json:"responsibleId"`
	GroupID           b24.ID                   `json:"groupId"`
	TimeEstimate      b24.Int                  `json:"timeEstimate"`
	CreatedDate       b24.DateTime             `json:"createdDate"`
	ClosedDate        b24.DateTime             `json:"closedDate"`
	Deadline          b24.DateTime             `json:"deadline"`
	UfCrmTask         []string                 `json:"ufCrmTask"`
	UfTaskWebdavFiles []b24.ID                 `json:"ufTaskWebdavFiles"`
	Auditors          []b24.ID                 `json:"auditors"`
	AuditorsData      b24.PHPMap[valTaskUser]  `json:"auditorsData"`
	AccomplicesData   b24.PHPMap[valTaskUser]  `json:"accomplicesData"`
	Group             b24.PHPMap[any]          `json:"group"`
	Creator           valTaskUser              `json:"creator"`
	Responsible       valTaskUser              `json:"responsible"`
	Action            map[string]bool          `json:"action"`
	Tags              b24.PHPMap[valTaskUser2] `json:"tags"`
	TimeElapsed       b24.Int                  `json:"timeElapsed"`
}

type valTaskUser2 struct {
	ID    b24.ID `json:"id"`
	Title string `json:"title"`
}

type valTaskV3 struct {
	ID             b24.ID          `json:"id"`
	Title          string          `json:"title"`
	ResponsibleID  b24.ID          `json:"responsibleId"`
	Deadline       b24.DateTime    `json:"deadline"`
	NeedsControl   b24.YN          `json:"needsControl"`
	StartPlan      b24.DateTime    `json:"startPlan"`
	StatusChanged  b24.DateTime    `json:"statusChanged"`
	Changed        b24.DateTime    `json:"changed"`
	FileIDs        []b24.ID        `json:"fileIds"`
	Checklist      []b24.ID        `json:"checklist"`
	ChatID         b24.ID          `json:"chatId"`
	Priority       string          `json:"priority"`
	Status         string          `json:"status"`
	OutlookVersion b24.Int         `json:"outlookVersion"`
	Link           string          `json:"link"`
	Rights         map[string]bool `json:"rights"`
	CrmItemIDs     []string        `json:"crmItemIds"`
	Responsible    struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"responsible"`
}

// Helpers.

func valDecode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode into %T: %v", v, err)
	}
}

func valUnwrap(t *testing.T, raw json.RawMessage, key string, v any) {
	t.Helper()
	inner, err := rawjson.Unwrap(raw, key)
	if err != nil {
		t.Fatal(err)
	}
	valDecode(t, inner, v)
}

// valAt checks that d is the instant and offset of want (RFC 3339).
func valAt(t *testing.T, what string, d b24.DateTime, want string) {
	t.Helper()
	w, err := time.Parse(time.RFC3339, want)
	if err != nil {
		t.Fatal(err)
	}
	_, off := d.Zone()
	_, wantOff := w.Zone()
	if !d.Equal(w) || off != wantOff {
		t.Errorf("%s = %s, want %s", what, d.Format(time.RFC3339), want)
	}
}

func valZero(t *testing.T, what string, d b24.DateTime) {
	t.Helper()
	if !d.IsZero() {
		t.Errorf("%s = %v, want the zero time", what, d.Time)
	}
}

func valEq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func valIDs(t *testing.T, what string, got []b24.ID, want ...b24.ID) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func valScalarTrue(t *testing.T, raw json.RawMessage) {
	var ok b24.YN
	valDecode(t, raw, &ok)
	valEq(t, "result", ok, true)
	valEq(t, "kind", rawjson.KindOf(raw), rawjson.Bool)
}

func valScalarID(want b24.ID) func(*testing.T, json.RawMessage) {
	return func(t *testing.T, raw json.RawMessage) {
		var id b24.ID
		valDecode(t, raw, &id)
		valEq(t, "new id", id, want)
		valEq(t, "kind", rawjson.KindOf(raw), rawjson.Number)
	}
}

func valV3True(t *testing.T, raw json.RawMessage) {
	var ok b24.YN
	valUnwrap(t, raw, "result", &ok)
	valEq(t, "result.result", ok, true)
}

func valFields(t *testing.T, raw json.RawMessage) b24.PHPMap[valField] {
	var fields b24.PHPMap[valField]
	valDecode(t, raw, &fields)
	keys, err := rawjson.Keys(raw)
	if err != nil {
		t.Fatal(err)
	}
	valEq(t, "len(Keys)", len(keys), len(fields))
	valEq(t, "first key", keys[0], "ID")
	valEq(t, "ID.type", fields["ID"].Type, "integer")
	valEq(t, "ID.isReadOnly", fields["ID"].IsReadOnly, true)
	valEq(t, "LEAD_ID.type", fields["LEAD_ID"].Type, "crm_lead")
	valEq(t, "LEAD_ID.settings.parentEntityTypeId", fields["LEAD_ID"].Settings["parentEntityTypeId"], any(1.0))
	return fields
}

var valVectorCases = map[string]func(*testing.T, json.RawMessage){
	"crm.deal.get.json": func(t *testing.T, raw json.RawMessage) {
		var d valDeal
		valDecode(t, raw, &d)
		valEq(t, "ID", d.ID, 410)
		valEq(t, "OPPORTUNITY", d.Opportunity, 1000000)
		valEq(t, "TAX_VALUE", d.TaxValue, 0)
		valEq(t, "PROBABILITY", d.Probability, 99)
		valEq(t, "IS_MANUAL_OPPORTUNITY", d.IsManualOpportunity, true)
		valEq(t, "OPENED", d.Opened, true)
		valEq(t, "CLOSED", d.Closed, false)
		valEq(t, "LEAD_ID (null)", d.LeadID, 0)
		valEq(t, "COMPANY_ID", d.CompanyID, 9)
		valEq(t, "CONTACT_ID", d.ContactID, 84)
		valEq(t, "CATEGORY_ID", d.CategoryID, 0)
		valEq(t, "PARENT_ID_1220", d.ParentID1220, 22)
		valEq(t, "UF_CRM_1721244482250", d.UFString, "Hello world!")
		valAt(t, "BEGINDATE", d.BeginDate, "2024-08-30T02:00:00+02:00")
		valAt(t, "CLOSEDATE", d.CloseDate, "2024-09-09T02:00:00+02:00")
		valAt(t, "DATE_CREATE", d.DateCreate, "2024-08-30T14:29:00+02:00")
	},
	"crm.deal.list.json": func(t *testing.T, raw json.RawMessage) {
		var deals []valDeal
		valDecode(t, raw, &deals)
		if len(deals) != 6 {
			t.Fatalf("%d deals, want 6", len(deals))
		}
		valEq(t, "[0].ID", deals[0].ID, 37)
		valEq(t, "[0].OPPORTUNITY", deals[0].Opportunity, 19999.99)
		valEq(t, "[0].CATEGORY_ID", deals[0].CategoryID, 1)
		valEq(t, "[0].IS_MANUAL_OPPORTUNITY", deals[0].IsManualOpportunity, true)
		valAt(t, "[0].DATE_CREATE", deals[0].DateCreate, "2024-09-02T18:37:18+02:00")
		valEq(t, "[5].ID", deals[5].ID, 42)
		valEq(t, "[5].ASSIGNED_BY_ID", deals[5].AssignedByID, 6)
		valEq(t, "[5].OPPORTUNITY", deals[5].Opportunity, 18500)
	},
	"crm.deal.fields.json": func(t *testing.T, raw json.RawMessage) {
		f := valFields(t, raw)
		valEq(t, "OPPORTUNITY.type", f["OPPORTUNITY"].Type, "double")
		valEq(t, "CATEGORY_ID.isImmutable", f["CATEGORY_ID"].IsImmutable, true)
		valEq(t, "TYPE_ID.statusType", f["TYPE_ID"].StatusType, "DEAL_TYPE")
		valEq(t, "COMPANY_ID.settings.parentEntityTypeId", f["COMPANY_ID"].Settings["parentEntityTypeId"], any(4.0))
	},
	"crm.deal.add.json":    valScalarID(394),
	"crm.deal.update.json": valScalarTrue,
	"crm.deal.delete.json": valScalarTrue,
	"crm.contact.get.json": func(t *testing.T, raw json.RawMessage) {
		var c valContact
		valDecode(t, raw, &c)
		valEq(t, "ID", c.ID, 43)
		valEq(t, "PHOTO (null)", c.Photo, 0)
		valEq(t, "COMPANY_ID", c.CompanyID, 12)
		valEq(t, "HAS_PHONE", c.HasPhone, true)
		valEq(t, "HAS_IMOL", c.HasImol, false)
		valAt(t, "BIRTHDATE", c.BirthDate, "2001-11-11T02:00:00+02:00")
		if len(c.Phone) != 2 || len(c.Email) != 2 || c.Web != nil {
			t.Fatalf("PHONE %v, EMAIL %v, WEB %v", c.Phone, c.Email, c.Web)
		}
		valEq(t, "PHONE[0]", c.Phone[0], b24.Multifield{ID: 156, TypeID: "PHONE", ValueType: "WORK", Value: "+13333333555"})
		valEq(t, "PHONE[1].VALUE_TYPE", c.Phone[1].ValueType, "HOME")
		valEq(t, "EMAIL[1]", c.Email[1], b24.Multifield{ID: 159, TypeID: "EMAIL", ValueType: "WORK", Value: "johnsmith@example.work"})
		// Updating the second number in place needs its ID.
		out, _ := json.Marshal([]b24.Multifield{b24.MultifieldSet(c.Phone[1].ID, "+15599888667"), b24.MultifieldDelete(c.Phone[0].ID)})
		valEq(t, "update rows", string(out), `[{"ID":157,"VALUE":"+15599888667"},{"ID":156,"DELETE":"Y"}]`)
	},
	"crm.contact.list.json": func(t *testing.T, raw json.RawMessage) {
		var cs []valContact
		valDecode(t, raw, &cs)
		if len(cs) != 5 {
			t.Fatalf("%d contacts, want 5", len(cs))
		}
		valEq(t, "[0].ID", cs[0].ID, 75)
		valEq(t, "[0].EXPORT", cs[0].Export, true)
		valAt(t, "[0].DATE_CREATE", cs[0].DateCreate, "2024-02-26T00:00:00+02:00")
		valEq(t, "[0].EMAIL[0].ID", cs[0].Email[0].ID, 215)
		valEq(t, "[4].EMAIL[0].ID", cs[4].Email[0].ID, 213)
		valEq(t, "[4].ASSIGNED_BY_ID", cs[4].AssignedByID, 1)
	},
	"crm.contact.fields.json": func(t *testing.T, raw json.RawMessage) {
		f := valFields(t, raw)
		valEq(t, "NAME.isRequired", f["NAME"].IsRequired, true)
		valEq(t, "PHONE.type", f["PHONE"].Type, "crm_multifield")
		valEq(t, "PHONE.isMultiple", f["PHONE"].IsMultiple, true)
	},
	"crm.contact.add.json":        valScalarID(46),
	"crm.contact.update.json":     valScalarTrue,
	"crm.contact.delete.json":     valScalarTrue,
	"crm.company.delete.json":     valScalarTrue,
	"success.with-operating.json": valScalarID(3465),
	"crm.item.get.json": func(t *testing.T, raw json.RawMessage) {
		var it valItem
		valUnwrap(t, raw, "item", &it)
		valEq(t, "id", it.ID, 250)
		valEq(t, "entityTypeId", it.EntityTypeID, 1)
		valEq(t, "opportunity", it.Opportunity, 999.9)
		valEq(t, "isManualOpportunity", it.IsManualOpportunity, true)
		valEq(t, "opened", it.Opened, true)
		valEq(t, "hasImol", it.HasImol, false)
		valEq(t, "companyId", it.CompanyID, 0)
		valAt(t, "createdTime", it.CreatedTime, "2024-07-22T18:00:08+02:00")
		valAt(t, "birthdate", it.Birthdate, "2000-01-01T02:00:00+02:00")
		valZero(t, "dateCreateShort (null)", it.DateCreateShort)
		if len(it.FM) != 2 {
			t.Fatalf("fm = %v", it.FM)
		}
		valEq(t, "fm[0]", it.FM[0], b24.Multifield{ID: 101, TypeID: "PHONE", ValueType: "WORK", Value: "+6111111111"})
		valEq(t, "fm[1].typeId", it.FM[1].TypeID, "EMAIL")
		if it.Observers == nil || len(it.Observers) != 0 {
			t.Errorf("observers = %#v, want empty", it.Observers)
		}
	},
	"crm.item.add.json": func(t *testing.T, raw json.RawMessage) {
		var it valItem
		valUnwrap(t, raw, "item", &it)
		valEq(t, "id", it.ID, 342)
		valEq(t, "entityTypeId", it.EntityTypeID, 2)
		valEq(t, "opportunity", it.Opportunity, 999.99)
		valEq(t, "probability", it.Probability, 50)
		valEq(t, "leadId", it.LeadID, 102)
		valEq(t, "categoryId", it.CategoryID, 9)
		valEq(t, "opened", it.Opened, false)
		valEq(t, "ufCrm_1721244707107", it.UFMoney, 1111.1)
		valEq(t, "webformId (null)", it.WebformID, 0)
		valIDs(t, "observers", it.Observers, 2, 3)
		valIDs(t, "contactIds", it.ContactIDs, 4, 5)
		valAt(t, "begindate", it.Begindate, "2024-06-18T02:00:00+02:00")
	},
	"crm.item.update.json": func(t *testing.T, raw json.RawMessage) {
		var it valItem
		valUnwrap(t, raw, "item", &it)
		valEq(t, "id", it.ID, 351)
		valEq(t, "opportunity", it.Opportunity, 10000)
		valEq(t, "isManualOpportunity", it.IsManualOpportunity, false)
		valEq(t, "probability (null)", it.Probability, 0)
		valEq(t, "ufCrm_1721244707107", it.UFMoney, 200.05)
		valIDs(t, "observers", it.Observers, 1, 2, 3)
		valAt(t, "movedTime", it.MovedTime, "2024-07-23T18:19:21+02:00")
	},
	"crm.item.list.json": func(t *testing.T, raw json.RawMessage) {
		var items []valItem
		valUnwrap(t, raw, "items", &items)
		if len(items) != 4 {
			t.Fatalf("%d items, want 4", len(items))
		}
		var ids []b24.ID
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		valIDs(t, "ids", ids, 253, 255, 252, 254)
		valEq(t, "[0].opportunity", items[0].Opportunity, 19000)
		valEq(t, "[0].lastName (null)", items[0].LastName, "")
		valEq(t, "[1].lastName", items[1].LastName, "Weber")
		valEq(t, "[3].assignedById", items[3].AssignedByID, 6)
	},
	"crm.item.delete.json": func(t *testing.T, raw json.RawMessage) {
		// PHP's empty array where an object might be.
		valEq(t, "kind", rawjson.KindOf(raw), rawjson.Array)
		valEq(t, "IsEmpty", rawjson.IsEmpty(raw), true)
		var m b24.PHPMap[any]
		valDecode(t, raw, &m)
		if m == nil || len(m) != 0 {
			t.Errorf("PHPMap = %#v, want empty", m)
		}
		if _, err := rawjson.Unwrap(raw, "item"); !errors.Is(err, rawjson.ErrKeyNotFound) {
			t.Errorf("Unwrap of []: %v", err)
		}
	},
	"crm.item.fields.json": func(t *testing.T, raw json.RawMessage) {
		var fields b24.PHPMap[valField]
		valUnwrap(t, raw, "fields", &fields)
		valEq(t, "id.type", fields["id"].Type, "integer")
		valEq(t, "opportunity.upperName", fields["opportunity"].UpperName, "OPPORTUNITY")
		valEq(t, "contactIds.isMultiple", fields["contactIds"].IsMultiple, true)
		valEq(t, "opened.isRequired", fields["opened"].IsRequired, true)
		valEq(t, "companyId.settings.parentEntityTypeId", fields["companyId"].Settings["parentEntityTypeId"], any(4.0))
		valEq(t, "stageId.statusType", fields["stageId"].StatusType, "DYNAMIC_1268_STAGE_52")
		inner, _ := rawjson.Unwrap(raw, "fields")
		keys, err := rawjson.Keys(inner)
		if err != nil || len(keys) != len(fields) || keys[0] != "id" || keys[len(keys)-1] != "parentId1248" {
			t.Errorf("Keys = %q, %v", keys, err)
		}
		// The upper-case name finds the camelCase key.
		var my valField
		f, err := rawjson.UnwrapFold(inner, "MYCOMPANY_ID")
		if err != nil {
			t.Fatal(err)
		}
		valDecode(t, f, &my)
		valEq(t, "mycompanyId.upperName", my.UpperName, "MYCOMPANY_ID")
		valEq(t, "mycompanyId.settings.isMyCompany", my.Settings["isMyCompany"], any(true))
	},
	"profile.json": func(t *testing.T, raw json.RawMessage) {
		var u valUser
		valDecode(t, raw, &u)
		valEq(t, "ID", u.ID, 1)
		valEq(t, "ADMIN", u.Admin, true)
		valEq(t, "NAME", u.Name, "Vadim")
		valEq(t, "TIME_ZONE", u.TimeZone, "")
	},
	"user.current.json": func(t *testing.T, raw json.RawMessage) {
		var u valUser
		valDecode(t, raw, &u)
		valEq(t, "ID", u.ID, 3)
		valEq(t, "ACTIVE", u.Active, true)
		valEq(t, "IS_ONLINE", u.IsOnline, true)
		valAt(t, "LAST_LOGIN", u.LastLogin, "2024-07-23T08:07:26+00:00")
		valAt(t, "DATE_REGISTER", u.DateRegister, "2024-07-22T00:00:00Z")
		valAt(t, "LAST_ACTIVITY_DATE (no zone)", u.LastActivityDate, "2024-07-23T08:08:50Z")
		valZero(t, "PERSONAL_BIRTHDAY", u.PersonalBirthday)
		valZero(t, "UF_EMPLOYMENT_DATE", u.EmploymentDate)
		valIDs(t, "UF_DEPARTMENT", u.Department, 1)
	},
	"user.current.minimal.json": func(t *testing.T, raw json.RawMessage) {
		var u valUser
		valDecode(t, raw, &u)
		valEq(t, "ID", u.ID, 1)
		valEq(t, "ACTIVE", u.Active, true)
		valEq(t, "LAST_NAME", u.LastName, "Weber")
	},
	"scope.json": func(t *testing.T, raw json.RawMessage) {
		var scopes []string
		valDecode(t, raw, &scopes)
		if !slices.Equal(scopes, []string{"department", "entity", "log", "user"}) {
			t.Errorf("scopes = %q", scopes)
		}
	},
	"server.time.json": func(t *testing.T, raw json.RawMessage) {
		var d b24.DateTime
		valDecode(t, raw, &d)
		valAt(t, "server.time", d, "2024-08-05T09:02:13Z")
	},
	"app.info.oauth.json": func(t *testing.T, raw json.RawMessage) {
		var a struct {
			ID             b24.ID  `json:"ID"`
			Code           string  `json:"CODE"`
			Version        b24.Int `json:"VERSION"`
			Status         string  `json:"STATUS"`
			Installed      b24.YN  `json:"INSTALLED"`
			PaymentExpired b24.YN  `json:"PAYMENT_EXPIRED"`
			Days           b24.Int `json:"DAYS"`
			License        string  `json:"LICENSE"`
		}
		valDecode(t, raw, &a)
		valEq(t, "ID", a.ID, 5)
		valEq(t, "VERSION", a.Version, 4)
		valEq(t, "INSTALLED", a.Installed, true)
		valEq(t, "PAYMENT_EXPIRED", a.PaymentExpired, false)
		valEq(t, "DAYS (null)", a.Days, 0)
		valEq(t, "LICENSE", a.License, "de_ent10000")
	},
	"batch.json": func(t *testing.T, raw json.RawMessage) {
		var b valBatch
		valDecode(t, raw, &b)
		var u valUser
		valDecode(t, b.Result["get_user"], &u)
		valEq(t, "get_user.ID", u.ID, 1)
		valAt(t, "get_user.TIMESTAMP_X (locale layout)", u.TimestampX, "2023-08-24T13:19:39Z")
		valAt(t, "get_user.LAST_ACTIVITY_DATE", u.LastActivityDate, "2024-08-29T10:30:11Z")
		valAt(t, "get_user.LAST_LOGIN", u.LastLogin, "2024-08-29T10:29:54+03:00")
		var deps []valDepartment
		valDecode(t, b.Result["get_department"], &deps)
		if len(deps) != 1 || deps[0] != (valDepartment{ID: 1, Name: "DEMO", Sort: 500}) {
			t.Errorf("get_department = %+v", deps)
		}
		if b.ResultError == nil || len(b.ResultError) != 0 {
			t.Errorf("result_error ([]) = %#v, want empty", b.ResultError)
		}
		valEq(t, "result_total.get_department", b.ResultTotal["get_department"], 1)
		if _, ok := b.ResultNext["get_department"]; ok || len(b.ResultNext) != 0 {
			t.Errorf("result_next = %v, want empty (no more pages)", b.ResultNext)
		}
		valAt(t, "result_time.get_user.date_start", b.ResultTime["get_user"].DateStart, "2024-08-29T10:34:19+03:00")
		valEq(t, "result_time.get_department.start", b.ResultTime["get_department"].Start, 1724916859.464944)
		keys, err := rawjson.Keys(raw)
		if err != nil || !slices.Equal(keys, []string{"result", "result_error", "result_total", "result_next", "result_time"}) {
			t.Errorf("Keys = %q, %v", keys, err)
		}
	},
	"batch.minimal.json": func(t *testing.T, raw json.RawMessage) {
		var b valBatch
		valDecode(t, raw, &b)
		var u valUser
		valDecode(t, b.Result["get_user"], &u)
		valEq(t, "get_user.ID", u.ID, 1)
		valEq(t, "get_user.NAME", u.Name, "Klaus")
		if b.ResultError != nil {
			t.Errorf("absent result_error = %#v, want nil", b.ResultError)
		}
	},
	"batch.error-halt1.json": func(t *testing.T, raw json.RawMessage) {
		var b valBatch
		valDecode(t, raw, &b)
		if b.Result == nil || len(b.Result) != 0 || len(b.ResultTotal) != 0 || len(b.ResultTime) != 0 {
			t.Errorf("sections sent as [] should be empty maps: %+v", b)
		}
		valEq(t, "result_error.get_user", b.ResultError["get_user"], valBatchError{Error: "insufficient_scope"})
	},
	"batch.error-operation-time-limit.json": func(t *testing.T, raw json.RawMessage) {
		var b valBatch
		valDecode(t, raw, &b)
		e := b.ResultError["592dcd1e-cd14-410f-bab5-76b3ede717dd"]
		valEq(t, "result_error[...].error", e.Error, "OPERATION_TIME_LIMIT")
		valEq(t, "result_error[...].error_description", e.Description, "Method is blocked due to operation time limit.")
		valEq(t, "len(result)", len(b.Result), 0)
	},
	"tasks.task.get.json": func(t *testing.T, raw json.RawMessage) {
		var task valTaskV2
		valUnwrap(t, raw, "task", &task)
		valEq(t, "id", task.ID, 8017)
		valEq(t, "createdBy", task.CreatedBy, 503)
		valEq(t, "responsibleId", task.ResponsibleID, 547)
		valEq(t, "favorite", task.Favorite, true)
		valAt(t, "deadline", task.Deadline, "2025-10-24T19:00:00+02:00")
		valIDs(t, "ufTaskWebdavFiles", task.UfTaskWebdavFiles, 1065, 1077)
		valEq(t, "ufCrmTask[4]", task.UfCrmTask[4], "D_1723")
		valEq(t, "creator.id", task.Creator.ID, 503)
		valEq(t, "responsible.workPosition", task.Responsible.WorkPosition, "Tester")
		valEq(t, "action.edit", task.Action["edit"], true)
		valEq(t, "action.edit.originator", task.Action["edit.originator"], false)
		valEq(t, "len(group)", len(task.Group), 0)
	},
	"tasks.task.add.json": func(t *testing.T, raw json.RawMessage) {
		var task valTaskV2
		valUnwrap(t, raw, "task", &task)
		valEq(t, "id", task.ID, 3711)
		valEq(t, "priority", task.Priority, 1)
		valEq(t, "status", task.Status, 2)
		valEq(t, "multitask", task.Multitask, false)
		valEq(t, "subordinate", task.Subordinate, true)
		valEq(t, "groupId", task.GroupID, 0)
		valEq(t, "timeEstimate", task.TimeEstimate, 0)
		valAt(t, "createdDate", task.CreatedDate, "2024-11-02T10:06:08+02:00")
		valZero(t, "closedDate (null)", task.ClosedDate)
		valZero(t, "deadline (null)", task.Deadline)
		if task.AuditorsData == nil || len(task.AuditorsData) != 0 {
			t.Errorf("auditorsData ([]) = %#v, want an empty map", task.AuditorsData)
		}
		valEq(t, "creator.name", task.Creator.Name, "Viola")
	},
	"tasks.task.list.json": func(t *testing.T, raw json.RawMessage) {
		var tasks []valTaskV2
		valUnwrap(t, raw, "tasks", &tasks)
		if len(tasks) != 1 {
			t.Fatalf("%d tasks, want 1", len(tasks))
		}
		task := tasks[0]
		valEq(t, "id", task.ID, 8017)
		valEq(t, "priority", task.Priority, 2)
		valEq(t, "mark", task.Mark, "")
		valEq(t, "timeElapsed (null)", task.TimeElapsed, 0)
		valIDs(t, "auditors", task.Auditors, 13, 103)
		// auditorsData is an object here (keys are user ids), [] elsewhere.
		valEq(t, "auditorsData[103]", task.AuditorsData["103"], valTaskUser{ID: 103, Name: "Samantha Johnson", WorkPosition: "Accountant"})
		valEq(t, "auditorsData[13].id", task.AuditorsData["13"].ID, 13)
		valEq(t, "tags[35]", task.Tags["35"], valTaskUser2{ID: 35, Title: "arpar"})
		valEq(t, "len(accomplicesData)", len(task.AccomplicesData), 0)
	},
	"v3.tasks.task.get.json": func(t *testing.T, raw json.RawMessage) {
		var task valTaskV3
		valUnwrap(t, raw, "item", &task)
		valEq(t, "id", task.ID, 3835)
		valEq(t, "chatId", task.ChatID, 2537)
		valEq(t, "needsControl", task.NeedsControl, false)
		valEq(t, "outlookVersion", task.OutlookVersion, 12)
		valEq(t, "priority", task.Priority, "average")
		valIDs(t, "checklist", task.Checklist, 153, 165)
		if task.FileIDs != nil {
			t.Errorf("fileIds (null) = %v", task.FileIDs)
		}
		valAt(t, "deadline", task.Deadline, "2025-12-25T23:00:00+02:00")
		valAt(t, "statusChanged", task.StatusChanged, "2025-11-24T06:00:00+02:00")
		valZero(t, "startPlan (null)", task.StartPlan)
		valEq(t, "rights.edit", task.Rights["edit"], true)
		valEq(t, "rights.sort", task.Rights["sort"], false)
		valEq(t, "responsible.email", task.Responsible.Email, "mail@bitrix.com")
		valEq(t, "crmItemIds[0]", task.CrmItemIDs[0], "D_6529")
	},
	"v3.tasks.task.add.json": func(t *testing.T, raw json.RawMessage) {
		var task valTaskV3
		valUnwrap(t, raw, "item", &task)
		valEq(t, "id", task.ID, 3839)
		valEq(t, "chatId", task.ChatID, 2603)
		valAt(t, "deadline", task.Deadline, "2026-01-01T00:59:59+03:00")
		valAt(t, "changed", task.Changed, "2025-12-11T12:25:33+03:00")
		valZero(t, "statusChanged (null)", task.StatusChanged)
		valEq(t, "link", task.Link, "/company/personal/user/1/tasks/task/view/3839/")
		valEq(t, "crmItemIds[0]", task.CrmItemIDs[0], "L_1000959")
		if task.Checklist == nil || len(task.Checklist) != 0 {
			t.Errorf("checklist = %#v, want empty", task.Checklist)
		}
	},
	"v3.tasks.task.list.json": func(t *testing.T, raw json.RawMessage) {
		var tasks []valTaskV3
		valUnwrap(t, raw, "items", &tasks)
		if len(tasks) != 3 {
			t.Fatalf("%d tasks, want 3", len(tasks))
		}
		valEq(t, "[0].id", tasks[0].ID, 3835)
		valAt(t, "[0].deadline", tasks[0].Deadline, "2026-12-25T23:00:00+03:00")
		valZero(t, "[1].deadline (null)", tasks[1].Deadline)
		valEq(t, "[1].status", tasks[1].Status, "in_progress")
		valEq(t, "[2].id", tasks[2].ID, 3837)
		valEq(t, "[2].responsibleId", tasks[2].ResponsibleID, 171)
	},
	"v3.tasks.task.update.json": valV3True,
	"v3.tasks.task.delete.json": valV3True,
	"v3.envelope.bool.json":     valV3True,
	"v3.envelope.item.json": func(t *testing.T, raw json.RawMessage) {
		var it valTaskV3
		valUnwrap(t, raw, "item", &it)
		valEq(t, "id", it.ID, 42)
		valEq(t, "title", it.Title, "Prepare report")
	},
	"v3.envelope.items.json": func(t *testing.T, raw json.RawMessage) {
		var items []valTaskV3
		valUnwrap(t, raw, "items", &items)
		if len(items) != 2 || items[0].ID != 42 || items[1].ID != 43 {
			t.Errorf("items = %+v", items)
		}
	},
	"v3.batch.json": func(t *testing.T, raw json.RawMessage) {
		// A list of per-command results, read through PHPMap as "0", "1".
		var results b24.PHPMap[json.RawMessage]
		valDecode(t, raw, &results)
		if len(results) != 2 {
			t.Fatalf("%d results, want 2", len(results))
		}
		for key, want := range map[string]b24.ID{"0": 289, "1": 429} {
			var it valTaskV3
			valUnwrap(t, results[key], "item", &it)
			valEq(t, "result["+key+"].item.id", it.ID, want)
		}
	},
}

func TestVectorValues(t *testing.T) {
	entries, err := os.ReadDir(valVectorDir)
	if err != nil {
		t.Fatalf("the vectors must be at %s: %v", valVectorDir, err)
	}
	withResult := 0
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		body, err := os.ReadFile(filepath.Join(valVectorDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Result json.RawMessage `json:"result"`
			Time   *valTime        `json:"time"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if env.Time != nil {
			// Every time block: floats or ints, dates with offsets.
			tm := env.Time
			if tm.Start < 1.6e9 || tm.Finish < tm.Start || tm.DateStart.Year() < 2023 || tm.DateFinish.Before(tm.DateStart.Time) || tm.Operating < 0 {
				t.Errorf("%s: implausible time block %+v", name, *tm)
			}
		}
		fn, ok := valVectorCases[name]
		if env.Result == nil {
			if ok {
				t.Errorf("%s: has a case but no result", name)
			}
			continue
		}
		withResult++
		if !ok {
			t.Errorf("%s carries a result but has no typed case in valVectorCases", name)
			continue
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) { fn(t, env.Result) })
	}
	for name := range valVectorCases {
		if !seen[name] {
			t.Errorf("case %s: no such vector with a result in %s", name, valVectorDir)
		}
	}
	if withResult < 40 {
		t.Errorf("only %d vectors with a result; the directory looks incomplete", withResult)
	}
}
