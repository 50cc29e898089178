package dbsync

import (
	"slices"
	"strings"
	"testing"
)

// TestHints: the ids of an entity's events, once each, ascending; crm.item
// events only of its entityTypeId; malformed lines are errors.
func TestHints(t *testing.T) {
	in := `{"event":"ONCRMDEALUPDATE","entity":"CRMDEAL","action":"UPDATE","id":"7"}

{"event":"ONCRMDEALDELETE","entity":"CRMDEAL","action":"DELETE","id":"3"}
{"event":"ONCRMDEALUPDATE","entity":"CRMDEAL","action":"UPDATE","id":"7"}
{"event":"ONCRMCONTACTADD","entity":"CRMCONTACT","action":"ADD","id":"9"}
{"event":"ONCRMDYNAMICITEMUPDATE","entity":"CRMDYNAMICITEM","id":"4","data":{"FIELDS[ENTITY_TYPE_ID]":"1036"}}
{"event":"ONCRMDYNAMICITEMUPDATE","entity":"CRMDYNAMICITEM","id":"5","data":{"FIELDS[ENTITY_TYPE_ID]":"1040"}}
{"event":"ONCRMDEALUPDATE","entity":"CRMDEAL","id":"x"}
`
	evs, err := ReadEvents(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		entity string
		etid   int
		want   []int64
	}{{"crm.deal", 0, []int64{3, 7}}, {"crm.contact", 0, []int64{9}}, {"crm.item", 1036, []int64{4}}, {"user", 0, nil}} {
		if got := Hints(tt.entity, tt.etid, evs); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.entity, got, tt.want)
		}
	}
	if _, err := ReadEvents(strings.NewReader("{\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("malformed: %v", err)
	}
}

// TestHintsFetchedBetweenRuns: ids given as hints are fetched at the start
// of a run (even an edit the change walk would miss: here one made with a
// modification time before the watermark, as a restore has), and an id
// deleted since is no error.
func TestHintsFetchedBetweenRuns(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 40)
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		if _, err := db.SQL().Exec(`UPDATE crm_deal SET "TITLE" = 'stale' WHERE "ID" = 2`); err != nil {
			t.Fatal(err)
		}
		s.CallAs(1, "crm.deal.delete", map[string]any{"id": 3})
		rep := mustSync(t, db, h, Options{Entity: "crm.deal", Hints: []int64{2, 3}})
		if rep.Hinted != 1 {
			t.Errorf("hinted %d, want 1 (deal 3 is gone)", rep.Hinted)
		}
		sameDeals(t, db, h)
	})
}
