package dbsync

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events/offline"
)

// committedQueue wraps a consumer: when fn returns for a batch (the
// consumer clears the records it did not reject right after), it checks
// that each of their rows is already committed as the event says: present
// for an update, gone for a deletion, read on another connection.
type committedQueue struct {
	c    *offline.Consumer
	db   *DB
	mu   sync.Mutex
	errs []string
}

func (q *committedQueue) DrainBatch(ctx context.Context, fn offline.BatchFunc) (offline.Stats, error) {
	return q.c.DrainBatch(ctx, func(ctx context.Context, evs []offline.Event) error {
		err := fn(ctx, evs)
		rejected := map[int]bool{}
		var rej *offline.Rejected
		if errors.As(err, &rej) {
			for _, i := range rej.Index {
				rejected[i] = true
			}
		} else if err != nil {
			return err
		}
		for i, e := range evs {
			if !rejected[i] {
				q.check(ctx, e)
			}
		}
		return err
	})
}

func (q *committedQueue) check(ctx context.Context, e offline.Event) {
	var title sql.NullString
	qerr := q.db.SQL().QueryRowContext(ctx, `SELECT "TITLE" FROM crm_deal WHERE "ID" = `+q.db.d.placeholder(1), e.ID).Scan(&title)
	gone := errors.Is(qerr, sql.ErrNoRows)
	if e.Action == "DELETE" && !gone || e.Action != "DELETE" && (qerr != nil || title.String != "from the queue") {
		q.mu.Lock()
		q.errs = append(q.errs, e.Name+" "+e.ID+": acknowledged before its row was committed")
		q.mu.Unlock()
	}
}

// TestOfflineQueue: with an application's offline queue, a sync applies
// the queue's events of its entity (an update fetched, a deletion deleted),
// each committed before its record is cleared; an event of another entity
// stays in the queue for its own sync. Polling still runs after.
func TestOfflineQueue(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 30)
		h := s.AppHook("app.sync", "sync-secret")
		ctx := context.Background()
		for _, ev := range []string{"ONCRMDEALUPDATE", "ONCRMDEALDELETE", "ONCRMCONTACTUPDATE"} {
			if err := offline.Bind(ctx, h, offline.Binding{Event: ev, Offline: true}); err != nil {
				t.Fatal(err)
			}
		}
		db := openDB(t, url)
		c, err := offline.New(h, offline.Config{ProcessID: "b24sync.crm_deal", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		q := &committedQueue{c: c, db: db}
		mustSync(t, db, h, Options{Entity: "crm.deal", Queue: q})
		ids := []int64{}
		for id := range portalDeals(t, h) {
			ids = append(ids, id)
		}
		upd, del := ids[0], ids[1]
		call := func(method string, p map[string]any) {
			if _, err := h.V2().Call(ctx, method, p); err != nil {
				t.Fatal(err)
			}
		}
		call("crm.deal.update", map[string]any{"id": upd, "fields": map[string]any{"TITLE": "from the queue"}})
		call("crm.deal.delete", map[string]any{"id": del})
		call("crm.contact.update", map[string]any{"id": 2, "fields": map[string]any{"NAME": "other entity"}})
		if n := s.OfflineRecords(""); n != 3 {
			t.Fatalf("queue holds %d records, want 3", n)
		}
		rep := mustSync(t, db, h, Options{Entity: "crm.deal", Queue: q})
		if len(q.errs) > 0 {
			t.Fatal(q.errs)
		}
		if rep.FromQueue != 2 || rep.Deleted != 1 {
			t.Fatalf("report %+v: want 2 from the queue (1 deleted)", rep)
		}
		if n := s.OfflineRecords(""); n != 1 {
			t.Fatalf("queue holds %d records after the sync, want 1 (the contact's)", n)
		}
		sameDeals(t, db, h)
	})
}

// TestOfflineQueueRequests: 500 changed deals and 20 deleted ones via the
// queue cost a handful of requests (one get and one clear per 1,000
// records, 50 ids a page and 50 pages a batch request), not one a change;
// every row is committed before its record is cleared.
func TestOfflineQueueRequests(t *testing.T) {
	s := fake(t, 1000)
	h, c := dealQueue(t, s)
	db := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "sync.db"))
	q := &committedQueue{c: c, db: db}
	mustSync(t, db, h, Options{Entity: "crm.deal", Queue: q})
	var ids []int64
	for id := range portalDeals(t, h) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	changeDeals(t, h, ids[:520], 26, "from the queue")
	if n := s.OfflineRecords(""); n != 520 {
		t.Fatalf("queue holds %d records, want 520", n)
	}
	before := s.Audit()
	rep := mustSync(t, db, h, Options{Entity: "crm.deal", Queue: q})
	after := s.Audit()
	if len(q.errs) > 0 {
		t.Fatal(q.errs[:min(5, len(q.errs))])
	}
	if rep.FromQueue != 520 || rep.Deleted != 20 {
		t.Fatalf("report %+v: want 520 from the queue (20 deleted)", rep)
	}
	n := after.Requests - before.Requests
	t.Logf("re-sync with 500 changed and 20 deleted deals via the queue: %d requests (%v)", n, diffMethods(before, after))
	if n > 15 {
		t.Fatalf("%d requests for 520 queued events, want a handful", n)
	}
	if left := s.OfflineRecords(""); left != 0 {
		t.Fatalf("%d records left in the queue", left)
	}
	sameDeals(t, db, h)
}

// dealQueue binds the deal update and delete events offline on s and
// returns an application Hook and a consumer as b24 sync makes it (1,000
// records a get).
func dealQueue(t *testing.T, s *b24test.Server) (*b24.Hook, *offline.Consumer) {
	t.Helper()
	h := s.AppHook("app.sync", "sync-secret")
	for _, ev := range []string{"ONCRMDEALUPDATE", "ONCRMDEALDELETE"} {
		if err := offline.Bind(context.Background(), h, offline.Binding{Event: ev, Offline: true}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := offline.New(h, offline.Config{ProcessID: "b24-sync.crm.deal", Limit: 1000, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return h, c
}

// changeDeals updates the deals of ids (TITLE title), deleting one in
// every (the last of each run of every), in batches: the hook paces single
// calls.
func changeDeals(t *testing.T, h *b24.Hook, ids []int64, every int, title string) {
	t.Helper()
	var cmds []b24.Cmd
	for i, id := range ids {
		c := b24.Cmd{Method: "crm.deal.update", Params: map[string]any{"id": id, "fields": map[string]any{"TITLE": title}}}
		if i%every == every-1 {
			c = b24.Cmd{Method: "crm.deal.delete", Params: map[string]any{"id": id}}
		}
		cmds = append(cmds, c)
	}
	if _, err := h.V2().BatchByChunk(context.Background(), cmds); err != nil {
		t.Fatal(err)
	}
}

// diffMethods counts the requests by method between two audits.
func diffMethods(a, b b24test.Audit) map[string]int {
	out := map[string]int{}
	for m, st := range b.ByMethod {
		for code, n := range st {
			out[m] += n - a.ByMethod[m][code]
		}
		if out[m] == 0 {
			delete(out, m)
		}
	}
	return out
}
