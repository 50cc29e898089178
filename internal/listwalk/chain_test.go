package listwalk

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/internal/php"
)

// TestChainResetAt: the wait before resending refused chained commands runs
// to the latest reset of the walk's method (the Caller has sanitised each),
// and ignores other methods and commands without one.
func TestChainResetAt(t *testing.T) {
	now := time.Unix(1_769_500_000, 0)
	for _, tc := range []struct {
		name string
		cmds []Answer
		want time.Time // zero: none
	}{
		{"none", nil, time.Time{}},
		{"no figure", []Answer{{Method: "crm.deal.list"}}, time.Time{}},
		{"latest", []Answer{{Method: "crm.deal.list", ResetAt: now.Add(30 * time.Second)}, {Method: "crm.deal.list", ResetAt: now.Add(90 * time.Second)}, {Method: "crm.deal.list"}}, now.Add(90 * time.Second)},
		{"other method", []Answer{{Method: "crm.lead.list", ResetAt: now.Add(90 * time.Second)}}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := chainResetAt(tc.cmds, "crm.deal.list")
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Fatalf("got %v %v, want %v", got, ok, tc.want)
			}
		})
	}
}

// TestChainCommandsPrepared: the query string of every chained page is
// the one its parameters encode to (php.Encode), and so is its JSON,
// whatever the caller's parameters, the order, the family and the bounds;
// a caller's value holding the placeholder leaves the pages unprepared.
func TestChainCommandsPrepared(t *testing.T) {
	for _, tc := range []struct {
		method, params string
		desc           bool
		sh             region
	}{
		{"crm.deal.list", `{"select":["ID","TITLE"],"filter":{"STAGE_ID":"C1:NEW"}}`, false, region{after: 10, hasAfter: true}},
		{"crm.deal.list", `{"select":["*","UF_*"],"filter":{">OPPORTUNITY":"100 & more=","%TITLE":"a[b]"}}`, true, region{end: 900, hasEnd: true}},
		{"crm.item.list", `{"entityTypeId":2,"select":["id"],"filter":{"title":"ü"}}`, false, region{after: 5, end: 80, hasAfter: true, hasEnd: true}},
		{"user.get", `{"FILTER":{"ACTIVE":"Y"}}`, false, region{}},
		{"tasks.task.list", `{"select":["ID"]}`, false, region{hasAfter: true, after: 1}},
		{"crm.deal.list", `{"filter":{"TITLE":"` + chainPlaceholder + `"}}`, false, region{}},
	} {
		t.Run(tc.method+tc.params, func(t *testing.T) {
			cfg := Config{Desc: tc.desc}
			q, err := newListQuery(false, tc.method, json.RawMessage(tc.params), cfg.family(false, tc.method), &cfg)
			if err != nil {
				t.Fatal(err)
			}
			w := &walk[json.RawMessage]{method: tc.method, q: q}
			cmds := chainCommands(w, &shard[json.RawMessage]{region: tc.sh}, chainLen)
			prepared := 0
			for i, c := range cmds {
				p, ok := c.Params.(php.Prepared)
				if !ok {
					continue
				}
				prepared++
				want, err := php.Encode(p.V)
				if err != nil || p.Query != want {
					t.Fatalf("page %d: query %q, its parameters encode to %q (%v)", i, p.Query, want, err)
				}
				got, _ := json.Marshal(c.Params)
				wantJSON, _ := json.Marshal(p.V)
				if string(got) != string(wantJSON) {
					t.Fatalf("page %d: JSON %s, want %s", i, got, wantJSON)
				}
			}
			want := chainLen - 1
			if strings.Contains(tc.params, chainPlaceholder) {
				want = 0
			}
			if prepared != want {
				t.Fatalf("%d pages prepared, want %d", prepared, want)
			}
		})
	}
}
