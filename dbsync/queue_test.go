package dbsync

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/b24go/b24/events/offline"
)

// committedQueue wraps a consumer: when fn returns nil for an event (the
// consumer clears its record right after), it checks that the row is
// already committed as the event says: present for an update, gone for a
// deletion, read on another connection.
type committedQueue struct {
	c    *offline.Consumer
	db   *DB
	mu   sync.Mutex
	errs []string
}

func (q *committedQueue) Drain(ctx context.Context, fn offline.Func) (offline.Stats, error) {
	return q.c.Drain(ctx, func(ctx context.Context, e offline.Event) error {
		err := fn(ctx, e)
		if err != nil {
			return err
		}
		var title sql.NullString
		qerr := q.db.SQL().QueryRowContext(ctx, `SELECT "TITLE" FROM crm_deal WHERE "ID" = `+q.db.d.placeholder(1), e.ID).Scan(&title)
		gone := errors.Is(qerr, sql.ErrNoRows)
		if e.Action == "DELETE" && !gone || e.Action != "DELETE" && (qerr != nil || title.String != "from the queue") {
			q.mu.Lock()
			q.errs = append(q.errs, e.Name+" "+e.ID+": acknowledged before its row was committed")
			q.mu.Unlock()
		}
		return nil
	})
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
