package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

func TestUnescapeJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"TITLE":"\u0421\u0434\u0435\u043b\u043a\u0430"}`, `{"TITLE":"Сделка"}`},
		// Key order and number text stay byte for byte.
		{`{"z":1,"a":12345678901234567890123,"m":1.50e+3}`, `{"z":1,"a":12345678901234567890123,"m":1.50e+3}`},
		{`"\ud83d\ude00 \/path\/"`, `"😀 /path/"`},
		// What JSON needs escaped stays escaped.
		{`"\u0022\u005c\u0000\u001f\"\\\n\t"`, `"\"\\\u0000\u001f\"\\\n\t"`},
		// Lone or reversed surrogates stay escaped.
		{`["\ud800","\udc00\ud800","\ud800x"]`, `["\ud800","\udc00\ud800","\ud800x"]`},
		{`{"\u041a": "\\u0421"}`, `{"К": "\\u0421"}`},
		{`[1, "a", null, true]`, `[1, "a", null, true]`},
	}
	for _, tt := range tests {
		if got := string(unescapeJSON([]byte(tt.in))); got != tt.want {
			t.Errorf("unescapeJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// tokens lists the JSON tokens of b, numbers as their text.
func tokens(b []byte) ([]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out []any
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
}

// FuzzUnescapeJSON checks against encoding/json that the output of any
// valid JSON is valid JSON with the same tokens in the same order.
func FuzzUnescapeJSON(f *testing.F) {
	for _, s := range []string{`{"a":"\u0421\ud83d\ude00"}`, `["\ud800\u0000\/",1e5,-0.0]`, `"\\u0041"`, `{"k":{"x":[true,null]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			unescapeJSON(in) // must not panic
			return
		}
		out := unescapeJSON(in)
		if !json.Valid(out) {
			t.Fatalf("unescapeJSON(%q) = %q: not valid JSON", in, out)
		}
		a, err := tokens(in)
		if err != nil {
			t.Skip()
		}
		b, err := tokens(out)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("unescapeJSON(%q) = %q: tokens %v, want %v (%v)", in, out, b, a, err)
		}
	})
}

// TestCallUnicode: call prints the portal's \uXXXX escapes as the
// characters they stand for, keeping key order and number text.
func TestCallUnicode(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 7, Deals: 3}))
	r := p.run(t, "", "call", "crm.deal.add", "fields[TITLE]=Сделка «Ёлка» 😀", "fields[COMMENTS]=a/b \"q\"")
	if r.code != exitOK {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	r = p.run(t, "", "call", "crm.deal.list", "filter[ID]="+id, "select[]=TITLE", "select[]=ID", "select[]=COMMENTS", "--raw", "--compact")
	if r.code != exitOK {
		t.Fatalf("list: exit %d: %s", r.code, r.stderr)
	}
	// The portal's order (ID first) and its number text (time.finish).
	want := `{"result":[{"ID":"` + id + `","TITLE":"Сделка «Ёлка» 😀","COMMENTS":"a/b \"q\""}],"total":1,"time":{"start":`
	if !strings.HasPrefix(r.stdout, want) {
		t.Errorf("stdout %s\nwant prefix %s", r.stdout, want)
	}
}
