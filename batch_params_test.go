package b24_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

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
					rows, err := b24.BatchResultAs[[]map[string]any](res, "0")
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
