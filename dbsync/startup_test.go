package dbsync

import (
	"slices"
	"testing"
)

// TestResyncRequests: a re-sync after 1 % of the rows changed and 0.1 %
// were deleted costs ceil(changed/2,500) + ceil(ids/2,500) requests plus
// one: the start-up batch (server.time, fields and the probe of the change
// filter together), and walks that start with a whole chain instead of a
// range probe. Counted by the fake's audit. Before: 3 start-up requests and
// a probe per walk (8 here).
func TestResyncRequests(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		const changed, deleted = 50, 5
		s := fake(t, 5000)
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		var ids []int64
		for id := range portalDeals(t, h) {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		n := len(ids)
		for i := range changed {
			if _, err := s.CallAs(1, "crm.deal.update", map[string]any{"id": ids[i*97], "fields": map[string]any{"TITLE": "changed"}}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range deleted {
			if _, err := s.CallAs(1, "crm.deal.delete", map[string]any{"id": ids[i*997+1]}); err != nil {
				t.Fatal(err)
			}
		}
		before := s.Audit().Requests
		rep := mustSync(t, db, h, Options{Entity: "crm.deal"})
		sent := s.Audit().Requests - before
		want := (changed+2499)/2500 + (n-deleted+2499)/2500 + 1
		if rep.Mode != "changes" || rep.Deleted != deleted || rep.Written < changed {
			t.Fatalf("re-sync %+v", rep)
		}
		if sent != want || rep.Requests != int64(sent) {
			t.Fatalf("re-sync sent %d requests (report %d), want %d", sent, rep.Requests, want)
		}
		sameDeals(t, db, h)
	})
}
