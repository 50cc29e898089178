package dbsync

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestQueueFigure (B24_QUEUE_FIGURE=1; bench/README.md's re-sync
// paragraph): 20,000 deals synced into two SQLite databases, 200 changed
// and 20 deleted, then one re-synced with the offline queue (drained in
// batches, then the walks) and the other by polling alone; it logs each
// re-sync's requests and time (B24_QUEUE_FIGURE=polling-first: polling
// runs first).
func TestQueueFigure(t *testing.T) {
	if os.Getenv("B24_QUEUE_FIGURE") == "" {
		t.Skip("set B24_QUEUE_FIGURE=1")
	}
	s := fake(t, 20000)
	h, c := dealQueue(t, s)
	viaQueue := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "queue.db"))
	polling := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "poll.db"))
	mustSync(t, viaQueue, h, Options{Entity: "crm.deal", Queue: c})
	mustSync(t, polling, h, Options{Entity: "crm.deal"})
	var ids []int64
	for id := range portalDeals(t, h) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	spread := make([]int64, 220)
	for i := range spread {
		spread[i] = ids[i*(len(ids)/220)]
	}
	changeDeals(t, h, spread, 11, "changed")
	runs := []struct {
		name string
		db   *DB
		o    Options
	}{{"offline queue + walks", viaQueue, Options{Entity: "crm.deal", Queue: c}}, {"polling", polling, Options{Entity: "crm.deal"}}}
	if os.Getenv("B24_QUEUE_FIGURE") == "polling-first" { // the hook's request bucket favours the first
		runs[0], runs[1] = runs[1], runs[0]
	}
	for _, tc := range runs {
		before := s.Audit()
		rep := mustSync(t, tc.db, h, tc.o)
		t.Logf("%s: %d requests (%v), %s; %d written, %d deleted, %d from the queue",
			tc.name, rep.Requests, diffMethods(before, s.Audit()), rep.Duration, rep.Written, rep.Deleted, rep.FromQueue)
		sameDeals(t, tc.db, h)
	}
}
