package jsonout

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// A result as the portal sends it: key order and a big id's text kept.
const portal = `{"ID":"7","TITLE":"Сделка","BIG":12345678901234567890,"PRICE":1.50,"TAGS":["a","b"]}`

func TestWrite(t *testing.T) {
	cases := []struct {
		name, jq, want string
	}{
		{"identity keeps numbers' text", ".", "{\n  \"BIG\": 12345678901234567890,\n  \"ID\": \"7\",\n  \"PRICE\": 1.50,\n  \"TAGS\": [\n    \"a\",\n    \"b\"\n  ],\n  \"TITLE\": \"Сделка\"\n}\n"},
		{"a string is raw", ".TITLE", "Сделка\n"},
		{"big number exact", ".BIG", "12345678901234567890\n"},
		{"several results", ".TAGS[]", "a\nb\n"},
		{"object result", "{id: .ID}", "{\n  \"id\": \"7\"\n}\n"},
		{"no result", "empty", ""},
		{"halt", "halt", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := Compile(c.jq)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := q.Write(context.Background(), &b, []byte(portal)); err != nil {
				t.Fatal(err)
			}
			if b.String() != c.want {
				t.Errorf("got %q, want %q", b.String(), c.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	_, err := Compile(".a | )")
	if !errors.Is(err, ErrJQ) || !strings.Contains(err.Error(), `unexpected token ")" at offset`) {
		t.Errorf("parse error: %v", err)
	}
	if _, err := Compile("nosuchfunc(1)"); !errors.Is(err, ErrJQ) {
		t.Errorf("compile error: %v", err)
	}
	q, _ := Compile(".TITLE + 1")
	err = q.Write(context.Background(), &strings.Builder{}, []byte(portal))
	if !errors.Is(err, ErrJQ) || !strings.Contains(err.Error(), "cannot add") {
		t.Errorf("run error: %v", err)
	}
}

func TestTable(t *testing.T) {
	var b strings.Builder
	Table(&b, []string{"CODE", "TYPE"}, [][]string{{"ID", "integer"}, {"TITLE", "str\ting"}})
	want := "CODE   TYPE\nID     integer\nTITLE  str ing\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func ExampleQuery_Write() {
	q, _ := Compile(".items[] | select(.n > 1) | .name")
	q.Write(context.Background(), os.Stdout, []byte(`{"items":[{"name":"a","n":1},{"name":"b","n":2}]}`))
	// Output: b
}
