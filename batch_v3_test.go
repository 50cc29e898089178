package b24

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/b24go/b24/internal/php"
)

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
			v, err := BatchResultAs[item](res, key)
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
			{{Name: "a", Method: "x.get", Params: map[string]any{"id": V3Ref("b", "item", "id")}}, {Name: "b", Method: "x.get"}},
			{{Name: "a", Method: "x.get", Params: map[string]any{"id": V3Ref("nobody", "item")}}},
			{{Name: "a", Method: "x.get"}, {Method: "x.list", Params: map[string]any{"id": V3Ref("a")}}},
			{{Method: "x.list", Params: []any{1}}},
		} {
			if _, err := h.V3().Batch(ctx, bad); err == nil {
				t.Errorf("%v: no error", bad)
			}
		}
		if p.requests() != 0 {
			t.Errorf("%d requests", p.requests())
		}
		b, _ := json.Marshal(map[string]any{"ids": V3RefArray("tasks", "id")})
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
