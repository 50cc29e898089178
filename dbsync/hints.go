package dbsync

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/b24go/b24/events"
)

// eventEntities maps an event's entity (ONCRMDEALUPDATE → CRMDEAL) to the
// entity a sync names.
var eventEntities = map[string]string{
	"CRMDEAL": "crm.deal", "CRMCONTACT": "crm.contact", "CRMCOMPANY": "crm.company", "CRMLEAD": "crm.lead",
	"CRMDYNAMICITEM": "crm.item", "TASK": "tasks.task", "USER": "user",
}

// Hints returns the ids that events name for an entity (crm.item: of its
// EntityTypeID, from data[FIELDS][ENTITY_TYPE_ID]), ascending and once
// each, for Options.Hints. Deletions are hints too: fetching a deleted id
// finds nothing, and the run's id walk removes it. Events prove nothing;
// polling stays the source of truth.
func Hints(entity string, entityTypeID int, evs []events.Event) []int64 {
	var ids []int64
	for _, e := range evs {
		if eventEntities[e.Entity] != entity {
			continue
		}
		if entity == "crm.item" && e.Data["FIELDS[ENTITY_TYPE_ID]"] != strconv.Itoa(entityTypeID) {
			continue
		}
		if id, err := strconv.ParseInt(e.ID, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// ReadEvents reads events as `b24 events listen` prints them (one JSON
// object a line); blank lines are skipped, a malformed line is an error
// naming it.
func ReadEvents(r io.Reader) ([]events.Event, error) {
	var out []events.Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxBody*2)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var e events.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return nil, fmt.Errorf("dbsync: events line %d: %w", n, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
