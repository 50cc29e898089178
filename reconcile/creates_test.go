package reconcile

import (
	"errors"
	"strings"
	"testing"

	"github.com/b24go/b24"
)

// TestKeyCreate: the key scheme of each method, and what is refused.
func TestKeyCreate(t *testing.T) {
	long := strings.Repeat("k", MaxKeyLen)
	fields := func(kv ...any) map[string]any {
		m := map[string]any{"TITLE": "x"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name, method string
		params       map[string]any
		run, key     string
		want         map[string]any // fields added
		err          error
	}{
		{"deal", "crm.deal.add", map[string]any{"fields": fields()}, "j1", "row-1", map[string]any{"ORIGINATOR_ID": "b24:j1", "ORIGIN_ID": "row-1"}, nil},
		{"lead upper", "CRM.LEAD.ADD", map[string]any{"FIELDS": fields()}, "j1", "7", map[string]any{"ORIGINATOR_ID": "b24:j1", "ORIGIN_ID": "7"}, nil},
		{"contact", "crm.contact.add", map[string]any{"fields": fields()}, "j1", long, map[string]any{"ORIGIN_ID": long}, nil},
		{"item deal", "crm.item.add", map[string]any{"entityTypeId": 2, "fields": fields()}, "j1", "a", map[string]any{"originatorId": "b24:j1", "originId": "a"}, nil},
		{"smart", "crm.item.add", map[string]any{"entityTypeId": "1032", "fields": fields()}, "j1", "a", map[string]any{"xmlId": "b24:j1:a"}, nil},
		{"smart too long", "crm.item.add", map[string]any{"entityTypeId": 128, "fields": fields()}, "j1", long, nil, ErrBadKey},
		{"item quote", "crm.item.add", map[string]any{"entityTypeId": 7, "fields": fields()}, "j1", "a", nil, ErrNotKeyable},
		{"task", "tasks.task.add", map[string]any{"fields": fields()}, "j1", "a", nil, ErrNotKeyable},
		{"update", "crm.deal.update", map[string]any{"id": 1, "fields": fields()}, "j1", "a", nil, ErrNotKeyable},
		{"sets ORIGIN_ID", "crm.deal.add", map[string]any{"fields": fields("ORIGIN_ID", "1c-42")}, "j1", "a", nil, ErrBadKey},
		{"sets originatorId", "crm.company.add", map[string]any{"fields": fields("originatorId", "1c")}, "j1", "a", nil, ErrBadKey},
		{"sets xmlId", "crm.item.add", map[string]any{"entityTypeId": 128, "fields": fields("XML_ID", "x")}, "j1", "a", nil, ErrBadKey},
		{"empty key", "crm.deal.add", map[string]any{"fields": fields()}, "j1", "", nil, ErrBadKey},
		{"key too long", "crm.deal.add", map[string]any{"fields": fields()}, "j1", long + "k", nil, ErrBadKey},
		{"non-ASCII key", "crm.deal.add", map[string]any{"fields": fields()}, "j1", "ключ", nil, ErrBadKey},
		{"control key", "crm.deal.add", map[string]any{"fields": fields()}, "j1", "a\nb", nil, ErrBadKey},
		{"spaced key", "crm.deal.add", map[string]any{"fields": fields()}, "j1", " a", nil, ErrBadKey},
		{"bad run", "crm.deal.add", map[string]any{"fields": fields()}, "", "a", nil, ErrBadKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KeyCreate(b24.Cmd{Method: tc.method, Params: tc.params}, tc.run, tc.key)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := got.Params.(map[string]any)["fields"].(map[string]any)
			for k, v := range tc.want {
				if f[k] != v {
					t.Errorf("%s = %v, want %v", k, f[k], v)
				}
			}
			if f["TITLE"] != "x" {
				t.Errorf("the input's fields were lost: %v", f)
			}
			if _, _, _, key, err := keyOf(got); err != nil || !strings.HasSuffix(key, tc.key) {
				t.Errorf("keyOf: %q %v", key, err)
			}
			if orig := tc.params["fields"]; orig != nil && len(orig.(map[string]any)) != 1 {
				t.Errorf("the caller's fields were changed: %v", orig)
			}
		})
	}
}

// TestKeyCreatesDuplicates: keys equal ignoring case are refused before
// anything is keyed.
func TestKeyCreatesDuplicates(t *testing.T) {
	cmd := b24.Cmd{Method: "crm.deal.add", Params: map[string]any{"fields": map[string]any{"TITLE": "x"}}}
	cmds := []b24.Cmd{cmd, cmd, cmd}
	if _, err := KeyCreates(cmds, "j", []string{"a", "b", "A"}); !errors.Is(err, ErrDuplicateKey) || !strings.Contains(err.Error(), "0 and 2") {
		t.Errorf("duplicate keys: %v", err)
	}
	if _, err := KeyCreates(cmds, "j", []string{"a", "b"}); err == nil {
		t.Error("2 keys for 3 commands accepted")
	}
	got, err := KeyCreates(cmds, "j", []string{"a", "b", "c"})
	if err != nil || len(got) != 3 {
		t.Fatalf("%v %v", got, err)
	}
	if k, err := IdempotencyKey("j", "c"); k != "b24:j:c" || err != nil {
		t.Errorf("IdempotencyKey: %q %v", k, err)
	}
	if _, err := IdempotencyKey("j", strings.Repeat("k", MaxKeyLen)); !errors.Is(err, ErrBadKey) {
		t.Errorf("IdempotencyKey over 255: %v", err)
	}
}
