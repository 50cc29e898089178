package reconcile

import (
	"encoding/json"
	"testing"

	"github.com/b24go/b24"
)

// FuzzKeyCreate: any method, params (JSON) and key are keyed or refused
// without a panic; a keyed create carries the key as keyOf reads it back,
// under the run's originator, and the caller's fields otherwise unchanged.
func FuzzKeyCreate(f *testing.F) {
	for _, s := range []struct{ method, params, key string }{
		{"crm.deal.add", `{"fields":{"TITLE":"x"}}`, "k1"},
		{"crm.item.add", `{"entityTypeId":1032,"fields":{"title":"x"}}`, "a:b"},
		{"crm.item.add", `{"entityTypeId":"2","fields":{"title":"x"}}`, "7"},
		{"crm.lead.add", `{"FIELDS":{"ORIGIN_ID":"1c"}}`, "k"},
		{"crm.contact.add", `{"fields":null}`, "k"},
		{"crm.company.add", `[1,2]`, "k"},
	} {
		f.Add(s.method, s.params, s.key)
	}
	f.Fuzz(func(t *testing.T, method, params, key string) {
		var p any
		if json.Unmarshal([]byte(params), &p) != nil {
			return
		}
		got, err := KeyCreate(b24.Cmd{Method: method, Params: p}, "run", key)
		if err != nil {
			return
		}
		kind, _, orig, k, err := keyOf(got)
		if err != nil {
			t.Fatalf("keyed %s %s, then: %v", method, params, err)
		}
		if kind.xmlID {
			if k != "b24:run:"+key {
				t.Fatalf("xmlId %q for key %q", k, key)
			}
		} else if k != key || orig != "b24:run" {
			t.Fatalf("key %q under %q for key %q", k, orig, key)
		}
		before, _ := foldGet(p.(map[string]any), "fields")
		after := got.Params.(map[string]any)["fields"].(map[string]any)
		added := map[bool]int{true: 1, false: 2}[kind.xmlID]
		if len(after) != len(before.(map[string]any))+added {
			t.Fatalf("fields %v became %v", before, after)
		}
	})
}
