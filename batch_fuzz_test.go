package b24

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/b24go/b24/internal/php"
)

// phpTree is what parse_str should build from Encode's output: every scalar
// a string (true/false as 1/0, nil as ""), maps in sorted key order, lists
// keyed by position, empty arrays absent.
func phpTree(v any) any {
	switch t := v.(type) {
	case map[string]any:
		a := php.NewArray()
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if x := phpTree(t[k]); x != nil {
				a.Set(k, x)
			}
		}
		if a.Len() == 0 {
			return nil
		}
		return a
	case []any:
		a := php.NewArray()
		for i, x := range t {
			if y := phpTree(x); y != nil {
				a.Set(strconv.Itoa(i), y)
			}
		}
		if a.Len() == 0 {
			return nil
		}
		return a
	case nil:
		return ""
	case string:
		return t
	case bool:
		if t {
			return "1"
		}
		return "0"
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		b, _ := json.Marshal(t)
		return string(b)
	}
	panic("unexpected type")
}

// FuzzV2CommandRoundTrip encodes a command's params as a v2 batch command
// string and parses its query back with php.Parse, the parser of the fake
// portal: the portal must see exactly the params that were given.
func FuzzV2CommandRoundTrip(f *testing.F) {
	f.Add("ID", "x y&z=1%", int64(5), true, "TITLE", 1.5, "crm.deal.list")
	f.Add("", "$result[a][49][ID]", int64(-1), false, "0", 1e21, "user.get")
	f.Add("é", "a+b=c", int64(0), false, "05", -0.0, "tasks.task.list")
	f.Fuzz(func(t *testing.T, k1, v string, n int64, b bool, k2 string, fl float64, method string) {
		params := map[string]any{
			"filter":   map[string]any{">" + k1: n, k2: v, "nested": map[string]any{k1: []any{v, b}}},
			"select":   []any{v, k1, nil},
			"flag":     b,
			"none":     nil,
			"num":      fl,
			"empty":    map[string]any{},
			"top" + k2: v,
		}
		if checkMethod(method) != nil {
			return // Batch refuses it before encoding
		}
		line, err := v2Line(Cmd{Method: method, Params: params})
		if err != nil {
			if errors.Is(err, php.ErrKey) || errors.Is(err, php.ErrInfOrNaN) {
				return
			}
			t.Fatal(err)
		}
		gotMethod, q, ok := strings.Cut(line, "?")
		if !ok || gotMethod != method {
			t.Fatalf("line %q: method %q", line, gotMethod)
		}
		got, err := php.Parse(q)
		if err != nil {
			t.Fatalf("parse %q: %v", q, err)
		}
		gj, _ := php.EncodeJSON(got)
		wj, _ := php.EncodeJSON(phpTree(params))
		if string(gj) != string(wj) {
			t.Fatalf("query %q\nparsed %s\nwant   %s", q, gj, wj)
		}
	})
}
