package b24

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/internal/php"

	"github.com/b24go/b24/limit"
)

func TestBatchBilling(t *testing.T) {
	t.Parallel()
	body := []byte(`{"halt":0,"cmd":{"a":"crm.deal.list?filter%5B%3EID%5D=0","b":"crm.deal.get?id=1","c":"crm.deal.list?start=-1"}}`)
	raw := `{"result":{"result":{"a":[],"b":{},"c":[]},"result_error":[],"result_total":[],"result_next":[],
		"result_time":{"a":{"start":1,"operating":1.5,"operating_reset_at":100},"b":{"start":1,"operating":2.5,"operating_reset_at":100},"c":{"start":1,"operating":4,"operating_reset_at":160}}},
		"time":{"start":1,"finish":2,"duration":1,"processing":1,"operating":2,"operating_reset_at":90}}`
	r, err := decodeEnvelope([]byte(raw), 200, http.Header{}, "batch", APIv2, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Billed as batch: the largest figure of the envelope and its sub-results, never a sum.
	if m := billedMethods(APIv2, "batch", body, limit.BatchBilledAsBatch); !reflect.DeepEqual(m, []string{"batch"}) {
		t.Fatalf("billed %v", m)
	}
	got := operatingReports(r, "batch", []string{"batch"}, APIv2, body)
	if len(got) != 1 || got[0].Operating != 4*time.Second || got[0].ResetAt.Unix() != 160 {
		t.Fatalf("as batch: %+v", got)
	}
	// Billed per command: each method its own largest figure.
	billed := billedMethods(APIv2, "batch", body, limit.BatchBilledPerCommand)
	if len(billed) != 2 {
		t.Fatalf("per command billed %v", billed)
	}
	got = operatingReports(r, "batch", billed, APIv2, body)
	want := map[string]time.Duration{"crm.deal.list": 4 * time.Second, "crm.deal.get": 2500 * time.Millisecond}
	if len(got) != 2 {
		t.Fatalf("per command: %+v", got)
	}
	for _, rep := range got {
		if want[rep.Method] != rep.Operating {
			t.Errorf("%s: %v, want %v", rep.Method, rep.Operating, want[rep.Method])
		}
	}
	// Per command, all commands of one method (a chained list): the
	// sub-results' largest figure, not the envelope's (the batch's own).
	one := []byte(`{"halt":0,"cmd":{"a":"crm.deal.list?filter%5B%3EID%5D=0","c":"crm.deal.list?start=-1"}}`)
	got = operatingReports(r, "batch", billedMethods(APIv2, "batch", one, limit.BatchBilledPerCommand), APIv2, one)
	if len(got) != 1 || got[0].Method != "crm.deal.list" || got[0].Operating != 4*time.Second {
		t.Fatalf("per command, one method: %+v", got)
	}
	// Per command with finishes: the figure of the latest finish, even when
	// an earlier command's is larger (a slot expired in between: the earlier
	// figure lacks the later commands' time); a finish after the batch's
	// own is read as none.
	// Every report is dated by the batch's start (the portal stores a
	// request's time in the slot of its start), not its commands'.
	late := `{"result":{"result":{"a":[],"c":[]},"result_time":{"a":{"start":4,"finish":5,"operating":4},"c":{"start":5,"finish":6,"operating":3}}},"time":{"start":3,"finish":6.5,"operating":1}}`
	r3, _ := decodeEnvelope([]byte(late), 200, http.Header{}, "batch", APIv2, "", nil)
	got = operatingReports(r3, "batch", []string{"crm.deal.list"}, APIv2, one)
	if len(got) != 1 || got[0].Operating != 3*time.Second || got[0].Finish.Unix() != 6 || got[0].Start.Unix() != 3 {
		t.Fatalf("per command, latest finish: %+v", got)
	}
	if got = operatingReports(r3, "batch", []string{"batch"}, APIv2, one); len(got) != 1 || got[0].Start.Unix() != 3 || !got[0].Finish.Equal(time.Unix(6, 5e8)) {
		t.Fatalf("as batch, the envelope's start and finish: %+v", got)
	}
	absurd := `{"result":{"result":{"a":[],"c":[]},"result_time":{"a":{"finish":5,"operating":4},"c":{"finish":99,"operating":3}}},"time":{"finish":6.5}}`
	r4, _ := decodeEnvelope([]byte(absurd), 200, http.Header{}, "batch", APIv2, "", nil)
	got = operatingReports(r4, "batch", []string{"crm.deal.list"}, APIv2, one)
	if len(got) != 1 || got[0].Operating != 4*time.Second || got[0].Finish.Unix() != 5 {
		t.Fatalf("per command, a finish after the batch's: %+v", got)
	}
	// A list-form batch: result_time as a JSON list.
	list := []byte(`{"cmd":["crm.deal.get?id=1","user.current"]}`)
	r2, _ := decodeEnvelope([]byte(`{"result":{"result":[1,2],"result_time":[{"operating":1},{"operating":3}]},"time":{"operating":0.5}}`), 200, http.Header{}, "batch", APIv2, "", nil)
	got = operatingReports(r2, "batch", billedMethods(APIv2, "batch", list, limit.BatchBilledPerCommand), APIv2, list)
	if len(got) != 2 || got[1].Method != "user.current" || got[1].Operating != 3*time.Second {
		t.Fatalf("list form: %+v", got)
	}
}

// TestBatchSplitOddResults: the operating report's time blocks and the batch
// layer's sections of one response, in either order, from one split of the
// result, for plain and odd results alike.
func TestBatchSplitOddResults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		result         string
		times          int // len(batchTimes); -1: nil
		err            string
		secTimes, rows int
	}{
		{`{"result":{"a":1},"result_time":{"a":{"operating":1}}}`, 1, "", 1, 1},
		{`[]`, -1, "", 0, 0},
		{`[1]`, -1, "batch result is not an object", 0, 0},
		{`null`, -1, "", 0, 0},
		{`"x"`, -1, "batch result: json: cannot unmarshal string", 0, 0},
		{`{"result":"x","result_time":[{"operating":2}]}`, 1, "batch result: a PHP array", 0, 0},
		{`{"result":{},"result_time":"bad"}`, 0, "", 0, 0},
		{`{"RESULT_TIME":{"a":{"operating":3}},"result":[5]}`, 1, "", 1, 1},
		{`{"result_time":{"a":{}},"result_time":{"b":{"operating":2},"c":{}},"result":{"b":1,"c":2}}`, 2, "", 2, 2},
	} {
		for _, timesFirst := range []bool{true, false} {
			r, err := decodeEnvelope([]byte(`{"result":`+tc.result+`}`), 200, http.Header{}, "batch", APIv2, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			var bt map[string]*Timing
			if timesFirst {
				bt = batchTimes(r)
			}
			sec, err := decodeV2Sections(r)
			if !timesFirst {
				bt = batchTimes(r)
			}
			n := len(bt)
			if bt == nil {
				n = -1
			}
			if n != tc.times {
				t.Errorf("%s (times first %v): %d time blocks, want %d", tc.result, timesFirst, n, tc.times)
			}
			switch {
			case tc.err != "":
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Errorf("%s (times first %v): error %v, want %q", tc.result, timesFirst, err, tc.err)
				}
			case err != nil:
				t.Errorf("%s (times first %v): %v", tc.result, timesFirst, err)
			case len(sec.times) != tc.secTimes || len(sec.Result) != tc.rows:
				t.Errorf("%s (times first %v): %d times, %d results; want %d, %d", tc.result, timesFirst, len(sec.times), len(sec.Result), tc.secTimes, tc.rows)
			case bt != nil && reflect.ValueOf(bt).UnsafePointer() != reflect.ValueOf(sec.times).UnsafePointer():
				t.Errorf("%s (times first %v): the result was split twice", tc.result, timesFirst)
			}
		}
	}
}

func v3Handler(fail string) func(string, *php.Array) sub {
	return func(method string, q *php.Array) sub {
		n := param(q, "n")
		if n == fail {
			return sub{code: "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION", desc: "Task not found"}
		}
		return okSub(`{"item":{"id":` + n + `,"ref":` + orNull(param(q, "ref")) + `}}`)
	}
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func TestBatchV3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("a JSON array of commands; results by position and alias", func(t *testing.T) {
		t.Parallel()
		p := newBatchPortal(t, v3Handler(""))
		h := p.hook(t)
		first := Cmd{Name: "first", Method: "tasks.task.get", Params: map[string]any{"n": 7}}
		res, err := h.V3().Batch(ctx, []Cmd{
			first,
			{Method: "tasks.task.get", Params: map[string]any{"n": 8}},
			{Name: "third", Method: "tasks.task.get", Params: map[string]any{"n": 9, "ref": first.V3Ref("item", "id")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var body []map[string]json.RawMessage
		if err := json.Unmarshal(p.body(0), &body); err != nil || len(body) != 3 {
			t.Fatalf("body %s is not a JSON array of 3: %v", p.body(0), err)
		}
		if string(body[0]["as"]) != `"first"` || body[1]["as"] != nil || string(body[2]["query"]) != `{"n":9,"ref":{"$ref":"first.item.id"}}` {
			t.Errorf("body %s", p.body(0))
		}
		type item struct {
			Item struct{ ID int } `json:"item"`
		}
		for key, want := range map[string]int{"first": 7, "1": 8, "third": 9} {
			v, err := DecodeResult[item](res.Get(key))
			if err != nil || v.Item.ID != want {
				t.Errorf("%s: %v %v", key, v, err)
			}
		}
	})
	t.Run("results as a list", func(t *testing.T) {
		t.Parallel()
		p := newBatchPortal(t, v3Handler(""))
		res, err := p.hook(t).V3().Batch(ctx, nCmds(3, "tasks.task.get"))
		if err != nil || states(res) != "DDD" || !strings.Contains(string(res.Commands[2].Result), `"id":2`) {
			t.Fatalf("%v %s", err, states(res))
		}
	})
	t.Run("abort: reads failed, writes ambiguous", func(t *testing.T) {
		t.Parallel()
		p := newBatchPortal(t, v3Handler("1"))
		cmds := []Cmd{
			{Method: "tasks.task.update", Params: map[string]any{"n": 0}},
			{Method: "tasks.task.get", Params: map[string]any{"n": 1}},
			{Method: "tasks.task.update", Params: map[string]any{"n": 2}},
		}
		res, err := p.hook(t).V3().Batch(ctx, cmds)
		if got := states(res); got != "AFA" || !res.Halted {
			t.Fatalf("states %s", got)
		}
		if !errors.Is(err, ErrNotFound) || !errors.Is(res.Commands[0].Err, ErrAmbiguous) || !errors.Is(res.Commands[1].Err, ErrNotFound) {
			t.Errorf("err %v; %v; %v", err, res.Commands[0].Err, res.Commands[1].Err)
		}
		if p.requests() != 1 {
			t.Errorf("%d requests", p.requests())
		}
	})
	t.Run("abort of a single command: failed", func(t *testing.T) {
		t.Parallel()
		p := newBatchPortal(t, v3Handler("0"))
		res, err := p.hook(t).V3().Batch(ctx, []Cmd{{Method: "tasks.task.update", Params: map[string]any{"n": 0}}})
		var ae *APIError
		if states(res) != "F" || !errors.As(err, &ae) || ae.API != APIv3 {
			t.Fatalf("%s %v", states(res), err)
		}
	})
	t.Run("references are checked", func(t *testing.T) {
		t.Parallel()
		p := newBatchPortal(t, v3Handler(""))
		h := p.hook(t)
		for _, bad := range [][]Cmd{
			{{Name: "a", Method: "x.get", Params: map[string]any{"id": Cmd{Name: "b"}.V3Ref("item", "id")}}, {Name: "b", Method: "x.get"}},
			{{Name: "a", Method: "x.get", Params: map[string]any{"id": Cmd{Name: "nobody"}.V3Ref("item")}}},
			{{Name: "a", Method: "x.get"}, {Method: "x.list", Params: map[string]any{"id": Cmd{Name: "a"}.V3Ref()}}},
			{{Method: "x.list", Params: []any{1}}},
		} {
			if _, err := h.V3().Batch(ctx, bad); err == nil {
				t.Errorf("%v: no error", bad)
			}
		}
		if p.requests() != 0 {
			t.Errorf("%d requests", p.requests())
		}
		b, _ := json.Marshal(map[string]any{"ids": Cmd{Name: "tasks"}.V3RefArray("id")})
		if string(b) != `{"ids":{"$refArray":"tasks.id"}}` {
			t.Errorf("%s", b)
		}
	})
	t.Run("BatchByChunk on v3", func(t *testing.T) {
		t.Parallel()
		p := newBatchPortal(t, v3Handler("70"))
		res, err := p.hook(t).V3().BatchByChunk(ctx, nCmds(120, "tasks.task.get"), WithHalt(false), WithConcurrency(2))
		s := res.Summary()
		// The chunk 50-99 aborted at an unknown command: its reads are failed.
		if s.Done != 70 || s.Failed != 50 || err == nil || p.requests() != 3 {
			t.Fatalf("summary %v, err %v, %d requests", s, err, p.requests())
		}
	})
}

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

// TestBatchAnswerSplitInOnePass: a v2 batch's answer is split into its
// sections and commands while its envelope is read (issue 16: a batch of
// 50 list pages was passed three times before its rows), on the copy the
// Response keeps: the body's buffer, reused for the next answer, can be
// overwritten. Another method's answer is not split.
func TestBatchAnswerSplitInOnePass(t *testing.T) {
	t.Parallel()
	body := []byte(`{"result":{"result":{"p0":[{"ID":"1"}],"p1":[{"ID":"2"}]},"result_error":[],"result_total":{"p0":7,"p1":7},"result_next":{"p0":1},
		"result_time":{"p0":{"start":1,"operating":0.5},"p1":{"start":1,"operating":0.25}}},"time":{"start":1,"finish":2}}`)
	r, err := decodeEnvelope(body, 200, http.Header{}, "batch", APIv2, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.split == nil || r.split.env.Result == nil {
		t.Fatal("the batch's answer was not split as its envelope was read")
	}
	for i := range body {
		body[i] = ' ' // the buffer's next use
	}
	sec, err := decodeV2Sections(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(sec.Result["p1"]); got != `[{"ID":"2"}]` {
		t.Fatalf("p1's result %q", got)
	}
	if got := string(sec.Total["p0"]); got != "7" || string(sec.Next["p0"]) != "1" || len(sec.Errors) != 0 {
		t.Fatalf("sections %+v", sec.Sections)
	}
	if op, ok := sec.times["p1"].OperatingDuration(); !ok || op != 250*time.Millisecond {
		t.Fatalf("p1's time %v, %v", op, ok)
	}
	r, err = decodeEnvelope([]byte(`{"result":{"result":{"p0":[]}}}`), 200, http.Header{}, "crm.deal.list", APIv2, "", nil)
	if err != nil || r.split != nil {
		t.Fatalf("a list's answer: split %v, %v", r.split, err)
	}
}
