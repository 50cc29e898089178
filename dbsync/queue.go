package dbsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/b24go/b24/events/offline"
)

// Queue is an application's offline event queue, read at least once: an
// *offline.Consumer (package events/offline). Drain hands each event to fn
// and clears its record only after fn returned nil.
type Queue interface {
	Drain(ctx context.Context, fn offline.Func) (offline.Stats, error)
}

// errOtherEntity fails an event of another entity: its record is marked
// failed and stays in the queue for the sync of its own entity.
var errOtherEntity = errors.New("dbsync: an event of another entity")

// drainQueue applies the queue's events of the run's entity before the
// walks: a deletion deletes the row, any other event fetches the row by id.
// Each is committed before fn returns, so the consumer clears the record
// only once the row is in the database. Polling runs after it: the queue
// makes changes visible sooner (and those that do not move the change time);
// the walks stay the check.
func (r *run) drainQueue(ctx context.Context) error {
	if r.o.Queue == nil {
		return nil
	}
	_, err := r.o.Queue.Drain(ctx, func(ctx context.Context, e offline.Event) error {
		id, ok := r.queueID(e)
		if !ok {
			return errOtherEntity
		}
		before := r.rep.Deleted
		if e.Action == "DELETE" {
			err := r.deleteIDs(ctx, []int64{id})
			r.rep.FromQueue += r.rep.Deleted - before
			return err
		}
		return r.fetchChunk(ctx, []int64{id}, "queue", &r.rep.FromQueue)
	})
	if err != nil {
		return fmt.Errorf("dbsync: offline queue: %w", err)
	}
	return nil
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
