package b24test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestFilterRefusedOnTheWire: a filter the fake cannot evaluate is an error naming
// it in each family's own shape, never every row.
func TestFilterRefusedOnTheWire(t *testing.T) {
	ms := methodsFor(t, Seed{Deals: 30, Tasks: 30})
	for _, tc := range []struct {
		api          API
		method, body string
		code, desc   string
	}{
		{V2, "crm.deal.list", `{"filter":{"NOPE":"1"}}`, "", "Invalid filter: field 'NOPE' is not allowed in filter"},
		{V2, "crm.deal.list", `{"filter":{">NOPE":"1"}}`, "", "field 'NOPE'"},
		{V2, "crm.deal.list", `{"filter":{"?TITLE":"a"}}`, "", `'?TITLE': unknown operator "?"`},
		{V2, "crm.deal.list", `{"filter":{">>OPPORTUNITY":"1"}}`, "", `unknown operator ">>"`},
		{V2, "crm.deal.list", `{"filter":{"><OPPORTUNITY":"100"}}`, "", "'><OPPORTUNITY': takes two values, got 1"},
		{V2, "crm.deal.list", `{"filter":{">=BEGINDATE":"yesterday"}}`, "", `"yesterday" is not a date`},
		{V2, "crm.deal.list", `{"filter":{"%STAGE_ID":"WON"}}`, "", "LIKE does not work on the crm_status field STAGE_ID"},
		{V2, "crm.contact.list", `{"filter":{"%=BIRTHDATE":"1990%"}}`, "", "LIKE does not work on the date field BIRTHDATE"},
		{V2, "crm.deal.list", `{"filter":{"<=DATE_CREATE":""}}`, "", "takes no empty date"},
		{V2, "crm.deal.list", `{"filter":{"0":{"LOGIC":"OR","NOPE":"1"}}}`, "", "field 'NOPE'"},
		{V2, "crm.item.list", `{"entityTypeId":2,"filter":{"NOPE":"1"}}`, "INVALID_ARG_VALUE", "Invalid filter: field 'NOPE' is not allowed in filter"},
		{V2, "crm.item.list", `{"entityTypeId":2,"filter":{"!><opportunity":[1]}}`, "INVALID_ARG_VALUE", "'!><opportunity': takes two values, got 1"},
		{V2, "crm.item.list", `{"entityTypeId":2,"filter":{"*title":"x"}}`, "INVALID_ARG_VALUE", `unknown operator "*"`},
		{V2, "crm.item.list", `{"entityTypeId":2,"filter":"abc"}`, "INVALID_ARG_VALUE", "Parameter 'filter' must be array."},
		{V2, "crm.deal.list", `{"filter":5}`, "", "Parameter 'filter' must be array."},
		{V2, "tasks.task.list", `{"filter":"abc"}`, "0", "Parameter 'filter' must be array."},
		{V2, "tasks.task.list", `{"filter":{"NOPE":"1"}}`, "0", "field 'NOPE'"},
		{V2, "tasks.task.list", `{"filter":{">DEADLINE":"soon"}}`, "0", `"soon" is not a date`},
		{V3, "tasks.task.list", `{"filter":[["deadline","between",["2026-01-01","someday"]]]}`, "INVALIDFILTEREXCEPTION", `"someday" is not a date`},
		{V3, "tasks.task.list", `{"filter":[["id",">",[1,2]]]}`, "INVALIDFILTEREXCEPTION", "takes one value, got 2"},
	} {
		t.Run(tc.method+" "+tc.body, func(t *testing.T) {
			out, _, e, _ := invoke(t, ms, tc.api, tc.method, tc.body, 0)
			if e == nil {
				t.Fatalf("answered %.200v, want an error", out)
			}
			code, desc := e.Code, e.Description
			if tc.api == V3 {
				code, desc = e.V3Code, e.V3Message
			}
			if e.Status != 400 || !strings.HasSuffix(code, tc.code) || tc.code == "" && code != "" || !strings.Contains(desc, tc.desc) {
				t.Fatalf("got %d %q %q, want 400 %q with %q", e.Status, code, desc, tc.code, tc.desc)
			}
		})
	}
}

// TestFilterBetweenOnTheWire: "><" and "!><" filter on the wire (they returned every row).
func TestFilterBetweenOnTheWire(t *testing.T) {
	ms := methodsFor(t, Seed{Deals: 45}) // one page
	all, _, _ := mustOK(t, ms, V2, "crm.deal.list", `{"select":["ID","OPPORTUNITY"],"order":{"ID":"ASC"}}`, -1)
	in, out := 0, 0
	for _, r := range all.([]any) {
		f, _ := strconv.ParseFloat(r.(map[string]any)["OPPORTUNITY"].(string), 64)
		if f >= 1000 && f <= 50000 {
			in++
		} else {
			out++
		}
	}
	for _, tc := range []struct {
		key  string
		want int
	}{{"><OPPORTUNITY", in}, {"!><OPPORTUNITY", out}} {
		got, _, _ := mustOK(t, ms, V2, "crm.deal.list", `{"select":["ID","OPPORTUNITY"],"order":{"ID":"ASC"},"filter":{"`+tc.key+`":[1000,50000]}}`, -1)
		rows := got.([]any)
		if len(rows) != tc.want || tc.want == 0 || tc.want == 45 {
			t.Fatalf("%s: %d rows, want %d", tc.key, len(rows), tc.want)
		}
		for _, r := range rows {
			f, _ := strconv.ParseFloat(r.(map[string]any)["OPPORTUNITY"].(string), 64)
			if (f >= 1000 && f <= 50000) != (tc.key == "><OPPORTUNITY") {
				t.Fatalf("%s: row with OPPORTUNITY %v", tc.key, f)
			}
		}
	}
}

// TestDateOnlyOnTheWire: a date-only value written through crm.deal.add reads back as
// that date at midnight in the portal's offset, in crm.deal.get and crm.item.get.
func TestDateOnlyOnTheWire(t *testing.T) {
	ms := methodsFor(t, Seed{Deals: 5})
	out, _, _ := mustOK(t, ms, V2, "crm.deal.add", `{"fields":{"TITLE":"d","BEGINDATE":"2026-12-06","CLOSEDATE":"06.12.2026"}}`, 0)
	id := fmt.Sprint(out)
	got, _, _ := mustOK(t, ms, V2, "crm.deal.get", `{"id":`+id+`}`, 0)
	item, _, _ := mustOK(t, ms, V2, "crm.item.get", `{"entityTypeId":2,"id":`+id+`}`, 0)
	for _, v := range []any{path(got, "BEGINDATE"), path(got, "CLOSEDATE"), path(item, "item", "begindate"), path(item, "item", "closedate")} {
		if v != "2026-12-06T00:00:00+02:00" {
			t.Errorf("date-only reads %v, want 2026-12-06T00:00:00+02:00", v)
		}
	}
	list, _, _ := mustOK(t, ms, V2, "crm.deal.list", `{"filter":{"BEGINDATE":"2026-12-06"},"select":["ID"]}`, 0)
	if rows := list.([]any); len(rows) != 1 || path(rows[0], "ID") != id {
		t.Errorf("filter BEGINDATE=2026-12-06: %v, want only %s", rows, id)
	}
}
