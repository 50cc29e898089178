package dbsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/b24go/b24"
	"github.com/b24go/b24/events/offline"
)

// Queue is an application's offline event queue, read at least once: an
// *offline.Consumer (package events/offline). DrainBatch hands each get's
// events to fn together and clears their records only after fn returned
// nil (a *offline.Rejected fails only the events it names).
type Queue interface {
	DrainBatch(ctx context.Context, fn offline.BatchFunc) (offline.Stats, error)
}

// errOtherEntity fails an event of another entity: its record is marked
// failed and stays in the queue for the sync of its own entity.
var errOtherEntity = errors.New("dbsync: an event of another entity")

// drainQueue applies the queue's events of the run's entity before the
// walks, a batch (one get: up to the consumer's Limit events) at a time:
// deletions deleted, changed ids fetched 50 a page and many pages a batch
// request, all in one transaction committed before fn returns, so the
// consumer clears the records only once the rows are in the database.
// Polling runs after it: the queue makes changes visible sooner (and
// those that do not move the change time); the walks stay the check.
func (r *run) drainQueue(ctx context.Context) error {
	if r.o.Queue == nil {
		return nil
	}
	if _, err := r.o.Queue.DrainBatch(ctx, r.applyEvents); err != nil {
		return fmt.Errorf("dbsync: offline queue: %w", err)
	}
	return nil
}

// applyEvents applies one batch of the queue's events. Per id the last
// event wins (queue order): a deletion deletes the row, any other event
// fetches it (a deal restored from the recycle bin comes back with its id).
// Events of another entity are rejected: marked failed, left for the sync
// of their own entity.
func (r *run) applyEvents(ctx context.Context, evs []offline.Event) error {
	var other []int
	last := map[int64]string{}
	var order []int64
	for i, e := range evs {
		id, ok := r.queueID(e)
		if !ok {
			other = append(other, i)
			continue
		}
		if _, seen := last[id]; !seen {
			order = append(order, id)
		}
		last[id] = e.Action
	}
	var del, chg []int64
	for _, id := range order {
		if last[id] == "DELETE" {
			del = append(del, id)
		} else {
			chg = append(chg, id)
		}
	}
	if err := r.applyQueued(ctx, del, chg); err != nil {
		return err
	}
	if len(other) > 0 {
		return &offline.Rejected{Index: other, Err: errOtherEntity}
	}
	return nil
}

// applyQueued deletes del and fetches chg in one transaction.
func (r *run) applyQueued(ctx context.Context, del, chg []int64) error {
	if len(del)+len(chg) == 0 {
		return nil
	}
	rows, err := r.fetchRows(ctx, chg, "queue")
	if err != nil {
		return err
	}
	tx, err := r.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { tx.Rollback() }()
	if err := r.deleteIn(ctx, tx, del); err != nil {
		return err
	}
	written := r.rep.Written
	if len(rows) > 0 {
		if _, err := r.write(ctx, tx, rows); err != nil {
			return err
		}
	}
	if _, err := r.commit(ctx, tx, 0, false, false); err != nil {
		return err
	}
	r.rep.Deleted += int64(len(del))
	r.rep.FromQueue += int64(len(del)) + r.rep.Written - written
	r.progress("queue")
	return nil
}

// fetchRows reads rows by id: 50 ids a page (user.get: one), the pages as
// the commands of batch requests (BatchByChunk: 50 a request). An id not
// found is left to the walks.
func (r *run) fetchRows(ctx context.Context, ids []int64, phase string) ([]row, error) {
	per := 50
	if r.e.name == "user" {
		per = 1
	}
	var cmds []b24.Cmd
	for k := 0; k < len(ids); k += per {
		var f any = ids[k:min(k+per, len(ids))]
		if per == 1 {
			f = ids[k]
		}
		cmds = append(cmds, b24.Cmd{Method: r.e.list, Params: r.e.withParams(map[string]any{
			"filter": map[string]any{r.e.idFilter: f}, "select": r.sel})})
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	res, err := r.api.BatchByChunk(ctx, cmds, b24.WithHalt(false))
	if err != nil {
		return nil, fmt.Errorf("dbsync: %s of %s: %w", phase, r.e.name, err)
	}
	var rows []row
	for _, c := range res.Commands {
		page, err := rowsOf(c.Result, r.e.rowsKey)
		if err != nil {
			return nil, err
		}
		rows = append(rows, page...)
	}
	return rows, nil
}

// queueID returns the id an event names when it is of the run's entity
// (crm.item: of its EntityTypeID, from the event's FIELDS.ENTITY_TYPE_ID).
func (r *run) queueID(e offline.Event) (int64, bool) {
	if eventEntities[e.Entity] != r.e.name {
		return 0, false
	}
	if r.e.name == "crm.item" {
		var d struct {
			Fields struct {
				EntityTypeID json.Number `json:"ENTITY_TYPE_ID"`
			} `json:"FIELDS"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Fields.EntityTypeID.String() != strconv.Itoa(r.o.EntityTypeID) {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(e.ID, 10, 64)
	return id, err == nil && id > 0
}
