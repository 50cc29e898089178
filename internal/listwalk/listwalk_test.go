package listwalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// fakeCaller is a REST v2 list of ids 1..n answered one page a call, with
// no HTTP: what the engine needs of a portal is its Caller.
type fakeCaller struct {
	n        int64
	ignoreID bool // a hostile portal that ignores the id filter
	calls    int
}

func (f *fakeCaller) V3() bool             { return false }
func (f *fakeCaller) Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }
func (f *fakeCaller) Pacing() Pacing       { return Pacing{} }

func (f *fakeCaller) Batch(context.Context, []Command) ([]Answer, int, error) {
	return nil, 1, errors.New("no batches here")
}

func (f *fakeCaller) Call(_ context.Context, method string, params any) (Page, error) {
	f.calls++
	after := int64(0)
	if filter, ok := params.(map[string]any)["filter"].(map[string]any); ok && !f.ignoreID {
		if v, ok := filter[">ID"].(int64); ok {
			after = v
		}
	}
	var rows []string
	for id := after + 1; id <= f.n && len(rows) < 50; id++ {
		rows = append(rows, fmt.Sprintf(`{"ID":"%d"}`, id))
	}
	return Page{Result: json.RawMessage("[" + strings.Join(rows, ",") + "]"), Requests: 1}, nil
}

// TestRunWithFakeCaller: a keyset walk driven through the Caller alone
// delivers every row once in id order and reports it; a portal that
// ignores the id filter ends the walk with an error, never a repeated row.
func TestRunWithFakeCaller(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		c        *fakeCaller
		rows     int
		calls    int
		end      End
		checkErr func(error) bool
	}{
		{"complete", &fakeCaller{n: 120}, 120, 3, Complete, func(err error) bool { return err == nil }},
		{"a full last page", &fakeCaller{n: 100}, 100, 3, Complete, func(err error) bool { return err == nil }},
		{"filter ignored", &fakeCaller{n: 120, ignoreID: true}, 50, 2, Failed, func(err error) bool {
			return errors.Is(err, ErrRowsOutOfOrder) || errors.Is(err, ErrCursorStalled)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rep Report
			var got []int64
			var failed error
			cfg := Config{Shards: 1, NoBatch: true, Report: &rep}
			Run(context.Background(), tc.c, "crm.deal.list", json.RawMessage(`{}`), cfg, func(rows []map[string]string) (int, bool) {
				for _, r := range rows {
					var id int64
					fmt.Sscan(r["ID"], &id)
					got = append(got, id)
				}
				return len(rows), true
			}, func(err error) { failed = err })
			if len(got) != tc.rows || tc.c.calls != tc.calls || rep.End != tc.end || !tc.checkErr(failed) || rep.Rows != int64(tc.rows) {
				t.Fatalf("%d rows in %d calls, end %v, err %v; want %d rows in %d calls, end %v", len(got), tc.c.calls, rep.End, failed, tc.rows, tc.calls, tc.end)
			}
			for i, id := range got {
				if id != int64(i+1) {
					t.Fatalf("row %d has id %d", i, id)
				}
			}
		})
	}
}
