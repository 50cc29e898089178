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

// TestAnswerRows: a page the batch split (Spans) gives the rows
// appendPageRows splits; spans that do not fit the result, a result key
// or a result that is not a list are split from the result itself.
func TestAnswerRows(t *testing.T) {
	page := json.RawMessage(`[{"ID":"1"}, {"ID":"2","T":"a,]"} ,{"ID":"3"}]`)
	want, err := appendPageRows(nil, page, "")
	if err != nil || len(want) != 3 {
		t.Fatalf("appendPageRows: %q, %v", want, err)
	}
	good := []uint32{1, 11, 13, 33, 35, 45}
	for _, tc := range []struct {
		name string
		a    Answer
	}{
		{"spans", Answer{Result: page, Spans: good}},
		{"no spans", Answer{Result: page}},
		{"past the end", Answer{Result: page, Spans: []uint32{1, 11, 13, 99}}},
		{"empty span", Answer{Result: page, Spans: []uint32{1, 1}}},
		{"odd", Answer{Result: page, Spans: []uint32{1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := answerRows([][]byte{[]byte("kept")}, &tc.a, "")
			if err != nil || len(got) != 4 || string(got[0]) != "kept" {
				t.Fatalf("answerRows = %q, %v", got, err)
			}
			for i := range want {
				if string(got[i+1]) != string(want[i]) {
					t.Fatalf("row %d = %s, want %s", i, got[i+1], want[i])
				}
			}
		})
	}
	// Spans are taken as given (the batch split them): different spans,
	// different rows, which shows they are used rather than a split.
	got, err := answerRows(nil, &Answer{Result: page, Spans: []uint32{2, 10}}, "")
	if err != nil || len(got) != 1 || string(got[0]) != `"ID":"1"` {
		t.Fatalf("answerRows with spans of one member = %q, %v", got, err)
	}
	// A result key: the rows are a member of the result, never spans.
	obj := Answer{Result: json.RawMessage(`{"tasks":[{"id":"1"}]}`), Spans: []uint32{0, 5}}
	if got, err := answerRows(nil, &obj, "tasks"); err != nil || len(got) != 1 || string(got[0]) != `{"id":"1"}` {
		t.Fatalf("answerRows with a key = %q, %v", got, err)
	}
}
