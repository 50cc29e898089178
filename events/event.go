package events

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Event is one verified event as the portal sent it, with auth stripped.
// CRM events name only the entity's id: read the current state by id
// (Current) instead of trusting the order or the count of events.
type Event struct {
	Seq        int64             `json:"seq"`              // position in the spool, set by Append
	Domain     string            `json:"domain"`           // auth[domain], lower case
	MemberID   string            `json:"member_id"`        // auth[member_id]
	Name       string            `json:"event"`            // ONCRMDEALUPDATE
	Entity     string            `json:"entity,omitempty"` // CRMDEAL (Name without ON and the action)
	Action     string            `json:"action,omitempty"` // ADD, UPDATE, DELETE, or "" when unknown
	ID         string            `json:"id,omitempty"`     // data[FIELDS][ID] (or FIELDS_AFTER / FIELDS_BEFORE)
	HandlerID  string            `json:"event_handler_id,omitempty"`
	TS         string            `json:"ts,omitempty"`        // when the queue server sent it (not when the change happened)
	Data       map[string]string `json:"data,omitempty"`      // every data[...] key sent, "FIELDS[ID]" → "5"
	ReceivedAt time.Time         `json:"received_at"`         // when this receiver spooled it
	Duplicate  bool              `json:"duplicate,omitempty"` // an identical request was spooled before
}

var actions = []string{"UPDATE", "DELETE", "ADD", "SET"}

// split fills Entity, Action and ID from Name and Data.
func (e *Event) split() {
	name := strings.TrimPrefix(e.Name, "ON")
	for _, a := range actions {
		if ent, ok := strings.CutSuffix(name, a); ok && ent != "" {
			e.Entity, e.Action = ent, a
			break
		}
	}
	for _, k := range []string{"FIELDS[ID]", "FIELDS_AFTER[ID]", "FIELDS_BEFORE[ID]"} {
		if id := e.Data[k]; id != "" {
			e.ID = id
			return
		}
	}
}

// Current re-reads the entity an event names, the one safe way to act on
// an event: events carry only the id, arrive out of order and may repeat.
// get fetches the entity by id; when its error matches notFound (for
// example b24.ErrNotFound), Current reports found == false (deleted).
func Current[T any](ctx context.Context, e Event, get func(ctx context.Context, id string) (T, error), notFound error) (v T, found bool, err error) {
	if e.ID == "" {
		return v, false, ErrNoID
	}
	v, err = get(ctx, e.ID)
	if err != nil {
		if notFound != nil && errors.Is(err, notFound) {
			var zero T
			return zero, false, nil
		}
		return v, false, err
	}
	return v, true, nil
}

// ErrNoID is returned by Current for an event that names no id.
var ErrNoID = errors.New("events: the event names no id")
