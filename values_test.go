package b24_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
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
