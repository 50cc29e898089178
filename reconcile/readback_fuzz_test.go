package reconcile

import (
	"testing"
	"time"
)

// FuzzDecodeReadBackRows: any list answer decodes or fails without a
// panic, and a conflict needs both a modification time and a user.
func FuzzDecodeReadBackRows(f *testing.F) {
	for _, s := range []string{`[]`, `{"items":[{"id":1,"updatedTime":"2000-01-01T00:00:05+00:00","updatedBy":7}]}`,
		`[{"ID":"1","DATE_MODIFY":"2000-01-01T00:00:03+03:00","MODIFY_BY_ID":"1"}]`, `null`, `{"items":null}`, `[1,"x",null]`} {
		f.Add(s)
	}
	sent := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := decodeReadBackRows([]byte(s))
		if err != nil {
			return
		}
		for _, r := range rows {
			_, ok1 := foldGet(r, "DATE_MODIFY")
			_, ok2 := foldGet(r, "updatedTime")
			if changedByOther(r, sent, sent.Add(time.Hour), 1) && !ok1 && !ok2 {
				t.Fatalf("conflict without a modification time: %v", r)
			}
		}
	})
}

func TestChangedByOther(t *testing.T) {
	sent := time.Date(2000, 1, 1, 0, 0, 10, 500e6, time.UTC)
	read := time.Date(2000, 1, 1, 0, 1, 0, 700e6, time.UTC)
	for _, tc := range []struct {
		rec  map[string]any
		want bool
	}{
		{map[string]any{"DATE_MODIFY": "2000-01-01T03:00:10+03:00", "MODIFY_BY_ID": "7"}, true}, // same second, other zone
		{map[string]any{"DATE_MODIFY": "2000-01-01T00:00:09+00:00", "MODIFY_BY_ID": "7"}, false},
		{map[string]any{"DATE_MODIFY": "2000-01-01T00:01:00+00:00", "MODIFY_BY_ID": "1"}, false}, // the webhook's user
		{map[string]any{"updatedTime": "2000-01-01T00:01:00+00:00", "updatedBy": 7}, true},
		{map[string]any{"DATE_MODIFY": "2000-01-01T00:01:00+00:00"}, false},
		{map[string]any{"DATE_MODIFY": "", "MODIFY_BY_ID": "7"}, false},
		{map[string]any{"DATE_MODIFY": "garbage", "MODIFY_BY_ID": "7"}, false},
		{map[string]any{"DATE_MODIFY": "2000-01-01T00:01:01+00:00", "MODIFY_BY_ID": "7"}, true},  // the second after the read
		{map[string]any{"DATE_MODIFY": "2000-01-01T00:01:02+00:00", "MODIFY_BY_ID": "7"}, false}, // after the read: a clock ahead, seeded data
	} {
		if got := changedByOther(tc.rec, sent, read, 1); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.rec, got, tc.want)
		}
	}
}
