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
// a string, maps in sorted key order, lists keyed by position.
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
			a.Set(k, phpTree(t[k]))
		}
		return a
	case []any:
		a := php.NewArray()
		for i, x := range t {
			a.Set(strconv.Itoa(i), phpTree(x))
		}
		return a
	case string:
		return t
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
			"filter":   map[string]any{">" + k1: n, k2: v, "nested": map[string]any{k1: []any{v, k2}}},
			"select":   []any{v, k1},
			"num":      fl,
			"top" + k2: v,
		}
		if checkMethod(method) != nil {
			return // Batch refuses it before encoding
		}
		if b {
			// A value with no query-string form is refused, whatever else holds.
			bad := []any{nil, true, false, map[string]any{}, []any{}}[uint64(n)%5]
			params["filter"].(map[string]any)["nested"].(map[string]any)[k1].([]any)[1] = bad
			_, err := v2Line(7, Cmd{Method: method, Params: params})
			var qe *QueryParamError
			if errors.As(err, &qe) {
				if qe.Index != 7 || qe.Method != method || qe.Path != "filter[nested]["+k1+"][1]" {
					t.Fatalf("%+v", qe)
				}
				return
			}
			if errors.Is(err, php.ErrKey) || errors.Is(err, php.ErrInfOrNaN) {
				return
			}
			t.Fatalf("bad value %#v: %v", bad, err)
		}
		line, err := v2Line(0, Cmd{Method: method, Params: params})
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
