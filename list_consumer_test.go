package b24_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

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
