package b24_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

func fakeStates(r *b24.BatchResult) string {
	var b strings.Builder
	for _, c := range r.Commands {
		b.WriteString(map[b24.CommandState]string{b24.CommandDone: "D", b24.CommandFailed: "F", b24.CommandAmbiguous: "A", b24.CommandNotExecuted: "-"}[c.State])
	}
	return b.String()
}

// dealIDs returns the ids of the first 50 seeded deals.
func dealIDs(t *testing.T, api *b24.API) []string {
	t.Helper()
	rows, _, err := b24.CallAs[[]map[string]string](context.Background(), api, "crm.deal.list", map[string]any{"select": []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r["ID"]
	}
	return ids
}

func TestBatchOnFakePortal(t *testing.T) {
	t.Parallel()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 60}), b24test.WithLatency(b24test.Latency{}))
	api := s.Hook().V2()
	ctx := context.Background()
	ids := dealIDs(t, api)
	cmds := []b24.Cmd{
		{Method: "crm.deal.get", Params: map[string]any{"id": ids[0]}},
		{Method: "crm.deal.get", Params: map[string]any{"id": 999999}},
		{Method: "crm.deal.get", Params: map[string]any{"id": ids[2]}},
	}
	for _, tc := range []struct {
		halt bool
		want string
	}{{true, "DF-"}, {false, "DFD"}} {
		res, err := api.Batch(ctx, cmds, b24.WithHalt(tc.halt))
		if got := fakeStates(res); got != tc.want || !errors.Is(err, b24.ErrNotFound) {
			t.Errorf("halt %v: %s, %v", tc.halt, got, err)
		}
		deal, err := b24.DecodeResult[map[string]any](&res.Commands[0])
		if err != nil || deal["ID"] != ids[0] {
			t.Errorf("deal %v %v", deal["ID"], err)
		}
	}
	before := s.Audit().Requests
	if _, err := api.Batch(ctx, make([]b24.Cmd, 51)); err == nil || s.Audit().Requests != before {
		t.Errorf("51 commands: %v", err)
	}

	// A chain through references: the second page filters on the last id of the first.
	first := b24.Cmd{Name: "p1", Method: "crm.deal.list", Params: map[string]any{"order": map[string]string{"ID": "ASC"}, "filter": map[string]any{">ID": 0}, "select": []string{"ID"}, "start": -1}}
	second := b24.Cmd{Name: "p2", Method: "crm.deal.list", Params: map[string]any{"order": map[string]string{"ID": "ASC"}, "filter": map[string]any{">ID": first.Result(49, "ID")}, "select": []string{"ID"}, "start": -1}}
	res, err := api.Batch(ctx, []b24.Cmd{first, second})
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := b24.DecodeResult[[]map[string]string](res.Get("p1"))
	p2, _ := b24.DecodeResult[[]map[string]string](res.Get("p2"))
	if len(p1) != 50 || len(p2) != 10 || p2[0]["ID"] <= p1[49]["ID"] && len(p2[0]["ID"]) <= len(p1[49]["ID"]) {
		t.Errorf("pages of %d and %d rows", len(p1), len(p2))
	}
}

func TestBatchV3OnFakePortal(t *testing.T) {
	t.Parallel()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Tasks: 10}), b24test.WithLatency(b24test.Latency{}))
	api := s.Hook().V3()
	ctx := context.Background()
	list, _, err := b24.CallAs[struct {
		Items []struct{ ID int }
	}](ctx, api, "tasks.task.list", map[string]any{"select": []string{"id"}})
	if err != nil || len(list.Items) < 3 {
		t.Fatalf("%v %v", list, err)
	}
	first := b24.Cmd{Name: "first", Method: "tasks.task.get", Params: map[string]any{"id": list.Items[0].ID, "select": []string{"id", "title"}}}
	res, err := api.Batch(ctx, []b24.Cmd{
		first,
		{Name: "again", Method: "tasks.task.get", Params: map[string]any{"id": first.V3Ref("item", "id"), "select": []string{"id"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Item struct{ ID int } `json:"item"`
	}
	if v, err := b24.DecodeResult[got](res.Get("again")); err != nil || v.Item.ID != list.Items[0].ID {
		t.Errorf("again: %v %v", v, err)
	}
	// The first error aborts: a read in an aborted batch is reported failed.
	res, err = api.Batch(ctx, []b24.Cmd{
		{Method: "tasks.task.get", Params: map[string]any{"id": list.Items[1].ID}},
		{Method: "tasks.task.get", Params: map[string]any{"id": 999999}},
		{Method: "tasks.task.get", Params: map[string]any{"id": list.Items[2].ID}},
	})
	if got := fakeStates(res); got != "FFF" || !res.Halted || err == nil {
		t.Errorf("abort: %s %v", got, err)
	}
	t.Log(err)
}

// TestWithOnSend: the function hears of every attempt of a batch, after the
// limiter's wait (the send time BatchByChunk's reconciler counts from too),
// and a retried read is heard twice.
func TestWithOnSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 3}))
		h := srv.Hook()
		var sends []time.Time
		start := time.Now()
		srv.FailNext("batch", 1, b24test.FaultUnavailable) // refused: retried after a wait
		res, err := h.V2().Batch(t.Context(), []b24.Cmd{{Method: "crm.deal.get", Params: map[string]any{"id": 1}}},
			b24.WithBatchCallOptions(b24.WithOnSend(func(at time.Time) { sends = append(sends, at) })))
		if err != nil {
			t.Fatal(err)
		}
		if len(sends) != 2 || !sends[0].Equal(start) || !sends[1].After(start) || !res.SentAt.Equal(sends[1]) {
			t.Errorf("sends %v (start %v), batch sent at %v", sends, start, res.SentAt)
		}
	})
}

// outcome is what one way of sending a list gave: the ids, or a refusal.
type outcome struct {
	ids     []string
	refused *b24.QueryParamError
	sent    int // requests the fake portal saw
}

func (o outcome) String() string {
	if o.refused != nil {
		return fmt.Sprintf("refused (%s is %s) after %d requests", o.refused.Path, o.refused.Value, o.sent)
	}
	return fmt.Sprintf("%d rows %v", len(o.ids), o.ids)
}

// TestQueryParamsParity runs Call, Batch, BatchByChunk and FetchList with
// the same parameters against the fake portal (whose batch commands are
// read by PHP's parse_str rules) and accepts only the rows Call gives, or
// a refusal naming the key before any request. Before the fix an empty
// array was dropped from a batch command: filter[ID]=[] gave no row through
// Call and every row through Batch, BatchByChunk and FetchList; nil and
// booleans became "" and "1".
func TestQueryParamsParity(t *testing.T) {
	t.Parallel()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 40}), b24test.WithLatency(b24test.Latency{}))
	api := s.Hook().V2()
	ctx := context.Background()
	ids := dealIDs(t, api)
	if len(ids) != 40 {
		t.Fatalf("%d deals", len(ids))
	}
	// 1,001 ids, the last one a deal's: PHP drops the variables past its
	// 1,000th, and with it the deal.
	many := make([]any, 1001)
	for i := range many {
		many[i] = strconv.Itoa(900000 + i)
	}
	many[1000] = ids[5]
	tests := []struct {
		name   string
		params map[string]any
		path   string // the key Batch must refuse; "" when it sends the params
	}{
		{"empty ID list selects nothing", map[string]any{"filter": map[string]any{"ID": []any{}}, "select": []string{"ID"}}, "filter[ID]"},
		{"ID list", map[string]any{"filter": map[string]any{"ID": []any{ids[3], ids[7]}}, "select": []string{"ID"}}, ""},
		{"bounds as numbers", map[string]any{"filter": map[string]any{">ID": ids[30], "<=ID": ids[35]}, "select": []string{"ID"}}, ""},
		{"empty filter", map[string]any{"filter": map[string]any{}, "select": []string{"ID"}}, "filter"},
		{"nil value", map[string]any{"filter": map[string]any{"TITLE": nil}, "select": []string{"ID"}}, "filter[TITLE]"},
		{"true", map[string]any{"filter": map[string]any{"OPENED": true}, "select": []string{"ID"}}, "filter[OPENED]"},
		{"false", map[string]any{"filter": map[string]any{"OPENED": false}, "select": []string{"ID"}}, "filter[OPENED]"},
		{"nested empty array", map[string]any{"filter": map[string]any{"!ID": []any{}, "ID": []any{ids[1]}}, "select": []string{"ID"}}, "filter[!ID]"},
		{"empty select", map[string]any{"select": []any{}, "filter": map[string]any{"<=ID": ids[2]}}, "select"},
		{"more values than max_input_vars", map[string]any{"filter": map[string]any{"ID": many}, "select": []string{"ID"}}, "filter[ID][1000]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := b24.CallAs[[]map[string]any](ctx, api, "crm.deal.list", tc.params)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			want := idList(rows)

			batch := func(run func(context.Context, []b24.Cmd, ...b24.BatchOption) (*b24.BatchResult, error)) func() (outcome, error) {
				return func() (outcome, error) {
					res, err := run(ctx, []b24.Cmd{{Method: "crm.deal.list", Params: tc.params}})
					if err != nil {
						return outcome{}, err
					}
					rows, err := b24.DecodeResult[[]map[string]any](res.Get("0"))
					return outcome{ids: idList(rows)}, err
				}
			}
			ways := map[string]func() (outcome, error){
				"Batch":        batch(api.Batch),
				"BatchByChunk": batch(api.BatchByChunk),
				"FetchList": func() (outcome, error) {
					var got []map[string]any
					for row, err := range b24.FetchList[map[string]any](ctx, api, "crm.deal.list", tc.params) {
						if err != nil {
							return outcome{}, err
						}
						got = append(got, row)
					}
					return outcome{ids: idList(got)}, nil
				},
			}
			for _, way := range []string{"Batch", "BatchByChunk", "FetchList"} {
				before := s.Audit().Requests
				o, err := ways[way]()
				o.sent = s.Audit().Requests - before
				if err != nil && !errors.As(err, &o.refused) {
					t.Errorf("%s: %v", way, err)
					continue
				}
				switch {
				case way == "FetchList" && o.refused != nil:
					t.Errorf("FetchList: %s; want Call's rows, one page a request", o)
				case o.refused != nil:
					if o.sent != 0 || o.refused.Path != tc.path || !errors.Is(err, b24.ErrQueryParam) {
						t.Errorf("%s: %s, %v; want refused at %s before sending, or %d rows", way, o, err, tc.path, len(want))
					}
				case !slices.Equal(o.ids, want):
					t.Errorf("%s: %s; Call gave %d rows %v", way, o, len(want), want)
				case tc.path != "" && way != "FetchList":
					t.Errorf("%s sent %s", way, tc.path)
				}
			}
		})
	}
}

// TestQueryParamsUnlink: fields[CONTACT_IDS]=[] unlinks every contact
// through Call; a batch command would lose the key and report done, so
// Batch and BatchByChunk refuse it before sending, naming the key.
func TestQueryParamsUnlink(t *testing.T) {
	t.Parallel()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 3, Contacts: 3}), b24test.WithLatency(b24test.Latency{}))
	api := s.Hook().V2()
	ctx := context.Background()
	id := dealIDs(t, api)[0]
	contacts := func() []any {
		t.Helper()
		rows, _, err := b24.CallAs[[]map[string]any](ctx, api, "crm.deal.list",
			map[string]any{"filter": map[string]any{"ID": id}, "select": []string{"ID", "CONTACT_IDS"}})
		if err != nil || len(rows) != 1 {
			t.Fatal(rows, err)
		}
		l, _ := rows[0]["CONTACT_IDS"].([]any)
		return l
	}
	link := map[string]any{"id": id, "fields": map[string]any{"CONTACT_IDS": []string{"1", "2"}}}
	if _, err := api.Call(ctx, "crm.deal.update", link); err != nil || len(contacts()) != 2 {
		t.Fatalf("link: %v, %v", err, contacts())
	}
	unlink := b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": id, "fields": map[string]any{"TITLE": "x", "CONTACT_IDS": []string{}}}}
	for _, run := range []func() (*b24.BatchResult, error){
		func() (*b24.BatchResult, error) {
			return api.Batch(ctx, []b24.Cmd{{Method: "crm.deal.get", Params: map[string]any{"id": id}}, unlink})
		},
		func() (*b24.BatchResult, error) { return api.BatchByChunk(ctx, []b24.Cmd{unlink}) },
	} {
		before := s.Audit().Requests
		res, err := run()
		var qe *b24.QueryParamError
		if res != nil || !errors.As(err, &qe) || qe.Path != "fields[CONTACT_IDS]" || qe.Value != "an empty array" || s.Audit().Requests != before {
			t.Errorf("%v, %v after %d requests", res, err, s.Audit().Requests-before)
		}
	}
	if len(contacts()) != 2 {
		t.Fatalf("a refused batch changed the deal: %v", contacts())
	}
	if _, err := api.Call(ctx, "crm.deal.update", unlink.Params); err != nil || len(contacts()) != 0 {
		t.Errorf("Call: %v, contacts %v; want none", err, contacts())
	}
}

func idList(rows []map[string]any) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprint(r["ID"]))
	}
	slices.Sort(out)
	return out
}

// FuzzBatchRefs sends a REST v2 batch whose second command holds a fuzzed
// batch reference ($result[...][...], $next[...], ...) and a fuzzed command
// name: the SDK's reference check either refuses it before sending, with an
// error, or the fake portal's reference resolver runs it; nothing panics or
// hangs, and an accepted batch reports both commands.
func FuzzBatchRefs(f *testing.F) {
	for _, s := range [][2]string{
		{"b", "$result[a][0][ID]"}, {"b", "$result[a]"}, {"b", "$next[a]"}, {"b", "$total[a]"},
		{"b", "$result[b][0]"}, {"b", "$result[zz][0]"}, {"", "$result[0][0][ID]"}, {"b", "$result[]"},
		{"b", "x $result[a][0][TITLE] y"}, {"b", "$result[a][49][ID]"}, {"b", "$result[a][-1]"},
		{"b", "$result[a][0][ID"}, {"b", "%24result%5Ba%5D"}, {"b", "$error[a]"}, {"b", "$time[a][start]"},
		{"b", "$result[a][0][ID]$result[a][1][ID]"}, {"b", "$result[%00][0]"}, {"b", "$result[a][][]"},
	} {
		f.Add(s[0], s[1])
	}
	srv, err := b24test.Start(b24test.InMemory(), b24test.WithoutLimits(), b24test.WithLatency(b24test.Latency{}),
		b24test.WithSeed(b24test.Seed{Deals: 5}))
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	// The fake has no limits: neither has the hook's limiter.
	h := srv.Hook(b24.WithRestrictionParams(b24.RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: 1 << 20, Drain: 1e6}}}))
	defer h.Close()
	f.Fuzz(func(t *testing.T, name, ref string) {
		cmds := []b24.Cmd{
			{Name: "a", Method: "crm.deal.list", Params: map[string]any{"select": []string{"ID", "TITLE"}}},
			{Name: name, Method: "crm.deal.get", Params: map[string]any{"id": ref}},
		}
		if name == "" {
			cmds[0].Name = ""
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := h.V2().Batch(ctx, cmds)
		if ctx.Err() != nil {
			t.Fatalf("the batch hung: %v", err)
		}
		if res == nil {
			if err == nil {
				t.Fatal("no result and no error")
			}
			return
		}
		if len(res.Commands) != 2 {
			t.Fatalf("%d commands reported", len(res.Commands))
		}
		for _, c := range res.Commands {
			if c.State != b24.CommandDone && c.Err == nil {
				t.Fatalf("command %d %v without an error", c.Index, c.State)
			}
		}
		var be *b24.BatchError
		if err != nil && !errors.As(err, &be) {
			t.Fatalf("error is not a *BatchError: %v", err)
		}
	})
}
