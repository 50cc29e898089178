package offline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event is one record of the offline queue. A record stands for the last
// change of one entity by one event: changes made while it waited are merged
// into it (its Time is the last one's). CRM events carry only the entity's
// id: read its current state by ID.
type Event struct {
	RecordID  int64           `json:"record_id"`        // the record's ID in the queue
	MessageID string          `json:"message_id"`       // MESSAGE_ID: a hash of the event and its data
	Name      string          `json:"event"`            // ONCRMDEALUPDATE
	Entity    string          `json:"entity,omitempty"` // CRMDEAL (Name without ON and the action)
	Action    string          `json:"action,omitempty"` // ADD, UPDATE, DELETE, or "" when unknown
	ID        string          `json:"id,omitempty"`     // EVENT_DATA[FIELDS][ID] (or FIELDS_AFTER / FIELDS_BEFORE)
	Time      time.Time       `json:"time"`             // TIMESTAMP_X: the last change merged into the record
	Data      json.RawMessage `json:"data,omitempty"`   // EVENT_DATA as the portal sent it
	UserID    string          `json:"user_id,omitempty"`
	// Retry is true for a record that failed before (read with error=1).
	Retry bool `json:"retry,omitempty"`
}

// wireEvent is a record as event.offline.get answers it.
type wireEvent struct {
	ID         json.RawMessage `json:"ID"`
	Timestamp  string          `json:"TIMESTAMP_X"`
	Name       string          `json:"EVENT_NAME"`
	Data       json.RawMessage `json:"EVENT_DATA"`
	Additional json.RawMessage `json:"EVENT_ADDITIONAL"`
	MessageID  json.RawMessage `json:"MESSAGE_ID"`
}

// scalar returns a JSON string or number as text; "" for anything else.
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// decode checks a record and converts it: a positive integer ID and a
// message id are required (they are what clear and error name).
func (w wireEvent) decode(retry bool) (Event, error) {
	id, err := strconv.ParseInt(scalar(w.ID), 10, 64)
	if err != nil || id <= 0 {
		return Event{}, fmt.Errorf("offline: a record with ID %.40q", w.ID)
	}
	e := Event{RecordID: id, MessageID: scalar(w.MessageID), Name: strings.ToUpper(w.Name), Retry: retry}
	if e.MessageID == "" || len(e.MessageID) > 256 {
		return Event{}, fmt.Errorf("offline: record %d has no usable MESSAGE_ID", id)
	}
	if t, err := time.Parse(time.RFC3339, w.Timestamp); err == nil {
		e.Time = t
	}
	if d := bytes.TrimSpace(w.Data); len(d) > 0 && d[0] == '{' {
		e.Data = d
		var sections map[string]map[string]json.RawMessage
		if json.Unmarshal(d, &sections) == nil {
			for _, k := range []string{"FIELDS", "FIELDS_AFTER", "FIELDS_BEFORE"} {
				if v := scalar(sections[k]["ID"]); v != "" {
					e.ID = v
					break
				}
			}
		}
	}
	var add map[string]json.RawMessage
	if json.Unmarshal(w.Additional, &add) == nil {
		e.UserID = scalar(add["user_id"])
	}
	e.Entity, e.Action = split(e.Name)
	return e, nil
}

// split cuts ONCRMDEALUPDATE into CRMDEAL and UPDATE.
func split(name string) (entity, action string) {
	n := strings.TrimPrefix(name, "ON")
	for _, a := range []string{"ADD", "UPDATE", "DELETE"} {
		if e, ok := strings.CutSuffix(n, a); ok && e != "" {
			return e, a
		}
	}
	return "", ""
}
