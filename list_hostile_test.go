package b24_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

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
