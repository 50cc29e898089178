package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/b24go/b24/internal/php"
)

// echoHandler answers every command with {"n": <its n param>}, and fails the
// commands whose n is in fail (with ERROR_CORE).
func echoHandler(fail ...string) func(string, *php.Array) sub {
	return func(method string, p *php.Array) sub {
		n := param(p, "n")
		for _, f := range fail {
			if f == n {
				return sub{code: "ERROR_CORE", desc: "failed " + n}
			}
		}
		return okSub(`{"n":"` + n + `","method":"` + method + `"}`)
	}
}

func nCmds(k int, method string) []Cmd {
	out := make([]Cmd, k)
	for i := range out {
		out[i] = Cmd{Method: method, Params: map[string]any{"n": i}}
	}
	return out
}

func states(r *BatchResult) string {
	var b strings.Builder
	for _, c := range r.Commands {
		switch c.State {
		case Done:
			b.WriteByte('D')
		case Failed:
			b.WriteByte('F')
		case Ambiguous:
			b.WriteByte('A')
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

func TestBatchHalt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		halt   bool
		want   string
		halted bool
	}{
		{"halt on", true, "DF-", true},
		{"halt off", false, "DFD", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newBatchPortal(t, echoHandler("1"))
			h := p.hook(t)
			res, err := h.V2().Batch(context.Background(), nCmds(3, "crm.deal.get"), WithHalt(tc.halt))
			if got := states(res); got != tc.want {
				t.Fatalf("states %s, want %s", got, tc.want)
			}
			if res.Halted != tc.halted {
				t.Errorf("Halted = %v", res.Halted)
			}
			var be *BatchError
			if !errors.As(err, &be) || !errors.Is(err, Code("ERROR_CORE")) {
				t.Fatalf("err = %v, want a *BatchError wrapping ERROR_CORE", err)
			}
			var ae *APIError
			if !errors.As(res.Commands[1].Err, &ae) || ae.Description != "failed 1" || ae.Status != 200 || ae.Method != "crm.deal.get" {
				t.Errorf("command 1 error = %#v", res.Commands[1].Err)
			}
			if tc.halt && !errors.Is(res.Commands[2].Err, ErrNotExecuted) {
				t.Errorf("command 2 error = %v", res.Commands[2].Err)
			}
			if v, err := DecodeResult[map[string]string](&res.Commands[0]); err != nil || v["n"] != "0" {
				t.Errorf("command 0 = %v, %v", v, err)
			}
			if !strings.Contains(string(p.body(0)), `"halt":`+map[bool]string{true: "1", false: "0"}[tc.halt]) {
				t.Errorf("body %s", p.body(0))
			}
			if s := res.Summary(); s.Failed != 1 || s.Reasons["ERROR_CORE"] != 1 {
				t.Errorf("summary %v", s)
			}
		})
	}
}

func TestBatchTooManyCommands(t *testing.T) {
	t.Parallel()
	p := newBatchPortal(t, echoHandler())
	h := p.hook(t)
	for _, v := range []*API{h.V2(), h.V3()} {
		_, err := v.Batch(context.Background(), nCmds(51, "crm.deal.get"))
		if err == nil || !strings.Contains(err.Error(), "BatchByChunk") {
			t.Errorf("%v: err = %v", v.Version(), err)
		}
	}
	if p.requests() != 0 {
		t.Errorf("%d requests sent", p.requests())
	}
	res, err := h.V2().Batch(context.Background(), nil)
	if err != nil || len(res.Commands) != 0 || p.requests() != 0 {
		t.Errorf("empty batch: %v %v", res, err)
	}
}

func TestBatchNamedAndList(t *testing.T) {
	t.Parallel()
	p := newBatchPortal(t, echoHandler())
	h := p.hook(t)
	ctx := context.Background()

	// List form: a JSON array of command strings.
	if _, err := h.V2().Batch(ctx, nCmds(2, "crm.deal.get")); err != nil {
		t.Fatal(err)
	}
	var list struct{ Cmd []string }
	if err := json.Unmarshal(p.body(0), &list); err != nil || len(list.Cmd) != 2 || list.Cmd[1] != "crm.deal.get?n=1" {
		t.Fatalf("list body %s (%v)", p.body(0), err)
	}

	// Named form, with an unnamed command addressed by its position.
	cmds := []Cmd{
		{Name: "b", Method: "crm.deal.get", Params: map[string]any{"n": "b"}},
		{Method: "crm.deal.get", Params: map[string]any{"n": "x"}},
		{Name: "a", Method: "crm.deal.get", Params: map[string]any{"n": "a"}},
	}
	res, err := h.V2().Batch(ctx, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.body(1)); !strings.Contains(got, `"cmd":{"b":"crm.deal.get?n=b","1":"crm.deal.get?n=x","a":"crm.deal.get?n=a"}`) {
		t.Fatalf("named body %s", got)
	}
	for key, want := range map[string]string{"a": "a", "b": "b", "1": "x"} {
		v, err := BatchResultAs[map[string]string](res, key)
		if err != nil || v["n"] != want {
			t.Errorf("%s: %v %v", key, v, err)
		}
	}
	if res.Get("2").Name != "a" || res.Get("zz") != nil {
		t.Errorf("Get by position")
	}

	// BatchMap runs in the sorted order of the names.
	res, err = h.V2().BatchMap(ctx, map[string]Cmd{"z": {Method: "user.get", Params: map[string]any{"n": 1}}, "m": {Method: "user.get", Params: map[string]any{"n": 2}}})
	if err != nil || res.Commands[0].Name != "m" || res.Commands[1].Name != "z" {
		t.Fatalf("BatchMap: %+v %v", res, err)
	}

	for _, bad := range [][]Cmd{
		{{Name: "a", Method: "x.get"}, {Name: "a", Method: "x.get"}},
		{{Name: "12", Method: "x.get"}},
		{{Name: "a[b]", Method: "x.get"}},
		{{Method: "batch"}},
		{{Method: "crm.deal.get/../x"}},
	} {
		if _, err := h.V2().Batch(ctx, bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestBatchSectionShapes feeds the decoder the shapes PHP writes: [] for an
// empty section, a list when the keys are 0..n-1, an object otherwise, and
// sections that are missing altogether.
func TestBatchSectionShapes(t *testing.T) {
	t.Parallel()
	tm := `{"start":1724916859.46156,"finish":1724916859.464775,"duration":0.003,"processing":0.003,"date_start":"2024-08-29T10:34:19+03:00","date_finish":"2024-08-29T10:34:19+03:00","operating":0.5}`
	for _, tc := range []struct {
		name  string
		cmds  []Cmd
		halt  bool
		body  string
		want  string
		check func(t *testing.T, r *BatchResult)
	}{
		{
			"list form, command 0 failed: result is an object keyed from 1",
			nCmds(3, "crm.deal.list"), false,
			`{"result":{"result":{"1":[{"ID":"1"}],"2":[]},"result_error":[{"error":"","error_description":"Not found"}],"result_total":{"1":1,"2":0},"result_next":[],"result_time":{"1":` + tm + `,"2":` + tm + `}},"time":` + tm + `}`,
			"FDD",
			func(t *testing.T, r *BatchResult) {
				if !errors.Is(r.Commands[0].Err, ErrNotFound) {
					t.Errorf("command 0: %v", r.Commands[0].Err)
				}
				if r.Commands[1].Total == nil || *r.Commands[1].Total != 1 || r.Commands[2].Total == nil || *r.Commands[2].Total != 0 {
					t.Errorf("totals")
				}
				if r.Commands[1].Next != nil {
					t.Errorf("next on the last page")
				}
				if r.Commands[2].Time == nil || r.Commands[2].Time.Operating == nil {
					t.Errorf("time")
				}
				if string(r.Commands[2].Result) != "[]" {
					t.Errorf("result 2 = %s", r.Commands[2].Result)
				}
			},
		},
		{
			"list form, all fine: every section a list",
			nCmds(2, "crm.deal.list"), true,
			`{"result":{"result":[[{"ID":"1"}],[{"ID":"51"}]],"result_error":[],"result_total":[120,120],"result_next":[50,100],"result_time":[` + tm + `,` + tm + `]},"time":` + tm + `}`,
			"DD",
			func(t *testing.T, r *BatchResult) {
				if r.Commands[1].Next == nil || *r.Commands[1].Next != 100 || *r.Commands[0].Total != 120 {
					t.Errorf("next/total")
				}
			},
		},
		{
			"named, halted at the first command: every section but errors is []",
			[]Cmd{{Name: "get_user", Method: "user.get"}, {Name: "get_department", Method: "department.get"}}, true,
			`{"result":{"result":[],"result_error":{"get_user":{"error":"insufficient_scope","error_description":""}},"result_total":[],"result_next":[],"result_time":[]},"time":` + tm + `}`,
			"F-",
			func(t *testing.T, r *BatchResult) {
				if !errors.Is(r.Commands[0].Err, ErrInsufficientScope) || !r.Halted {
					t.Errorf("err %v halted %v", r.Commands[0].Err, r.Halted)
				}
			},
		},
		{
			"named, only the result section, no time",
			[]Cmd{{Name: "get_user", Method: "user.get"}}, true,
			`{"result":{"result":{"get_user":{"ID":"1","NAME":"Klaus"}}}}`,
			"D",
			nil,
		},
		{
			"null result kept",
			[]Cmd{{Name: "a", Method: "x.do"}}, true,
			`{"result":{"result":{"a":null},"result_error":[]},"time":` + tm + `}`,
			"D",
			func(t *testing.T, r *BatchResult) {
				if string(r.Commands[0].Result) != "null" {
					t.Errorf("result %q", r.Commands[0].Result)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){answer(200, tc.body)}}
			h := scriptedHook(t, tr)
			res, _ := h.V2().Batch(context.Background(), tc.cmds, WithHalt(tc.halt))
			if got := states(res); got != tc.want {
				t.Fatalf("states %s, want %s", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

func TestBatchMalformedSections(t *testing.T) {
	t.Parallel()
	tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){
		answer(200, `{"result":{"result":"oops"},"time":{}}`),
	}}
	h := scriptedHook(t, tr)
	res, err := h.V2().Batch(context.Background(), nCmds(2, "crm.deal.update"))
	var re *ResponseError
	if !errors.As(err, &re) || !errors.Is(err, ErrAmbiguous) || states(res) != "AA" {
		t.Fatalf("err %v states %s", err, states(res))
	}
}

func TestBatchReferences(t *testing.T) {
	t.Parallel()
	p := newBatchPortal(t, func(method string, a *php.Array) sub {
		switch method {
		case "crm.deal.list":
			rows := make([]string, 50)
			for i := range rows {
				rows[i] = fmt.Sprintf(`{"ID":"%d"}`, 100+i)
			}
			return sub{json: "[" + strings.Join(rows, ",") + "]", total: intp(0)}
		default:
			f := param(a, "filter")
			if f == "" {
				f = "null"
			}
			return okSub(`{"got":"` + param(a, "id") + `","filter":` + f + `}`)
		}
	})
	h := p.hook(t)
	deals := Cmd{Name: "deals", Method: "crm.deal.list", Params: map[string]any{"select": []string{"ID"}}}
	res, err := h.V2().Batch(context.Background(), []Cmd{
		deals,
		{Name: "last", Method: "crm.deal.get", Params: map[string]any{"id": deals.Result(49, "ID")}},
		{Name: "next", Method: "crm.deal.get", Params: map[string]any{"id": "x", "filter": map[string]any{">ID": ResultRef("deals", 49, "ID")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := BatchResultAs[map[string]any](res, "last"); v["got"] != "149" {
		t.Errorf("reference not resolved: %v", v)
	}
	if v, _ := BatchResultAs[map[string]any](res, "next"); fmt.Sprint(v["filter"]) != "map[>ID:149]" {
		t.Errorf("nested reference: %v", v)
	}
	if !strings.Contains(string(p.body(0)), `id=%24result%5Bdeals%5D%5B49%5D%5BID%5D`) {
		t.Errorf("body %s", p.body(0))
	}
	if got := NextRef("a") + TotalRef("a") + ResultRef("0", "items", 49, "id"); got != "$next[a]$total[a]$result[0][items][49][id]" {
		t.Errorf("refs %s", got)
	}

	// References are checked before sending.
	for _, bad := range [][]Cmd{
		{{Name: "a", Method: "x.get", Params: map[string]any{"id": ResultRef("dela", 0)}}},
		{{Name: "a", Method: "x.get", Params: map[string]any{"id": ResultRef("b")}}, {Name: "b", Method: "x.get"}},
		{{Name: "a", Method: "x.get", Params: map[string]any{"id": ResultRef("a")}}},
		{{Method: "x.get"}, {Method: "x.get", Params: map[string]any{"id": Cmd{Method: "x.get"}.Result()}}},
	} {
		n := p.requests()
		if _, err := h.V2().Batch(context.Background(), bad); err == nil || p.requests() != n {
			t.Errorf("%v: err %v", bad, err)
		}
	}
	// A reference by position in list form is fine.
	if _, err := h.V2().Batch(context.Background(), []Cmd{{Method: "x.get"}, {Method: "x.get", Params: map[string]any{"id": ResultRef("0", "got")}}}); err != nil {
		t.Error(err)
	}
}
