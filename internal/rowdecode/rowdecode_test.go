package rowdecode

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/b24go/b24/internal/jsonscan"
)

// id reads a JSON number or a numeric string, as b24.ID does, and records
// the bytes it was given.
type id struct {
	N   int64
	Got string
}

func (x *id) UnmarshalJSON(b []byte) error {
	x.Got = string(b)
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an id")
	}
	x.N = n
	return nil
}

type stage string

type deal struct {
	ID          id
	TITLE       string
	Stage       stage  `json:"STAGE_ID"`
	Opportunity string `json:"OPPORTUNITY,omitempty"`
	Skipped     string `json:"-"`
	hidden      string
}

type withInt struct {
	ID id
	N  int
}

type withString struct {
	N string `json:",string"`
}

// TestPlanCovers: which types take the fast path.
func TestPlanCovers(t *testing.T) {
	for _, tc := range []struct {
		typ  reflect.Type
		want bool
	}{
		{reflect.TypeFor[deal](), true},
		{reflect.TypeFor[withInt](), false},
		{reflect.TypeFor[withString](), false},
		{reflect.TypeFor[map[string]any](), false},
		{reflect.TypeFor[struct{ A, a2, B string }](), true},
		{reflect.TypeFor[struct {
			A string
			B string `json:"a"`
		}](), false},
		{reflect.TypeFor[struct{ deal }](), false},
		{reflect.TypeFor[struct{ P *string }](), false},
		{reflect.TypeFor[id](), false},
		{reflect.TypeFor[struct {
			Dash string `json:"-,"`
		}](), false},
	} {
		if got := planOf(tc.typ) != nil; got != tc.want {
			t.Errorf("%v: covered %v, want %v", tc.typ, got, tc.want)
		}
	}
	_ = deal{hidden: ""}
}

var rowSeeds = []string{
	`{"ID":"12","TITLE":"Deal 12","STAGE_ID":"C1:NEW","OPPORTUNITY":"1500.00"}`,
	`{"ID":12,"TITLE":null,"STAGE_ID":"\u00e9\"x\"","OPPORTUNITY":"a\\b","X":[1,{"y":2}]}`,
	`{"id":"7","title":"lower","stage_id":"s","Skipped":"no","-":"dash"}`,
	`{"ID":"x"}`, `{"ID":null}`, `{"TITLE":5}`, `{"TITLE":"a","TITLE":null,"TITLE":"b"}`, `{"\u0049D":"3","tItLe":"t"}`,
	"{\"TITLE\":\"\xff\xfe\",\"\xffID\":1}", `null`, `[]`, `{"ID":"1"`, `{"ID":"1"} x`, `"s"`, `{"hidden":"h"}`,
	"{\"\u212AEY\":1,\"\u017Ftage_id\":\"long s\"}", `{"ID":{"a":1}}`, `{"OPPORTUNITY":true}`,
}

// TestRowStringsOrder: a row's strings are set together at its end, in the
// members' order: a member named twice keeps its last value whether either
// is plain or escaped, null or not, and past the 16 strings held at once.
func TestRowStringsOrder(t *testing.T) {
	long := `{`
	for i := range 40 {
		v := fmt.Sprintf(`"t%d"`, i)
		switch i % 3 {
		case 1:
			v = fmt.Sprintf(`"\u00e9%d"`, i)
		case 2:
			v = "null"
		}
		long += fmt.Sprintf(`"TITLE":%s,"STAGE_ID":"s%d",`, v, i)
	}
	long += `"ID":"7"}`
	wideRow := `{`
	for i := range 20 {
		wideRow += fmt.Sprintf(`"F%d":"v%d",`, i, i)
	}
	wideRow += `"F3":"\u00e9"}`
	for _, row := range []string{
		`{"TITLE":"plain","TITLE":"esc\u00e9"}`,
		`{"TITLE":"esc\u00e9","TITLE":"plain"}`,
		`{"TITLE":"plain","TITLE":null}`,
		`{"TITLE":"","STAGE_ID":"x","TITLE":"y","OPPORTUNITY":""}`,
		`{"title":"folded","TITLE":"exact","Title":"last"}`,
		long,
	} {
		check[deal](t, []byte(row))
		check[struct{ A, B string }](t, []byte(row))
	}
	check[wide](t, []byte(wideRow))
}

// wide has more string fields than a row's strings held at once.
type wide struct {
	F0, F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14, F15, F16, F17, F18, F19 string
}

// FuzzDecode: the fast path decodes every row as json.Unmarshal does: the
// same value and the same error.
func FuzzDecode(f *testing.F) {
	for _, s := range rowSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, row []byte) {
		check[deal](t, row)
		check[withInt](t, row)
		check[struct{ A, B string }](t, row)
		check[json.RawMessage](t, row)
		// Rows of rows known valid never panics; on a valid row it
		// decodes as Rows that checks.
		var a, b deal
		aerr, berr := decode(row, &a, true), decode(row, &b, false)
		if jsonscan.Valid(row) && (fmt.Sprint(aerr) != fmt.Sprint(berr) || !reflect.DeepEqual(a, b)) {
			t.Fatalf("%q: unchecked gives %+v, %v; checked %+v, %v", row, a, aerr, b, berr)
		}
	})
}

func TestDecodeSeeds(t *testing.T) {
	for _, s := range rowSeeds {
		check[deal](t, []byte(s))
		check[withInt](t, []byte(s))
		check[json.RawMessage](t, []byte(" "+s+"\n"))
	}
}

// TestRawMessageAliases: a json.RawMessage row is the row's bytes, and an
// append to it does not write into the bytes after it.
func TestRawMessageAliases(t *testing.T) {
	answer := []byte(`[{"ID":1},{"ID":2}]`)
	first := answer[1:9]
	var raw json.RawMessage
	if err := decode(first, &raw, false); err != nil {
		t.Fatal(err)
	}
	if &raw[0] != &answer[1] {
		t.Error("the row was copied")
	}
	_ = append(raw, "xx"...)
	if string(answer) != `[{"ID":1},{"ID":2}]` {
		t.Errorf("an append to the row wrote into the answer: %s", answer)
	}
}

// decode is Rows for one row (valid: the row is not checked again).
func decode[T any](row []byte, dst *T, valid bool) error {
	out := make([]T, 1)
	_, err := For[T]().Rows([][]byte{row}, out, valid)
	*dst = out[0]
	return err
}

func check[T any](t *testing.T, row []byte) {
	t.Helper()
	var got, want T
	gerr := decode(row, &got, false)
	werr := json.Unmarshal(row, &want)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%T from %q: Rows gives %+v, %v; json.Unmarshal %+v, %v", got, row, got, gerr, want, werr)
	}
	// Several rows: each as alone, the rows' strings in shared blocks.
	rows := make([]T, 3)
	i, err := For[T]().Rows([][]byte{row, row, row}, rows, false)
	if werr != nil {
		if i != 0 || fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Fatalf("%T from %q: Rows stops at %d, %v; json.Unmarshal: %v", got, row, i, err, werr)
		}
		return
	}
	if i != 3 || err != nil {
		t.Fatalf("%T from %q: Rows = %d, %v", got, row, i, err)
	}
	for _, v := range rows {
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("%T from %q: Rows gives %+v; json.Unmarshal %+v", got, row, v, want)
		}
	}
}

// TestRowsShareBlocks: the strings of a page's rows come from a few
// blocks, not one allocation a row, and each row keeps its own values
// (a string longer than a block too); Rows stops at a bad row.
func TestRowsShareBlocks(t *testing.T) {
	var rows [][]byte
	for i := range 50 {
		rows = append(rows, fmt.Appendf(nil, `{"ID":"%d","TITLE":"Deal %d","STAGE_ID":"C1:NEW","OPPORTUNITY":"%d.00"}`, i, i, i*10))
	}
	long := strings.Repeat("x", arenaBlock+10)
	rows = append(rows, []byte(`{"ID":"50","TITLE":"`+long+`","STAGE_ID":"s"}`), []byte(`{"ID":"51","TITLE":"after"}`))
	d := For[deal]()
	dst := make([]deal, len(rows))
	if n, err := d.Rows(rows, dst, true); n != len(rows) || err != nil {
		t.Fatalf("Rows = %d, %v", n, err)
	}
	for i, r := range rows {
		var want deal
		if err := json.Unmarshal(r, &want); err != nil || !reflect.DeepEqual(dst[i], want) {
			t.Fatalf("row %d: %+v, want %+v (%v)", i, dst[i], want, err)
		}
	}
	// One ID each (the test's id type keeps its bytes), the strings in blocks.
	allocs := testing.AllocsPerRun(20, func() { d.Rows(rows[:50], dst, true) })
	if allocs > 50+3 {
		t.Errorf("Rows allocates %v times for 50 rows of three strings: the strings are not sharing blocks", allocs)
	}
	bad := [][]byte{rows[0], []byte(`{"TITLE":1}`), rows[1]}
	if n, err := d.Rows(bad, make([]deal, 3), false); n != 1 || err == nil {
		t.Fatalf("Rows with a bad second row = %d, %v", n, err)
	}
}

func BenchmarkDecode(b *testing.B) {
	row := []byte(`{"ID":"123456","TITLE":"Deal number 123456","STAGE_ID":"C1:NEW","OPPORTUNITY":"15000.00"}`)
	b.Run("rowdecode", func(b *testing.B) {
		d := For[deal]()
		b.ReportAllocs()
		for b.Loop() {
			v := make([]deal, 1)
			if _, err := d.Rows([][]byte{row}, v, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v deal
			if err := json.Unmarshal(row, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
