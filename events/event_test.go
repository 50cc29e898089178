package events

import (
	"context"
	"errors"
	"testing"
)

var errGone = errors.New("not found")

// TestCurrent: found, deleted (the not-found error), another error, no id.
func TestCurrent(t *testing.T) {
	get := func(_ context.Context, id string) (string, error) {
		switch id {
		case "1":
			return "deal 1", nil
		case "2":
			return "", errGone
		}
		return "", errors.New("portal down")
	}
	cases := []struct {
		id, want  string
		found, ok bool
	}{
		{"1", "deal 1", true, true},
		{"2", "", false, true},
		{"3", "", false, false},
		{"", "", false, false},
	}
	for _, c := range cases {
		v, found, err := Current(context.Background(), Event{ID: c.id}, get, errGone)
		if v != c.want || found != c.found || (err == nil) != c.ok {
			t.Errorf("id %q: %q %v %v", c.id, v, found, err)
		}
	}
}

// TestSplit: entity, action and id from the event name and data.
func TestSplit(t *testing.T) {
	cases := []struct{ name, key, entity, action string }{
		{"ONCRMDEALUPDATE", "FIELDS[ID]", "CRMDEAL", "UPDATE"},
		{"ONCRMLEADDELETE", "FIELDS[ID]", "CRMLEAD", "DELETE"},
		{"ONTASKADD", "FIELDS_AFTER[ID]", "TASK", "ADD"},
		{"ONAPPINSTALL", "", "", ""},
	}
	for _, c := range cases {
		e := Event{Name: c.name, Data: map[string]string{c.key: "7"}}
		e.split()
		wantID := "7"
		if c.key == "" {
			wantID = ""
		}
		if e.Entity != c.entity || e.Action != c.action || e.ID != wantID {
			t.Errorf("%s: %q %q %q", c.name, e.Entity, e.Action, e.ID)
		}
	}
}
