package reltest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// TargetTitle is the value the update soak writes into deal id.
func TargetTitle(seed uint64, id int) string { return fmt.Sprintf("soak %d deal %d", seed, id) }

// ReadTitles reads ID and TITLE of every deal with a keyset walk.
func ReadTitles(t testing.TB, ctx context.Context, h *b24.Hook) map[int]string {
	t.Helper()
	type row struct {
		ID    b24.ID `json:"ID"`
		Title string `json:"TITLE"`
	}
	out := map[int]string{}
	for _, r := range ReadAll(t, ctx, h, "crm.deal.list", []string{"ID", "TITLE"}, func(r row) int { return int(r.ID) }) {
		out[int(r.ID)] = r.Title
	}
	return out
}

// ReadAll reads every row of a v2 list one page a request by id (reads
// are retried by the SDK; a page that still fails is read again).
func ReadAll[T any](t testing.TB, ctx context.Context, h *b24.Hook, method string, sel []string, id func(T) int) []T {
	t.Helper()
	var out []T
	last := 0
	for {
		var rows []T
		var err error
		for try := 0; try < 10; try++ {
			rows, _, err = b24.CallAs[[]T](ctx, h.V2(), method, map[string]any{"order": map[string]any{"ID": "ASC"},
				"filter": map[string]any{">ID": last}, "select": sel, "start": -1})
			if err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("reading %s back: %v", method, err)
		}
		if len(rows) == 0 {
			return out
		}
		out = append(out, rows...)
		last = id(rows[len(rows)-1])
	}
}

// CreatedRecords counts the records of entity that the audit saw written,
// and fails when any was written more than once.
func CreatedRecords(t testing.TB, a b24test.Audit, entity string) int {
	t.Helper()
	n := 0
	for k, c := range a.Writes {
		if !strings.HasPrefix(k, entity+":") {
			continue
		}
		n++
		if c != 1 {
			t.Errorf("record %s written %d times", k, c)
		}
	}
	return n
}

// KeyedDeal is a deal created by an exactly-once add: its keys.
type KeyedDeal struct {
	ID         b24.ID `json:"ID"`
	Title      string `json:"TITLE"`
	Originator string `json:"ORIGINATOR_ID"`
	Origin     string `json:"ORIGIN_ID"`
}

// KeyedDeals reads every deal whose ORIGINATOR_ID is originator, by its
// ORIGIN_ID (several when a key was created more than once).
func KeyedDeals(t testing.TB, ctx context.Context, h *b24.Hook, originator string) map[string][]KeyedDeal {
	t.Helper()
	out := map[string][]KeyedDeal{}
	sel := []string{"ID", "TITLE", "ORIGINATOR_ID", "ORIGIN_ID"}
	for _, d := range ReadAll(t, ctx, h, "crm.deal.list", sel, func(d KeyedDeal) int { return int(d.ID) }) {
		if d.Originator == originator {
			out[d.Origin] = append(out[d.Origin], d)
		}
	}
	return out
}
