package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
		case CommandDone:
			b.WriteByte('D')
		case CommandFailed:
			b.WriteByte('F')
		case CommandAmbiguous:
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
		v, err := DecodeResult[map[string]string](res.Get(key))
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
	if v, _ := DecodeResult[map[string]any](res.Get("last")); v["got"] != "149" {
		t.Errorf("reference not resolved: %v", v)
	}
	if v, _ := DecodeResult[map[string]any](res.Get("next")); fmt.Sprint(v["filter"]) != "map[>ID:149]" {
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

// batchPortal is an in-memory portal for batch tests: it runs v2 and v3
// batches the way the portal does (commands in order, halt, $result
// references, PHP array shapes of the sections, v3 abort) and answers each
// command with a test's handler. It needs no sockets, so tests can run under
// testing/synctest.
type batchPortal struct {
	t       testing.TB
	handler func(method string, params *php.Array) sub
	// fault, when set, may answer request n (1-based) itself.
	fault func(n int, req *http.Request) (*http.Response, error)

	mu     sync.Mutex
	n      int
	bodies [][]byte
	times  []time.Time
	runs   map[string]int // executions per command, by its "n" param
}

// sub is the answer of one command.
type sub struct {
	json        string // the result as JSON
	total, next *int
	code, desc  string // an error
}

func okSub(js string) sub { return sub{json: js} }

func intp(n int) *int { return &n }

func newBatchPortal(t testing.TB, h func(method string, params *php.Array) sub) *batchPortal {
	return &batchPortal{t: t, handler: h, runs: map[string]int{}}
}

func (p *batchPortal) hook(t testing.TB, opts ...Option) *Hook {
	t.Helper()
	opts = append([]Option{WithHTTPClient(&http.Client{Transport: p}), WithTimeout(30 * time.Second)}, opts...)
	h, err := FromWebhookURL("https://portal.example.com/rest/1/"+testSecret+"/", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (p *batchPortal) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *batchPortal) body(i int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bodies[i]
}

func (p *batchPortal) runCount(n string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs[n]
}

func (p *batchPortal) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	p.mu.Lock()
	p.n++
	n := p.n
	p.bodies = append(p.bodies, body)
	p.times = append(p.times, time.Now())
	p.mu.Unlock()
	if p.fault != nil {
		if r, err := p.fault(n, req); r != nil || err != nil {
			return r, err
		}
	}
	var out []byte
	status := 200
	switch {
	case strings.HasSuffix(req.URL.Path, "/batch") && strings.Contains(req.URL.Path, "/rest/api/"):
		status, out = p.v3(body)
	case strings.HasSuffix(req.URL.Path, "/batch"):
		out = p.v2(body)
	default:
		i := strings.LastIndexByte(req.URL.Path, '/')
		params, _ := php.DecodeJSON(body)
		pa, _ := params.(*php.Array)
		if pa == nil {
			pa = php.NewArray()
		}
		s := p.run(req.URL.Path[i+1:], pa)
		env := php.NewArray()
		if s.code != "" {
			status = 400
			env.Set("error", s.code)
			env.Set("error_description", s.desc)
		} else {
			env.Set("result", mustDecode(p.t, s.json))
			env.Set("time", timeBlock())
		}
		out, _ = php.EncodeJSON(env)
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(out)), Request: req}, nil
}

func (p *batchPortal) run(method string, params *php.Array) sub {
	if v, ok := params.Get("n"); ok {
		if s, ok := v.(string); ok {
			p.mu.Lock()
			p.runs[s]++
			p.mu.Unlock()
		}
		if s, ok := v.(json.Number); ok {
			p.mu.Lock()
			p.runs[string(s)]++
			p.mu.Unlock()
		}
	}
	return p.handler(strings.ToLower(method), params)
}

func mustDecode(t testing.TB, js string) any {
	if js == "" {
		js = "true"
	}
	v, err := php.DecodeJSON([]byte(js))
	if err != nil {
		t.Errorf("bad handler JSON %q: %v", js, err)
	}
	return v
}

func timeBlock() *php.Array {
	a := php.NewArray()
	a.Set("start", json.Number("1724916859.46"))
	a.Set("finish", json.Number("1724916859.47"))
	a.Set("duration", json.Number("0.01"))
	a.Set("processing", json.Number("0.01"))
	a.Set("date_start", "2024-08-29T10:34:19+03:00")
	a.Set("date_finish", "2024-08-29T10:34:19+03:00")
	return a
}

var refRe = regexp.MustCompile(`^\$(result|next|total)\[([^\]]*)\]((?:\[[^\]]*\])*)$`)

// resolve substitutes whole-value references, as the portal does.
func resolve(v any, sections map[string]*php.Array) any {
	switch t := v.(type) {
	case *php.Array:
		out := php.NewArray()
		for k, x := range t.All() {
			out.Set(k, resolve(x, sections))
		}
		return out
	case string:
		m := refRe.FindStringSubmatch(t)
		if m == nil {
			return t
		}
		cur, ok := sections[m[1]].Get(m[2])
		if !ok {
			return t
		}
		for _, seg := range regexp.MustCompile(`\[([^\]]*)\]`).FindAllStringSubmatch(m[3], -1) {
			a, isArr := cur.(*php.Array)
			if !isArr {
				return t
			}
			if cur, ok = a.Get(seg[1]); !ok {
				return t
			}
		}
		return cur
	}
	return v
}

func (p *batchPortal) v2(body []byte) []byte {
	reqv, err := php.DecodeJSON(body)
	if err != nil {
		p.t.Errorf("batch body is not JSON: %v", err)
	}
	req := reqv.(*php.Array)
	hv, _ := req.Get("halt")
	halt := hv == json.Number("1") || hv == true
	cmdv, _ := req.Get("cmd")
	cmds := cmdv.(*php.Array)
	res, errs, total, next, times := php.NewArray(), php.NewArray(), php.NewArray(), php.NewArray(), php.NewArray()
	secs := map[string]*php.Array{"result": res, "total": total, "next": next}
	for k, v := range cmds.All() {
		line := v.(string)
		method, q, _ := strings.Cut(line, "?")
		params, err := php.Parse(q)
		if err != nil {
			p.t.Errorf("command %s: %v", k, err)
		}
		params = resolve(params, secs).(*php.Array)
		s := p.run(method, params)
		if s.code != "" {
			e := php.NewArray()
			e.Set("error", s.code)
			e.Set("error_description", s.desc)
			errs.Set(k, e)
			if halt {
				break
			}
			continue
		}
		res.Set(k, mustDecode(p.t, s.json))
		if s.total != nil {
			total.Set(k, json.Number(strconv.Itoa(*s.total)))
		}
		if s.next != nil {
			next.Set(k, json.Number(strconv.Itoa(*s.next)))
		}
		times.Set(k, timeBlock())
	}
	inner := php.NewArray()
	inner.Set("result", res)
	inner.Set("result_error", errs)
	inner.Set("result_total", total)
	inner.Set("result_next", next)
	inner.Set("result_time", times)
	env := php.NewArray()
	env.Set("result", inner)
	env.Set("time", timeBlock())
	out, err := php.EncodeJSON(env)
	if err != nil {
		p.t.Errorf("encoding: %v", err)
	}
	return out
}

func (p *batchPortal) v3(body []byte) (int, []byte) {
	reqv, err := php.DecodeJSON(body)
	if err != nil {
		p.t.Errorf("v3 batch body is not JSON: %v", err)
	}
	req, ok := reqv.(*php.Array)
	if !ok || !req.IsList() {
		return 400, []byte(`{"error":{"code":"BITRIX_REST_V3_EXCEPTION_INVALIDSELECTEXCEPTION","message":"Batch request must be a JSON array of commands"}}`)
	}
	results := php.NewArray()
	for _, v := range req.All() {
		cmd := v.(*php.Array)
		mv, _ := cmd.Get("method")
		qv, _ := cmd.Get("query")
		q, _ := qv.(*php.Array)
		if q == nil {
			q = php.NewArray()
		}
		s := p.run(mv.(string), q)
		if s.code != "" {
			e := php.NewArray()
			e.Set("code", s.code)
			e.Set("message", s.desc)
			env := php.NewArray()
			env.Set("error", e)
			out, _ := php.EncodeJSON(env)
			return 400, out
		}
		if as, ok := cmd.Get("as"); ok && as != "" {
			results.Set(as.(string), mustDecode(p.t, s.json))
		} else {
			results.Append(mustDecode(p.t, s.json))
		}
	}
	env := php.NewArray()
	env.Set("result", results)
	env.Set("time", timeBlock())
	out, _ := php.EncodeJSON(env)
	return 200, out
}

// param returns a command parameter as text.
func param(a *php.Array, key string) string {
	v, _ := a.Get(key)
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return string(t)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
