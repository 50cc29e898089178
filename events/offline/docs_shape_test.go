package offline

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// TestDecodeDocsShape: records as the REST docs show them. A record whose
// EVENT_DATA and EVENT_ADDITIONAL are false (PHP's empty value) is an
// event without an entity id, not a malformed record that stops the pass;
// list rows' PROCESS_ID and ERROR are ignored.
func TestDecodeDocsShape(t *testing.T) {
	b, err := os.ReadFile("testdata/get_answer_docs.json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		ProcessID *string     `json:"process_id"`
		Events    []wireEvent `json:"events"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.ProcessID != nil || len(res.Events) != 2 {
		t.Fatalf("process_id %v, %d events", res.ProcessID, len(res.Events))
	}
	want := []Event{
		{RecordID: 7, MessageID: "7", Name: "ONCRMLEADADD", Entity: "CRMLEAD", Action: "ADD",
			Time: time.Date(2026, 11, 2, 8, 15, 4, 0, time.UTC)},
		{RecordID: 8, MessageID: "f00dfeed", Name: "ONCRMDEALUPDATE", Entity: "CRMDEAL", Action: "UPDATE", ID: "42",
			Time: time.Date(2026, 11, 2, 8, 15, 5, 0, time.UTC), Data: json.RawMessage(`{"FIELDS": {"ID": "42"}}`), UserID: "3"},
	}
	for i, w := range res.Events {
		got, err := w.decode(false)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got.RecordID != want[i].RecordID || got.MessageID != want[i].MessageID || got.Name != want[i].Name ||
			got.Entity != want[i].Entity || got.Action != want[i].Action || got.ID != want[i].ID ||
			!got.Time.Equal(want[i].Time) || string(got.Data) != string(want[i].Data) || got.UserID != want[i].UserID {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
}
