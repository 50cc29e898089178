package b24_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// portal runs f in a synctest bubble with an in-memory fake portal at time scale 10.
func portal(t *testing.T, seed b24test.Seed, f func(t *testing.T, s *b24test.Server, h *b24.Hook), opts ...b24test.Option) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		s := b24test.NewServer(t, append([]b24test.Option{b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithSeed(seed)}, opts...)...)
		f(t, s, s.Hook())
	})
}

var idOnly = map[string]any{"select": []string{"ID"}}

// where says where a method's rows and ids are, for the ground truth.
type where struct {
	api       b24.APIVersion
	method    string
	resultKey string
	idKey     string
	orderKey  string
	params    map[string]any
}

var (
	deals  = where{b24.APIv2, "crm.deal.list", "", "ID", "ID", nil}
	items  = where{b24.APIv2, "crm.item.list", "items", "id", "id", map[string]any{"entityTypeId": 2}}
	tasks  = where{b24.APIv2, "tasks.task.list", "tasks", "id", "ID", map[string]any{"select": []string{"ID", "TITLE"}}}
	tasks3 = where{b24.APIv3, "tasks.task.list", "items", "id", "id", map[string]any{"select": []string{"id", "title"}}}
)

func (wh where) with(kv ...any) map[string]any {
	p := map[string]any{}
	for k, v := range wh.params {
		p[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

func apiOf(h *b24.Hook, v b24.APIVersion) *b24.API {
	if v == b24.APIv3 {
		return h.V3()
	}
	return h.V2()
}

// truth reads every id of a list by offset paging with raw calls,
// independently of the list walker.
func truth(t *testing.T, h *b24.Hook, wh where, params map[string]any) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for start := 0; ; {
		p := map[string]any{}
		for k, v := range params {
			p[k] = v
		}
		if _, ok := p["select"]; !ok {
			p["select"] = []string{wh.orderKey}
		}
		if wh.api == b24.APIv3 {
			p["pagination"] = map[string]any{"limit": 1000, "offset": start}
			p["order"] = map[string]any{"id": "ASC"}
		} else {
			p["start"] = start
			p["order"] = map[string]any{wh.orderKey: "ASC"}
		}
		resp, err := apiOf(h, wh.api).Call(ctx, wh.method, p)
		if err != nil {
			t.Fatalf("truth: %v", err)
		}
		var rows []map[string]any
		if wh.resultKey == "" {
			rows, err = b24.Decode[[]map[string]any](resp)
		} else {
			var m map[string][]map[string]any
			m, err = b24.Decode[map[string][]map[string]any](resp)
			rows = m[wh.resultKey]
		}
		if err != nil {
			t.Fatalf("truth: %v", err)
		}
		for _, r := range rows {
			ids = append(ids, idOf(t, r, wh.idKey))
		}
		if wh.api == b24.APIv3 {
			if len(rows) < 1000 {
				return ids
			}
			start += len(rows)
			continue
		}
		if resp.Next == nil {
			return ids
		}
		start = *resp.Next
	}
}

func idOf(t *testing.T, r map[string]any, key string) int64 {
	t.Helper()
	switch v := r[key].(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("id %q: %v", v, err)
		}
		return n
	case float64:
		return int64(v)
	}
	t.Fatalf("row without %s: %v", key, r)
	return 0
}

// collect walks the list and returns the ids in delivery order.
func collect(t *testing.T, h *b24.Hook, wh where, params map[string]any, opts ...b24.ListOption) ([]int64, b24.ListReport, error) {
	t.Helper()
	var rep b24.ListReport
	opts = append(opts, b24.WithReport(&rep))
	if params == nil {
		params = wh.with("select", []string{wh.orderKey})
	}
	var ids []int64
	var err error
	for row, e := range b24.FetchList[map[string]any](context.Background(), apiOf(h, wh.api), wh.method, params, opts...) {
		if e != nil {
			err = e
			break
		}
		ids = append(ids, idOf(t, row, wh.idKey))
	}
	return ids, rep, err
}

func sorted(ids []int64, desc bool) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	if desc {
		slices.Reverse(out)
	}
	return out
}

// TestListShardsMatchStore walks each family in every mode and checks that
// every id of the store comes exactly once, in the promised order.
func TestListShardsMatchStore(t *testing.T) {
	modes := []struct {
		name string
		opts []b24.ListOption
		desc bool
		any  bool // order not promised
	}{
		{"chain", nil, false, false},
		{"single pages", []b24.ListOption{b24.WithBatch(false)}, false, false},
		{"chain desc", []b24.ListOption{b24.WithDescending(true)}, true, false},
		{"shards ordered", []b24.ListOption{b24.WithConcurrency(4)}, false, false},
		{"shards unordered", []b24.ListOption{b24.WithConcurrency(4), b24.WithUnordered(true)}, false, true},
		{"shards desc", []b24.ListOption{b24.WithConcurrency(3), b24.WithDescending(true)}, true, false},
		{"shards single pages", []b24.ListOption{b24.WithConcurrency(5), b24.WithBatch(false)}, false, false},
	}
	fams := []where{deals, items, tasks, tasks3}
	for _, wh := range fams {
		for i, m := range modes {
			if wh.method != "crm.deal.list" && i != 0 && i != 4 && i != 5 {
				continue // every mode on deals, three on the others
			}
			t.Run(wh.api.String()+" "+wh.method+" "+m.name, func(t *testing.T) {
				portal(t, b24test.Seed{Deals: 2600, Tasks: 2345}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
					want := truth(t, h, wh, wh.params)
					if len(want) < 2000 {
						t.Fatalf("the store has only %d rows", len(want))
					}
					got, rep, err := collect(t, h, wh, wh.params, m.opts...)
					if err != nil {
						t.Fatal(err)
					}
					if m.any {
						got = sorted(got, m.desc)
					}
					if !slices.Equal(got, sorted(want, m.desc)) {
						t.Fatalf("got %d ids, want %d (first %v, want %v)", len(got), len(want), got[:min(5, len(got))], want[:5])
					}
					if rep.End != b24.ListComplete || rep.Rows != int64(len(want)) || rep.UniqueIDs != rep.Rows || rep.Duplicates != 0 {
						t.Fatalf("report %+v", rep)
					}
					if rep.MinID != slices.Min(want) || rep.MaxID != slices.Max(want) || rep.Cursor != nil {
						t.Fatalf("report %+v", rep)
					}
					if a := s.Audit(); int64(a.Requests) < rep.Requests || rep.Requests == 0 {
						t.Fatalf("report counts %d requests, the portal saw %d", rep.Requests, a.Requests)
					}
				})
			})
		}
	}
}

// TestListChainRequests checks the fast path's cost: a probe, then up to
// 2,500 rows a request, and no dropped command on a dense id space.
func TestListChainRequests(t *testing.T) {
	portal(t, b24test.Seed{Deals: 12000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		_, rep, err := collect(t, h, deals, map[string]any{"select": []string{"ID"}})
		if err != nil {
			t.Fatal(err)
		}
		// 12,000 rows: the probe (100 rows), then ceil(11,900/2,500) = 5 batches.
		if rep.Requests != 6 || rep.Mode != "chain" {
			t.Fatalf("requests %d, mode %s; want 6 chain", rep.Requests, rep.Mode)
		}
		if a := s.Audit(); a.Requests != 6 || a.ByMethod["crm.deal.list"] != nil {
			t.Fatalf("audit %+v", a.ByMethod)
		}
		if rep.Dropped > 2 {
			t.Fatalf("%d commands dropped", rep.Dropped)
		}
	})
}

// TestListShardsFitRequests: on a sparse id space (the fake leaves 5 % of
// ids unused) parallel shards of chained batches cost hardly more requests
// than the rows need: each shard is cut to fill whole requests, with room for
// the error of its expected row count, and the first shards, cut on the
// probe's two pages alone, hold one request each. (Cut on the probe's
// density, 16 shards of 4 requests each overran into a fifth: 74 and 78
// requests here.)
func TestListShardsFitRequests(t *testing.T) {
	const n = 150000
	for _, tc := range []struct {
		name string
		opts []b24.ListOption
	}{
		{"ordered", []b24.ListOption{b24.WithConcurrency(16)}},
		{"unordered", []b24.ListOption{b24.WithConcurrency(16), b24.WithUnordered(true)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			portal(t, b24test.Seed{Deals: n}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
				ids, rep, err := collect(t, h, deals, idOnly, tc.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if len(ids) != n || rep.End != b24.ListComplete || rep.UniqueIDs != n {
					t.Fatalf("%d rows, report %+v", len(ids), rep)
				}
				// The probe, then ceil(n / 2,500) = 60 requests, and at most 4 more.
				if least := int64(n/2500 + 1); rep.Requests < least || rep.Requests > least+4 {
					t.Fatalf("%d requests in %d shards, want %d to %d", rep.Requests, rep.Shards, least, least+4)
				}
			}, b24test.WithoutLimits())
		})
	}
}

// TestListUnresolvedReferences makes the chains overshoot (ids deleted in
// the middle of the range after the probe measured its density): the
// commands after the first short page run on a reference that did not
// resolve, return garbage, and must be dropped.
func TestListUnresolvedReferences(t *testing.T) {
	portal(t, b24test.Seed{Deals: 3000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		ctx := context.Background()
		all := truth(t, h, deals, nil)
		var cmds []b24.Cmd
		for _, id := range all[100 : len(all)-100] {
			cmds = append(cmds, b24.Cmd{Method: "crm.deal.delete", Params: map[string]any{"id": id}})
		}
		if _, err := h.V2().BatchByChunk(ctx, cmds); err != nil {
			t.Fatal(err)
		}
		want := truth(t, h, deals, nil)
		got, rep, err := collect(t, h, deals, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %d ids, want %d", len(got), len(want))
		}
		if rep.Dropped == 0 {
			t.Fatalf("no command dropped: %+v", rep)
		}
		if rep.Duplicates != 0 || rep.Rows != int64(len(want)) {
			t.Fatalf("report %+v", rep)
		}
	})
}

// TestListFilterCombination keeps the caller's filter and bounds on the id.
func TestListFilterCombination(t *testing.T) {
	tests := []struct {
		name   string
		filter map[string]any
		opts   []b24.ListOption
		desc   bool
	}{
		{"stage", map[string]any{"STAGE_ID": "NEW"}, nil, false},
		{"lower bound", map[string]any{">ID": 700}, nil, false},
		{"both bounds and a field", map[string]any{">=ID": "250", "<ID": 1900, "CATEGORY_ID": 0}, nil, false},
		{"bounds, desc", map[string]any{">ID": 100, "<=ID": 1500}, []b24.ListOption{b24.WithDescending(true)}, true},
		{"desc by order", map[string]any{"<ID": 1500}, nil, true},
		{"bounds, shards", map[string]any{">ID": 100, "<=ID": 1500, "!STAGE_ID": "WON"}, []b24.ListOption{b24.WithConcurrency(3)}, false},
		{"empty range", map[string]any{">ID": 900, "<ID": 800}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal(t, b24test.Seed{Deals: 2000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
				params := map[string]any{"filter": tt.filter, "select": []string{"TITLE"}}
				want := truth(t, h, deals, params)
				if tt.name == "desc by order" {
					params["order"] = map[string]any{"id": "desc"}
				}
				got, rep, err := collect(t, h, deals, params, tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, sorted(want, tt.desc)) {
					t.Fatalf("got %d ids %v..., want %d %v...", len(got), got[:min(3, len(got))], len(want), want[:min(3, len(want))])
				}
				if rep.End != b24.ListComplete {
					t.Fatalf("report %+v", rep)
				}
			})
		})
	}
}

// TestListSelectGetsID: the id is added to a select that lacks it.
func TestListSelectGetsID(t *testing.T) {
	portal(t, b24test.Seed{Deals: 120}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		type deal struct {
			ID    string
			TITLE string
		}
		rows, err := b24.CallList[deal](context.Background(), h.V2(), "crm.deal.list", map[string]any{"select": []string{"TITLE"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || rows[0].ID == "" || rows[0].TITLE == "" {
			t.Fatalf("rows %v", rows[:min(2, len(rows))])
		}
	})
}

// TestListOffsetFallback: an order on another field pages by offset, with a warning.
func TestListOffsetFallback(t *testing.T) {
	portal(t, b24test.Seed{Deals: 345}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		var logs bytes.Buffer
		h.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
		params := map[string]any{"order": map[string]any{"TITLE": "ASC"}, "select": []string{"ID", "TITLE"}}
		var rep b24.ListReport
		rows, err := b24.CallList[map[string]any](context.Background(), h.V2(), "crm.deal.list", params, b24.WithReport(&rep))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 345 || rep.Mode != "offset" || rep.UniqueIDs != 345 || rep.End != b24.ListComplete {
			t.Fatalf("%d rows, report %+v", len(rows), rep)
		}
		if !slices.IsSortedFunc(rows, func(a, b map[string]any) int {
			return strings.Compare(strings.ToLower(a["TITLE"].(string)), strings.ToLower(b["TITLE"].(string)))
		}) {
			t.Fatal("rows not in the caller's order")
		}
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "offset") {
			t.Fatalf("no warning: %s", logs.String())
		}
	})
}

// TestListErrorMidWalkAndResume: a fatal error after some requests ends the
// walk with the rows before it; the report's cursor resumes exactly there.
func TestListErrorMidWalkAndResume(t *testing.T) {
	for _, opts := range [][]b24.ListOption{nil, {b24.WithConcurrency(4)}, {b24.WithConcurrency(3), b24.WithUnordered(true)}, {b24.WithBatch(false)}} {
		portal(t, b24test.Seed{Deals: 6000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
			want := truth(t, h, deals, nil)
			ctx := context.Background()
			var calls atomic.Int64
			hook := s.Hook(b24.WithHTTPClient(&http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				if calls.Add(1) == 3 {
					s.FailNext("", 1, b24test.FaultOverload)
				}
				return s.Transport().RoundTrip(r)
			})}))
			var rep b24.ListReport
			var got []int64
			var failed error
			for row, err := range b24.FetchList[map[string]any](ctx, hook.V2(), "crm.deal.list", idOnly, append(opts, b24.WithReport(&rep))...) {
				if err != nil {
					failed = err
					break
				}
				got = append(got, idOf(t, row, "ID"))
			}
			if !errors.Is(failed, b24.ErrOverloadLimit) || rep.End != b24.ListFailed || !errors.Is(rep.Err, b24.ErrOverloadLimit) {
				t.Fatalf("error %v, report %+v", failed, rep)
			}
			if len(got) == 0 || len(got) >= len(want) || rep.Rows != int64(len(got)) || rep.Cursor == nil {
				t.Fatalf("%d rows before the error, report %+v", len(got), rep)
			}
			// The cursor survives a round trip through JSON and a token.
			b, _ := json.Marshal(rep.Cursor)
			var cur b24.ListCursor
			if err := json.Unmarshal(b, &cur); err != nil {
				t.Fatal(err)
			}
			cur, err := b24.ParseListCursor(cur.String())
			if err != nil {
				t.Fatal(err)
			}
			rest, rep2, err := collect(t, h, deals, idOnly, append(opts, b24.WithResume(cur))...)
			if err != nil {
				t.Fatal(err)
			}
			all := sorted(append(got, rest...), false)
			if !slices.Equal(all, want) {
				t.Fatalf("before %d + after %d rows = %d unique, want %d", len(got), len(rest), len(slices.Compact(all)), len(want))
			}
			if rep2.End != b24.ListComplete {
				t.Fatalf("resumed report %+v", rep2)
			}
		})
	}
}

// TestListEarlyBreak: breaking out stops every request and leaves no
// goroutine (synctest fails the test if one is left blocked); the cursor
// resumes after the last row delivered.
func TestListEarlyBreak(t *testing.T) {
	for _, opts := range [][]b24.ListOption{nil, {b24.WithConcurrency(4)}, {b24.WithConcurrency(4), b24.WithUnordered(true)}} {
		portal(t, b24test.Seed{Deals: 8000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
			want := truth(t, h, deals, nil)
			before := s.Audit().Requests
			var rep b24.ListReport
			var got []int64
			for row, err := range b24.FetchList[map[string]any](context.Background(), h.V2(), "crm.deal.list", idOnly, append(opts, b24.WithReport(&rep))...) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, idOf(t, row, "ID"))
				if len(got) == 3777 {
					break
				}
			}
			after := s.Audit().Requests
			time.Sleep(time.Minute)
			if s.Audit().Requests != after {
				t.Fatal("requests after the break")
			}
			if after-before > 8 {
				t.Fatalf("%d requests for 3,777 rows", after-before)
			}
			if rep.End != b24.ListStopped || rep.Rows != 3777 || rep.Err != nil {
				t.Fatalf("report %+v", rep)
			}
			rest, _, err := collect(t, h, deals, idOnly, append(opts, b24.WithResume(*rep.Cursor))...)
			if err != nil {
				t.Fatal(err)
			}
			if all := sorted(append(got, rest...), false); !slices.Equal(all, want) {
				t.Fatalf("%d + %d rows, want %d", len(got), len(rest), len(want))
			}
		})
	}
}

// TestListCancel: cancelling the context ends the walk with the context's
// error and a stopped report.
func TestListCancel(t *testing.T) {
	for _, opts := range [][]b24.ListOption{nil, {b24.WithConcurrency(4)}} {
		portal(t, b24test.Seed{Deals: 8000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var rep b24.ListReport
			n := 0
			var failed error
			for _, err := range b24.FetchList[map[string]any](ctx, h.V2(), "crm.deal.list", idOnly, append(opts, b24.WithReport(&rep))...) {
				if err != nil {
					failed = err
					break
				}
				if n++; n == 5000 {
					cancel()
				}
			}
			if !errors.Is(failed, context.Canceled) || rep.End != b24.ListStopped || rep.Cursor == nil {
				t.Fatalf("error %v, report %+v", failed, rep)
			}
			if n >= 8000 {
				t.Fatalf("%d rows after cancel", n)
			}
		})
	}
}

// TestListProgress: progress reports rows and the share of the range.
func TestListProgress(t *testing.T) {
	portal(t, b24test.Seed{Deals: 15000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		var last b24.ListProgress
		calls := 0
		rows, err := b24.CallList[json.RawMessage](context.Background(), h.V2(), "crm.deal.list", idOnly,
			b24.WithConcurrency(3), b24.WithProgress(func(p b24.ListProgress) {
				if p.Rows < last.Rows || p.Covered < last.Covered-1e-9 {
					t.Errorf("progress went back: %+v after %+v", p, last)
				}
				last = p
				calls++
			}))
		if err != nil {
			t.Fatal(err)
		}
		if calls < 5 || last.Rows != int64(len(rows)) || last.Covered < 0.999 || last.Cursor == nil || !last.Cursor.Done() {
			t.Fatalf("%d calls, last %+v", calls, last)
		}
	})
}

// roundTrip is an http.RoundTripper from a function.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestListPageCap: a REST v3 portal that serves fewer rows than asked ends
// the walk only at a page shorter than the largest seen.
func TestListPageCap(t *testing.T) {
	for _, capRows := range []int{30, 50, 1000} {
		portal(t, b24test.Seed{Tasks: 1234}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
			want := truth(t, h, tasks3, nil)
			hook := s.Hook(b24.WithHTTPClient(&http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				if strings.HasSuffix(r.URL.Path, "/tasks.task.list") {
					var p map[string]any
					body, _ := io.ReadAll(r.Body)
					json.Unmarshal(body, &p)
					if pg, ok := p["pagination"].(map[string]any); ok && pg["limit"].(float64) > float64(capRows) {
						pg["limit"] = capRows
					}
					body, _ = json.Marshal(p)
					r.Body = io.NopCloser(bytes.NewReader(body))
					r.ContentLength = int64(len(body))
				}
				return s.Transport().RoundTrip(r)
			})}))
			got, rep, err := collect(t, hook, tasks3, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("cap %d: got %d ids, want %d", capRows, len(got), len(want))
			}
			if wantReq := int64(len(want)/capRows + 1); rep.Requests != wantReq {
				t.Fatalf("cap %d: %d requests, want %d", capRows, rep.Requests, wantReq)
			}
		})
	}
}

// stubPortal answers every list call with the same page: a method that
// ignores the id filter.
func stubPortal(t *testing.T, page string) *b24.Hook {
	t.Helper()
	h, err := b24.FromWebhookURL("https://stub.example/rest/1/abcdefgh12345678/", b24.WithHTTPClient(&http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(page)), Request: r}, nil
	})}))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func fullPage(id func(i int) string) string {
	var rows []string
	for i := range 50 {
		rows = append(rows, `{"ID":`+id(i)+`,"TITLE":"x"}`)
	}
	return `{"result":[` + strings.Join(rows, ",") + `],"total":0,"time":{"start":1,"finish":1,"duration":0.01,"processing":0.01}}`
}

// TestListStalledCursor: a portal that ignores the cursor ends the walk
// with ErrCursorStalled after the first page, not in a loop.
func TestListStalledCursor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := stubPortal(t, fullPage(func(i int) string { return strconv.Itoa(i + 1) }))
		for _, opts := range [][]b24.ListOption{{b24.WithBatch(false)}, {b24.WithBatch(false), b24.WithConcurrency(3)}} {
			var rep b24.ListReport
			rows, err := b24.CallList[map[string]any](context.Background(), h.V2(), "crm.deal.list", nil, append(opts, b24.WithReport(&rep))...)
			if !errors.Is(err, b24.ErrCursorStalled) {
				t.Fatalf("error %v", err)
			}
			if len(rows) != 50 || rep.Requests > 3 || rep.End != b24.ListFailed {
				t.Fatalf("%d rows, report %+v", len(rows), rep)
			}
		}
	})
}

// TestListNonNumericID: a row whose id is not an integer is a clear error.
func TestListNonNumericID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := stubPortal(t, fullPage(func(i int) string { return `"A-` + strconv.Itoa(i) + `"` }))
		_, err := b24.CallList[map[string]any](context.Background(), h.V2(), "crm.deal.list", nil, b24.WithBatch(false))
		if !errors.Is(err, b24.ErrNonNumericID) || !strings.Contains(err.Error(), "A-0") {
			t.Fatalf("error %v", err)
		}
	})
}

// TestListCursorMismatch: a cursor is not resumed on another query.
func TestListCursorMismatch(t *testing.T) {
	portal(t, b24test.Seed{Deals: 200}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		var rep b24.ListReport
		for range b24.FetchList[map[string]any](context.Background(), h.V2(), "crm.deal.list", nil, b24.WithReport(&rep), b24.WithBatch(false)) {
			break
		}
		_, err := b24.CallList[map[string]any](context.Background(), h.V2(), "crm.deal.list",
			map[string]any{"filter": map[string]any{"STAGE_ID": "NEW"}}, b24.WithResume(*rep.Cursor))
		if !errors.Is(err, b24.ErrCursorMismatch) {
			t.Fatalf("error %v", err)
		}
	})
}

// TestListTail walks tasks.task.tail both ways against the store.
func TestListTail(t *testing.T) {
	portal(t, b24test.Seed{Tasks: 2345}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		want := truth(t, h, tasks3, tasks3.params)
		ctx := context.Background()
		for _, tc := range []struct {
			desc bool
			opts []b24.ListOption
		}{
			{false, nil},
			{false, []b24.ListOption{b24.WithPageSize(100)}},
			{true, []b24.ListOption{b24.WithDescending(true), b24.WithTailStart(want[len(want)-1] + 1)}},
		} {
			var rep b24.ListReport
			rows, err := b24.CallTail[struct{ ID int64 }](ctx, h.V3(), "tasks.task.tail", map[string]any{"select": []string{"title"}}, append(tc.opts, b24.WithReport(&rep))...)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range rows {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, sorted(want, tc.desc)) {
				t.Fatalf("desc %v: %d ids, want %d", tc.desc, len(got), len(want))
			}
			if rep.Mode != "tail" || rep.End != b24.ListComplete || rep.Rows != int64(len(want)) || rep.Duplicates != 0 || rep.MaxID != want[len(want)-1] {
				t.Fatalf("report %+v", rep)
			}
		}
		if _, err := b24.CallTail[map[string]any](ctx, h.V3(), "tasks.task.tail", nil, b24.WithDescending(true)); err == nil {
			t.Fatal("a descending tail without a start")
		}
	})
}

// TestListAggregate reads an aggregate answer (experimental: checked
// against the documented shape only).
func TestListAggregate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := stubPortal(t, `{"result":{"result":{"sum":{"amount":"12345678901234567890.5"},"count":{"id":42}}},"time":{"start":1,"finish":1,"duration":0.01,"processing":0.01}}`)
		got, err := b24.Aggregate(context.Background(), h.V3(), "tasks.task.aggregate", map[string][]string{"sum": {"amount"}, "count": {"id"}}, []any{[]any{"status", "=", 2}})
		if err != nil {
			t.Fatal(err)
		}
		if got["sum"]["amount"] != "12345678901234567890.5" || got["count"]["id"] != "42" {
			t.Fatalf("%v", got)
		}
		if _, err := b24.Aggregate(context.Background(), h.V3(), "tasks.task.aggregate", map[string][]string{"median": {"x"}}, nil); err == nil {
			t.Fatal("unknown function accepted")
		}
	})
}

// countRefusals counts the batch commands a portal refused inside a 200
// batch, by the error codes in the answers' result_error.
type countRefusals struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countRefusals) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var env struct {
		Result struct {
			Errors json.RawMessage `json:"result_error"`
		} `json:"result"`
	}
	if json.Unmarshal(body, &env) == nil {
		e := env.Result.Errors
		c.n.Add(int64(bytes.Count(e, []byte(`"OPERATION_TIME_LIMIT"`)) + bytes.Count(e, []byte(`"QUERY_LIMIT_EXCEEDED"`))))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// spendOutOfBand sends a raw v2 batch of n commands cmd, outside any hook.
func spendOutOfBand(t *testing.T, s *b24test.Server, cmd string, n int) {
	t.Helper()
	form := url.Values{}
	for i := range n {
		form.Set("cmd["+strconv.Itoa(i)+"]", cmd)
	}
	resp, err := s.Client().Post(s.WebhookURL()+"batch", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("out-of-band batch: %d", resp.StatusCode)
	}
}

// TestListChainCommandRefused runs a chained v2 walk against a portal that
// bills each batch command under its own method with an operating budget of
// about 44 list pages per window: commands are refused with
// OPERATION_TIME_LIMIT inside 200 batches, at the start of a batch and after
// pages that ran. Budget spent out of band first (30, 40, 44 pages) also
// gets the range probe refused. The walk waits and sends the refused
// commands again: every id of the store exactly once, in order, complete.
func TestListChainCommandRefused(t *testing.T) {
	limits := b24test.StandardLimits()
	limits.BatchPerCommand = true
	limits.OperatingLimit = time.Second // 44 pages of 22.5 ms by the default latency model
	limits.OperatingWindow = 10 * time.Second
	limits.OperatingFloor = time.Millisecond
	for _, tc := range []struct{ spent, shards int }{{30, 1}, {30, 3}, {40, 1}, {40, 3}, {44, 1}, {44, 3}} {
		t.Run(strconv.Itoa(tc.spent)+" pages spent, shards "+strconv.Itoa(tc.shards), func(t *testing.T) {
			portal(t, b24test.Seed{Deals: 6000}, func(t *testing.T, s *b24test.Server, _ *b24.Hook) {
				rt := &countRefusals{next: s.Client().Transport}
				h := s.Hook(b24.WithHTTPClient(&http.Client{Transport: rt}))
				want := truth(t, h, deals, nil)
				// Another client of the same webhook spends budget the
				// walk's limiter has not seen (in one batch): the portal
				// stores a request's time when it ends and refuses commands
				// only once stored time is over the limit. From 40 pages
				// the range probe is refused (the walk failed with 0 rows).
				spendOutOfBand(t, s, "crm.deal.list?start=-1", tc.spent)
				got, rep, err := collect(t, h, deals, nil, b24.WithConcurrency(tc.shards))
				if err != nil {
					t.Fatalf("%v (report %+v)", err, rep)
				}
				if rt.n.Load() == 0 {
					t.Fatal("the portal refused no command: the test proves nothing")
				}
				if !slices.Equal(got, want) {
					t.Fatalf("got %d ids, want %d", len(got), len(want))
				}
				if rep.End != b24.ListComplete || rep.Err != nil || rep.Rows != int64(len(want)) ||
					rep.UniqueIDs != rep.Rows || rep.Duplicates != 0 || rep.Cursor != nil ||
					rep.MinID != want[0] || rep.MaxID != want[len(want)-1] {
					t.Fatalf("report %+v", rep)
				}
				t.Logf("%d commands refused; report: %d requests, %d retries, %d pages", rt.n.Load(), rep.Requests, rep.Retries, rep.Pages)
			}, b24test.WithLimits(limits))
		})
	}
}

// TestListV3ShardsShareBatch walks tasks.task.list on REST v3 with shards:
// the next pages of the shards in flight travel in one v3 batch, each with
// its own id range, so the walk sends far fewer requests than it reads
// pages, and every id of the store still comes exactly once, in order. When
// a batch fails (the portal answers it with a redirect), its pages are read
// one a request and the walk is still complete.
func TestListV3ShardsShareBatch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failBatch int // batches the portal fails
	}{{"batched", 0}, {"batch fails", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			portal(t, b24test.Seed{Tasks: 6000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
				want := truth(t, h, tasks3, tasks3.params)
				if len(want) < 5000 {
					t.Fatalf("the store has only %d tasks", len(want))
				}
				s.FailNext("batch", tc.failBatch, b24test.FaultMoved)
				before := s.Audit()
				got, rep, err := collect(t, h, tasks3, tasks3.params, b24.WithConcurrency(8), b24.WithPageSize(100))
				if err != nil {
					t.Fatalf("%v (report %+v)", err, rep)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("got %d ids, want %d", len(got), len(want))
				}
				if rep.End != b24.ListComplete || rep.Rows != int64(len(want)) || rep.UniqueIDs != rep.Rows ||
					rep.Duplicates != 0 || rep.Cursor != nil || rep.MinID != want[0] || rep.MaxID != want[len(want)-1] {
					t.Fatalf("report %+v", rep)
				}
				a := s.Audit()
				batches := a.ByMethod["batch"][200] - before.ByMethod["batch"][200]
				single := a.ByMethod["tasks.task.list"][200] - before.ByMethod["tasks.task.list"][200]
				t.Logf("%d pages in %d requests: %d batches, %d single pages, %d failed batches", rep.Pages, rep.Requests, batches, single, a.ByMethod["batch"][302])
				if int64(a.Requests-before.Requests) != rep.Requests {
					t.Fatalf("report counts %d requests, the portal saw %d", rep.Requests, a.Requests-before.Requests)
				}
				switch {
				case batches == 0:
					t.Fatalf("%d pages in %d requests: no batch", rep.Pages, rep.Requests)
				case tc.failBatch == 0 && rep.Requests*3 > rep.Pages:
					t.Fatalf("%d pages in %d requests (%d batches): want a third or fewer", rep.Pages, rep.Requests, batches)
				case rep.Requests > rep.Pages+int64(tc.failBatch):
					// A failed batch's pages are read one a request: never
					// more than one request a page, plus the failed batches.
					t.Fatalf("%d pages in %d requests (%d batches)", rep.Pages, rep.Requests, batches)
				}
				if failed := a.ByMethod["batch"][302]; failed != tc.failBatch {
					t.Fatalf("%d batches failed, want %d", failed, tc.failBatch)
				}
			})
		})
	}
}

// TestListV3ShardsBatchStop stops a sharded v3 walk whose pages share
// batches: a break sends no request after it and resumes to the rest of the
// store; a cancel ends the walk with the context's error. Every worker waiting
// for a batch ends (the bubble ends with no goroutine blocked).
func TestListV3ShardsBatchStop(t *testing.T) {
	for _, opts := range [][]b24.ListOption{{b24.WithConcurrency(8)}, {b24.WithConcurrency(8), b24.WithUnordered(true)}} {
		portal(t, b24test.Seed{Tasks: 6000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
			want := truth(t, h, tasks3, tasks3.params)
			opts := append(opts, b24.WithPageSize(100))
			var rep b24.ListReport
			var got []int64
			for row, err := range b24.FetchList[map[string]any](context.Background(), h.V3(), tasks3.method, tasks3.params, append(opts, b24.WithReport(&rep))...) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, idOf(t, row, "id"))
				if len(got) == 2345 {
					break
				}
			}
			after := s.Audit().Requests
			time.Sleep(time.Minute)
			if s.Audit().Requests != after {
				t.Fatal("requests after the break")
			}
			if rep.End != b24.ListStopped || rep.Rows != 2345 || rep.Err != nil {
				t.Fatalf("report %+v", rep)
			}
			rest, _, err := collect(t, h, tasks3, tasks3.params, append(opts, b24.WithResume(*rep.Cursor))...)
			if err != nil {
				t.Fatal(err)
			}
			if all := sorted(append(got, rest...), false); !slices.Equal(all, want) {
				t.Fatalf("%d + %d rows, want %d", len(got), len(rest), len(want))
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			var failed error
			for _, err := range b24.FetchList[map[string]any](ctx, h.V3(), tasks3.method, tasks3.params, append(opts, b24.WithReport(&rep))...) {
				if err != nil {
					failed = err
					break
				}
				if n++; n == 3000 {
					cancel()
				}
			}
			if !errors.Is(failed, context.Canceled) || rep.End != b24.ListStopped || rep.Cursor == nil || n >= len(want) {
				t.Fatalf("error %v after %d rows, report %+v", failed, n, rep)
			}
		})
	}
}

// hostile scripts fault on the next 1000 calls of method and returns the
// API (v3 or v2) to walk it with.
func hostile(s *b24test.Server, h *b24.Hook, method string, fault b24test.Fault, v3 bool) *b24.API {
	s.FailNext(method, 1000, fault)
	if v3 {
		return h.V3()
	}
	return h.V2()
}

// TestListUnsortedPortal: a portal that ignores the order by id fails every
// walk that relies on it (keyset, chained, sharded, v3, tail) with
// ErrRowsOutOfOrder in a few requests, never complete with rows dropped as
// duplicates (before: 3 rows of 500, complete).
func TestListUnsortedPortal(t *testing.T) {
	tests := []struct {
		name   string
		v3     bool
		method string
		params map[string]any
		opts   []b24.ListOption
	}{
		{"keyset", false, "crm.deal.list", idOnly, []b24.ListOption{b24.WithBatch(false)}},
		{"chain", false, "crm.deal.list", idOnly, nil},
		{"keyset descending", false, "crm.deal.list", idOnly, []b24.ListOption{b24.WithBatch(false), b24.WithDescending(true)}},
		{"shards", false, "crm.deal.list", idOnly, []b24.ListOption{b24.WithConcurrency(3)}},
		{"shards unordered", false, "crm.deal.list", idOnly, []b24.ListOption{b24.WithConcurrency(3), b24.WithUnordered(true), b24.WithBatch(false)}},
		{"item", false, "crm.item.list", items.params, nil},
		{"tasks", false, "tasks.task.list", tasks.params, nil},
		{"v3", true, "tasks.task.list", tasks3.params, []b24.ListOption{b24.WithPageSize(50)}},
		{"v3 shards", true, "tasks.task.list", tasks3.params, []b24.ListOption{b24.WithPageSize(50), b24.WithConcurrency(3)}},
		{"tail", true, "tasks.task.tail", map[string]any{"select": []string{"id"}}, []b24.ListOption{b24.WithPageSize(50)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal(t, b24test.Seed{Deals: 500, Tasks: 500}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
				api := hostile(s, h, tt.method, b24test.FaultUnsorted, tt.v3)
				var rep b24.ListReport
				opts := append([]b24.ListOption{b24.WithReport(&rep)}, tt.opts...)
				var n int
				var err error
				if tt.method == "tasks.task.tail" {
					var rows []map[string]any
					rows, err = b24.CallTail[map[string]any](context.Background(), api, tt.method, tt.params, opts...)
					n = len(rows)
				} else {
					var rows []map[string]any
					rows, err = b24.CallList[map[string]any](context.Background(), api, tt.method, tt.params, opts...)
					n = len(rows)
				}
				if !errors.Is(err, b24.ErrRowsOutOfOrder) || !errors.Is(rep.Err, b24.ErrRowsOutOfOrder) {
					t.Fatalf("error %v, report error %v", err, rep.Err)
				}
				if rep.End != b24.ListFailed || n != 0 || rep.Rows != 0 || rep.Requests > 4 {
					t.Fatalf("%d rows, report %+v", n, rep)
				}
			})
		})
	}
}

// TestListOffsetIgnoredStart: an offset walk on a portal that ignores start
// (v2, next still raised) or the v3 offset stops with ErrPageRepeated at the
// second request, with the first page's rows delivered once (before: 27,000
// duplicate rows in 10 s on v2, an endless loop on v3).
func TestListOffsetIgnoredStart(t *testing.T) {
	tests := []struct {
		name   string
		v3     bool
		method string
		params map[string]any
		page   int
	}{
		{"v2", false, "crm.deal.list", map[string]any{"order": map[string]any{"TITLE": "ASC"}, "select": []string{"ID", "TITLE"}}, 50},
		{"v3", true, "tasks.task.list", map[string]any{"order": map[string]any{"title": "asc"}, "select": []string{"id", "title"}}, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal(t, b24test.Seed{Deals: 3000, Tasks: 3000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
				api := hostile(s, h, tt.method, b24test.FaultIgnoreStart, tt.v3)
				var rep b24.ListReport
				rows, err := b24.CallList[map[string]any](context.Background(), api, tt.method, tt.params, b24.WithReport(&rep))
				if !errors.Is(err, b24.ErrPageRepeated) || !errors.Is(rep.Err, b24.ErrPageRepeated) {
					t.Fatalf("error %v", err)
				}
				if len(rows) != tt.page || rep.Requests != 2 || rep.End != b24.ListFailed || rep.Mode != "offset" || rep.Duplicates != int64(tt.page) {
					t.Fatalf("%d rows, report %+v", len(rows), rep)
				}
			})
		})
	}
}

// TestListOffsetChanged: an offset walk whose list changes under it reads to
// the end but ends ListIncomplete with ErrListChanged (before: complete,
// with the rows the change shifted missing): deletions change total,
// insertions before the offset repeat rows.
func TestListOffsetChanged(t *testing.T) {
	tests := []struct {
		name   string
		change func(ctx context.Context, h *b24.Hook, first []map[string]any) error
		want   string
		last   int64 // the last page's total
	}{
		{"deleted", func(ctx context.Context, h *b24.Hook, first []map[string]any) error {
			for _, r := range first[:3] {
				if _, err := h.V2().Call(ctx, "crm.deal.delete", map[string]any{"id": r["ID"]}); err != nil {
					return err
				}
			}
			return nil
		}, "total 200 then 197", 197},
		{"added", func(ctx context.Context, h *b24.Hook, _ []map[string]any) error {
			for i := range 2 {
				if _, err := h.V2().Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "  " + strconv.Itoa(i)}}); err != nil {
					return err
				}
			}
			return nil
		}, "2 rows repeated", 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal(t, b24test.Seed{Deals: 200}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
				ctx := context.Background()
				params := map[string]any{"order": map[string]any{"TITLE": "ASC"}, "select": []string{"ID", "TITLE"}}
				var rep b24.ListReport
				var rows []map[string]any
				var err error
				for page, perr := range b24.FetchListPages[map[string]any](ctx, h.V2(), "crm.deal.list", params, b24.WithReport(&rep)) {
					if perr != nil {
						err = perr
						break
					}
					if len(rows) == 0 {
						if cerr := tt.change(ctx, h, page); cerr != nil {
							t.Fatal(cerr)
						}
					}
					rows = append(rows, page...)
				}
				if !errors.Is(err, b24.ErrListChanged) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v", err)
				}
				if rep.End != b24.ListIncomplete || !errors.Is(rep.Err, b24.ErrListChanged) || rep.Rows != int64(len(rows)) || rep.End.String() != "incomplete" ||
					rep.FirstTotal != 200 || rep.LastTotal != tt.last {
					t.Fatalf("%d rows, report %+v", len(rows), rep)
				}
			})
		})
	}
}

// TestListOffsetStubbornNext: a v2 portal that answers the same page with
// the same next stops at the second request, whether its rows have ids or
// not (identical pages), and a next that does not advance is an error.
func TestListOffsetStubbornNext(t *testing.T) {
	page := func(row func(i int) string, next int) string {
		var rows []string
		for i := range 50 {
			rows = append(rows, row(i))
		}
		return `{"result":[` + strings.Join(rows, ",") + `],"next":` + strconv.Itoa(next) + `,"total":1000,"time":{"start":1,"finish":1,"duration":0.01,"processing":0.01}}`
	}
	tests := []struct {
		name string
		body string
		want error
	}{
		{"ids", page(func(i int) string { return `{"ID":"` + strconv.Itoa(i+1) + `"}` }, 50), b24.ErrPageRepeated},
		{"no ids", page(func(int) string { return `{"TITLE":"x"}` }, 50), b24.ErrPageRepeated},
		{"text ids", page(func(i int) string { return `{"ID":"A-` + strconv.Itoa(i) + `"}` }, 50), b24.ErrPageRepeated},
		{"next back", page(func(i int) string { return `{"ID":"` + strconv.Itoa(i+1) + `"}` }, 0), b24.ErrCursorStalled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := stubPortal(t, tt.body)
				var rep b24.ListReport
				rows, err := b24.CallList[map[string]any](context.Background(), h.V2(), "crm.deal.list", nil, b24.WithOffsetPaging(true), b24.WithReport(&rep))
				if !errors.Is(err, tt.want) || rep.End != b24.ListFailed || rep.Requests > 2 || len(rows) != 50 {
					t.Fatalf("%d rows, error %v, report %+v", len(rows), err, rep)
				}
			})
		})
	}
}

// TestListOffsetShortOfTotal: a v2 offset walk whose pages skip rows (the
// second page starts 50 rows too far) without repeating any ends
// ListIncomplete, 100 rows read of a total of 150 (before: complete).
func TestListOffsetShortOfTotal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		page := func(from int, next string) string {
			var rows []string
			for id := from; id < from+50; id++ {
				rows = append(rows, `{"ID":"`+strconv.Itoa(id)+`"}`)
			}
			return `{"result":[` + strings.Join(rows, ",") + `]` + next + `,"total":150,"time":{"start":1,"finish":1,"duration":0.01,"processing":0.01}}`
		}
		h, err := b24.FromWebhookURL("https://stub.example/rest/1/abcdefgh12345678/", b24.WithHTTPClient(&http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			b, _ := io.ReadAll(r.Body)
			body := page(1, `,"next":50`)
			if strings.Contains(string(b), `"start":50`) {
				body = page(101, "")
			}
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})}))
		if err != nil {
			t.Fatal(err)
		}
		var rep b24.ListReport
		rows, err := b24.CallList[map[string]any](context.Background(), h.V2(), "crm.deal.list", nil, b24.WithOffsetPaging(true), b24.WithReport(&rep))
		if !errors.Is(err, b24.ErrListChanged) || !strings.Contains(err.Error(), "100 rows read of a total of 150") || len(rows) != 100 || rep.End != b24.ListIncomplete {
			t.Fatalf("%d rows, error %v, report %+v", len(rows), err, rep)
		}
	})
}

// TestListSlowConsumerShards: a consumer that falls behind the shard
// workers (a caller writing and syncing a file after every request) lets
// them fill the window of published shards; the walk must neither stall
// (the consumer's cursor used to wait for the cutter's lock, held by a
// worker waiting for the consumer) nor lose a range from the cursors it
// reports: resuming from a cursor taken mid-walk reads exactly the rows not
// yet delivered.
func TestListSlowConsumerShards(t *testing.T) {
	portal(t, b24test.Seed{Deals: 60000}, func(t *testing.T, s *b24test.Server, h *b24.Hook) {
		ctx := context.Background()
		delivered := map[int64]bool{}
		var saved *b24.ListCursor
		savedAt := map[int64]bool{}
		progress := 0
		var rep b24.ListReport
		opts := []b24.ListOption{b24.WithConcurrency(4), b24.WithReport(&rep), b24.WithProgress(func(p b24.ListProgress) {
			progress++
			if progress == 4 {
				c := *p.Cursor
				saved = &c
				for id := range delivered {
					savedAt[id] = true
				}
			}
		})}
		pages := 0
		for page, err := range b24.FetchListPages[struct{ ID b24.ID }](ctx, h.V2(), "crm.deal.list", idOnly, opts...) {
			if err != nil {
				t.Fatal(err)
			}
			if pages++; pages == 2 { // the first page after the probe
				// Fall behind: the workers run ahead until the window of
				// shards and their chunk buffers are full.
				time.Sleep(time.Hour)
			}
			for _, r := range page {
				if delivered[int64(r.ID)] {
					t.Fatalf("id %d twice", r.ID)
				}
				delivered[int64(r.ID)] = true
			}
		}
		if rep.End != b24.ListComplete || rep.Shards < 12 {
			t.Fatalf("report %+v: want a complete walk of more shards than the window holds", rep)
		}
		if saved == nil {
			t.Fatal("no cursor saved")
		}
		b, _ := json.Marshal(saved)
		rest := 0
		for page, err := range b24.FetchListPages[struct{ ID b24.ID }](ctx, h.V2(), "crm.deal.list", idOnly,
			b24.WithConcurrency(4), b24.WithResume(*saved)) {
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				if savedAt[int64(r.ID)] {
					t.Fatalf("resumed walk read id %d, delivered before the cursor %s", r.ID, b)
				}
				rest++
			}
		}
		if len(savedAt)+rest != len(delivered) {
			t.Fatalf("delivered %d before the cursor %s, the resumed walk read %d: want %d in all", len(savedAt), b, rest, len(delivered))
		}
	})
}

// TestListChainRefusalBound has the portal refuse the list method's batch
// commands with OPERATION_TIME_LIMIT (no reset time given) a few times, or
// for good. A few refusals are waited out: every row, complete. Refusals for
// good end the walk failed within RetryPolicy.MaxRefusalWait (plus the
// limiter's hold), with an error that is ErrOperationTimeLimit, never
// complete with rows missing.
func TestListChainRefusalBound(t *testing.T) {
	const maxWait = 3 * time.Minute
	for _, tc := range []struct {
		refusals, shards int
		fails            bool
	}{{3, 1, false}, {3, 3, false}, {1000, 1, true}, {1000, 3, true}} {
		t.Run(strconv.Itoa(tc.refusals)+" refusals, shards "+strconv.Itoa(tc.shards), func(t *testing.T) {
			portal(t, b24test.Seed{Deals: 3000}, func(t *testing.T, s *b24test.Server, h0 *b24.Hook) {
				p := h0.RestrictionParams()
				p.Retry.MaxRefusalWait = maxWait
				rt := &countRefusals{next: s.Client().Transport}
				h := s.Hook(b24.WithHTTPClient(&http.Client{Transport: rt}), b24.WithRestrictionParams(p))
				want := truth(t, h, deals, nil)
				s.FailNext("crm.deal.list", tc.refusals, b24test.FaultOperating)
				start := time.Now()
				got, rep, err := collect(t, h, deals, nil, b24.WithConcurrency(tc.shards))
				took := time.Since(start)
				if rt.n.Load() == 0 {
					t.Fatal("the portal refused no command: the test proves nothing")
				}
				if !tc.fails {
					if err != nil || rep.End != b24.ListComplete || len(got) != len(want) {
						t.Fatalf("err %v, %d of %d rows, report %+v", err, len(got), len(want), rep)
					}
					return
				}
				if !errors.Is(err, b24.ErrOperationTimeLimit) || rep.End == b24.ListComplete || rep.Err == nil || len(got) == len(want) {
					t.Fatalf("err %v (want ErrOperationTimeLimit), %d rows, report %+v", err, len(got), rep)
				}
				if limit := maxWait + p.Operating.Window; took > limit { // plus one hold of the limiter
					t.Fatalf("the walk took %v, want at most %v", took, limit)
				}
				t.Logf("%d refused, %d requests, took %v: %v", rt.n.Load(), rep.Requests, took, err)
			})
		})
	}
}
