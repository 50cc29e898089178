package b24test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/internal/php"
)

// methodsFor builds the data families of one test server.
func methodsFor(t *testing.T, seed Seed) map[string]Method {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := &Data{Seed: seed.withDefaults(), Created: now, Location: time.FixedZone("", 7200), Clock: func() time.Time { return now }}
	out := map[string]Method{}
	for _, fam := range []Family{crmFamily, itemFamily, tasksFamily} {
		for _, m := range fam(d) {
			for _, api := range []APIVersions{V2, V3} {
				if m.API&api != 0 {
					out[api.String()+":"+m.Name] = m
				}
			}
		}
	}
	return out
}

// invoke runs a method with JSON parameters and returns the result as generic JSON.
func invoke(t *testing.T, ms map[string]Method, api APIVersions, name, params string, start int) (any, Result, *Error, *Call) {
	t.Helper()
	m, ok := ms[api.String()+":"+name]
	if !ok {
		t.Fatalf("method %s %s not registered", api, name)
	}
	p := php.NewArray()
	if params != "" {
		v, err := php.DecodeJSON([]byte(params))
		if err != nil {
			t.Fatalf("params %s: %v", params, err)
		}
		p = v.(*php.Array)
	}
	c := &Call{Method: name, API: api, Params: p, Start: start, UserID: 1}
	res, e := m.Handler(c)
	if e != nil {
		return nil, res, e, c
	}
	b, err := php.EncodeJSON(res.Value)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out, res, nil, c
}

func mustOK(t *testing.T, ms map[string]Method, api APIVersions, name, params string, start int) (any, Result, *Call) {
	t.Helper()
	out, res, e, c := invoke(t, ms, api, name, params, start)
	if e != nil {
		t.Fatalf("%s %s: %v", name, params, e)
	}
	return out, res, c
}

// vector returns the "result" (or the whole body for errors) of a vector.
func vector(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, file))
	if err != nil {
		t.Fatalf("vector: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func kind(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		if len(t) == 0 {
			return "empty"
		}
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// custom reports keys that differ between portals: custom fields and smart-process parents.
func custom(k string) bool {
	return strings.HasPrefix(k, "UF_") || strings.HasPrefix(k, "uf") || strings.HasPrefix(k, "PARENT_ID_") || strings.HasPrefix(k, "parentId")
}

// sameShape compares key sets and value types; null matches anything, an empty array
// matches an object or an array (PHP writes an empty map as []).
func sameShape(t *testing.T, path string, want, got any) {
	t.Helper()
	kw, kg := kind(want), kind(got)
	if kw == "null" || kg == "null" {
		return
	}
	if kw == "empty" || kg == "empty" {
		if (kw == "empty" || kw == "array" || kw == "object") && (kg == "empty" || kg == "array" || kg == "object") {
			return
		}
	}
	if kw != kg {
		t.Errorf("%s: want %s, got %s (%v)", path, kw, kg, got)
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		var missing, extra []string
		for k, v := range w {
			if custom(k) {
				continue
			}
			gv, ok := g[k]
			if !ok {
				missing = append(missing, k)
				continue
			}
			sameShape(t, path+"."+k, v, gv)
		}
		for k := range g {
			if _, ok := w[k]; !ok && !custom(k) {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing)+len(extra) > 0 {
			t.Errorf("%s: missing keys %v, extra keys %v", path, missing, extra)
		}
	case []any:
		sameShape(t, path+"[0]", w[0], got.([]any)[0])
	}
}

func smallSeed() Seed {
	return Seed{Seed: 11, Deals: 120, Leads: 30, Contacts: 40, Companies: 20, Tasks: 60}
}

func TestCRMVectorsShape(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	out, _, _ := mustOK(t, ms, V2, "crm.deal.get", `{"id":1}`, 0)
	sameShape(t, "crm.deal.get", vector(t, "crm.deal.get.json")["result"], out)

	// a contact with phones and e-mails
	var contact any
	for id := 1; id <= 40 && contact == nil; id++ {
		out, _, e, _ := invoke(t, ms, V2, "crm.contact.get", fmt.Sprintf(`{"ID":"%d"}`, id), 0)
		if e == nil && out.(map[string]any)["EMAIL"] != nil && out.(map[string]any)["PHONE"] != nil {
			contact = out
		}
	}
	if contact == nil {
		t.Fatal("no seeded contact has both phones and e-mails")
	}
	sameShape(t, "crm.contact.get", vector(t, "crm.contact.get.json")["result"], contact)

	for _, f := range []struct{ method, file string }{{"crm.deal.fields", "crm.deal.fields.json"}, {"crm.contact.fields", "crm.contact.fields.json"}} {
		out, _, _ := mustOK(t, ms, V2, f.method, "", 0)
		sameShape(t, f.method, vector(t, f.file)["result"], out)
	}

	// list with the vector's select
	out, res, _ := mustOK(t, ms, V2, "crm.deal.list", `{"select":["ID","TITLE","TYPE_ID","CATEGORY_ID","STAGE_ID","OPPORTUNITY","IS_MANUAL_OPPORTUNITY","ASSIGNED_BY_ID","DATE_CREATE"]}`, 0)
	sameShape(t, "crm.deal.list", vector(t, "crm.deal.list.json")["result"], out)
	if !res.List || res.Total != 120 || res.Next != 50 {
		t.Fatalf("list envelope: %+v", res)
	}
	out, _, _ = mustOK(t, ms, V2, "crm.contact.list", `{"select":["ID","NAME","LAST_NAME","EXPORT","ASSIGNED_BY_ID","DATE_CREATE","EMAIL"],"filter":{"!EMAIL":""}}`, 0)
	sameShape(t, "crm.contact.list", vector(t, "crm.contact.list.json")["result"], out)

	out, _, _ = mustOK(t, ms, V2, "crm.deal.add", `{"fields":{"TITLE":"x"}}`, 0)
	if kind(out) != "number" {
		t.Fatalf("add result %v", out)
	}
	for _, m := range []string{"crm.deal.update", "crm.contact.update"} {
		out, _, _ = mustOK(t, ms, V2, m, `{"id":2,"fields":{"COMMENTS":"c"}}`, 0)
		if out != true {
			t.Fatalf("%s result %v", m, out)
		}
	}
}

func TestCRMErrors(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	for _, tc := range []struct {
		method, params, desc string
	}{
		{"crm.deal.get", `{}`, "ID is not defined or invalid."},
		{"crm.deal.get", `{"id":"abc"}`, "ID is not defined or invalid."},
		{"crm.company.get", `{"id":99999}`, "Not found"},
		{"crm.deal.delete", `{"id":0}`, "ID is not defined or invalid."},
		{"crm.deal.delete", `{"id":99999}`, "Not found"},
		{"crm.deal.list", `{"filter":"x"}`, "Parameter 'filter' must be array."},
		{"crm.deal.list", `{"order":"x"}`, "Parameter 'order' must be array."},
		{"crm.deal.add", `{"fields":"x"}`, "Parameter 'fields' must be array."},
		{"crm.contact.update", `{"id":99999,"fields":{"NAME":"x"}}`, "Contact is not found"},
		{"crm.company.update", `{"id":99999,"fields":{"TITLE":"x"}}`, "Company is not found"},
	} {
		_, _, e, c := invoke(t, ms, V2, tc.method, tc.params, 0)
		if e == nil || e.Code != "" || e.Description != tc.desc || e.status() != 400 {
			t.Errorf("%s %s: %+v, want 400 %q", tc.method, tc.params, e, tc.desc)
		}
		if c.cost.writes != 0 || len(c.write) != 0 {
			t.Errorf("%s: failed call charged a write", tc.method)
		}
	}
}

func TestCRMListPagingAndCost(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	for _, tc := range []struct {
		start, rows, total, next, returned, counted, skipped int
	}{
		{0, 50, 120, 50, 50, 120, 0},
		{50, 50, 120, 100, 50, 120, 50},
		{73, 50, 120, 100, 50, 120, 50}, // rounded down to 50
		{100, 20, 120, -1, 20, 120, 100},
		{-1, 50, 0, -1, 50, 0, 0},
	} {
		out, res, c := mustOK(t, ms, V2, "crm.deal.list", `{"select":["ID"]}`, tc.start)
		rows := out.([]any)
		if len(rows) != tc.rows || res.Total != tc.total || res.Next != tc.next {
			t.Errorf("start %d: rows %d total %d next %d", tc.start, len(rows), res.Total, res.Next)
		}
		if c.cost.returned != tc.returned || c.cost.counted != tc.counted || c.cost.skipped != tc.skipped {
			t.Errorf("start %d: cost %+v", tc.start, c.cost)
		}
		if len(rows[0].(map[string]any)) != 1 {
			t.Errorf("select ID gave %v", rows[0])
		}
	}
	// keyset walk with start=-1 visits every deal once, ids ascending
	last, seen := "0", 0
	for {
		out, res, _ := mustOK(t, ms, V2, "crm.deal.list", `{"order":{"ID":"ASC"},"filter":{">ID":`+last+`},"select":["ID"]}`, -1)
		rows := out.([]any)
		if res.Total != 0 || res.Next != -1 {
			t.Fatalf("start=-1 gave total %d next %d", res.Total, res.Next)
		}
		seen += len(rows)
		if len(rows) < 50 {
			break
		}
		last = rows[49].(map[string]any)["ID"].(string)
	}
	if seen != 120 {
		t.Fatalf("keyset walk saw %d deals", seen)
	}
	// filter, order and select spellings
	out, _, _ := mustOK(t, ms, V2, "crm.deal.list", `{"select":["ID"]}`, 0)
	first := out.([]any)
	a, b, cc := first[2].(map[string]any)["ID"], first[4].(map[string]any)["ID"], first[6].(map[string]any)["ID"]
	out, res, _ := mustOK(t, ms, V2, "crm.deal.list", fmt.Sprintf(`{"FILTER":{"@ID":[%s,%s,%s],"!ID":%s},"ORDER":{"ID":"DESC"},"SELECT":["TITLE","NOPE"]}`, a, b, cc, b), 0)
	rows := out.([]any)
	if res.Total != 2 || rows[0].(map[string]any)["ID"] != cc || rows[1].(map[string]any)["ID"] != a || len(rows[0].(map[string]any)) != 2 {
		t.Fatalf("filtered list: %v", out)
	}
	// select UF_* and *
	out, _, _ = mustOK(t, ms, V2, "crm.deal.list", `{"select":["UF_*"],"filter":{"ID":1}}`, 0)
	for k := range out.([]any)[0].(map[string]any) {
		if k != "ID" && !strings.HasPrefix(k, "UF_") {
			t.Fatalf("UF_* selected %s", k)
		}
	}
}

func TestCRMWritesAndAudit(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	out, _, c := mustOK(t, ms, V2, "crm.contact.add", `{"FIELDS":{"NAME":"Ann","PHONE":[{"VALUE":"+491","VALUE_TYPE":"WORK"}],"NOPE":1}}`, 0)
	id := int(out.(float64))
	if len(c.write) != 1 || c.write[0] != (writeRef{Entity: "contact", ID: id}) || c.cost.writes != 1 {
		t.Fatalf("add audit %+v", c.write)
	}
	got, _, _ := mustOK(t, ms, V2, "crm.contact.get", fmt.Sprintf(`{"id":%d}`, id), 0)
	phones := got.(map[string]any)["PHONE"].([]any)
	ph := phones[0].(map[string]any)
	if len(phones) != 1 || ph["VALUE"] != "+491" || ph["TYPE_ID"] != "PHONE" || got.(map[string]any)["HAS_PHONE"] != "Y" {
		t.Fatalf("contact after add: %v", got)
	}
	// update a phone by id, add a second, then delete the first
	mustOK(t, ms, V2, "crm.contact.update", fmt.Sprintf(`{"id":%d,"fields":{"PHONE":[{"ID":"%s","VALUE":"+492"},{"VALUE":"+493"}]}}`, id, ph["ID"]), 0)
	mustOK(t, ms, V2, "crm.contact.update", fmt.Sprintf(`{"id":%d,"fields":{"PHONE":[{"ID":"%s","DELETE":"Y"}]}}`, id, ph["ID"]), 0)
	got, _, _ = mustOK(t, ms, V2, "crm.contact.get", fmt.Sprintf(`{"id":%d}`, id), 0)
	phones = got.(map[string]any)["PHONE"].([]any)
	if len(phones) != 1 || phones[0].(map[string]any)["VALUE"] != "+493" {
		t.Fatalf("phones after updates: %v", phones)
	}
	_, _, c = mustOK(t, ms, V2, "crm.contact.delete", fmt.Sprintf(`{"id":%d}`, id), 0)
	if len(c.write) != 1 || c.write[0].ID != id {
		t.Fatalf("delete audit %+v", c.write)
	}
	if _, _, e, _ := invoke(t, ms, V2, "crm.contact.get", fmt.Sprintf(`{"id":%d}`, id), 0); e == nil {
		t.Fatal("deleted contact still found")
	}
}

// foundIDs runs a list and returns the ids of its rows (legacy or crm.item).
func foundIDs(t *testing.T, ms map[string]Method, name, params string) []string {
	t.Helper()
	out, _, _ := mustOK(t, ms, V2, name, params, 0)
	var rows []any
	switch v := out.(type) {
	case []any:
		rows = v
	case map[string]any:
		rows, _ = v["items"].([]any)
	}
	var ids []string
	for _, r := range rows {
		m := r.(map[string]any)
		id, ok := m["ID"]
		if !ok {
			id = m["id"]
		}
		ids = append(ids, fmt.Sprint(id))
	}
	slices.Sort(ids)
	return ids
}

// TestOriginKeysFilterable: the keys of exactly-once creates are stored and
// found by list filters, one value or a list (@, or an array): ORIGINATOR_ID
// and ORIGIN_ID on leads, deals, contacts and companies, xmlId on a smart
// process's items.
func TestOriginKeysFilterable(t *testing.T) {
	ms := methodsFor(t, Seed{Deals: 5, Leads: 5, Contacts: 5, Companies: 5})
	for _, e := range []string{"lead", "deal", "contact", "company"} {
		t.Run(e, func(t *testing.T) {
			var ids []string
			for i, key := range []string{"k1", "k2", "k3"} {
				orig := "b24:j1"
				if i == 2 {
					orig = "1c" // another connector's record with the same ORIGIN_ID
				}
				out, _, _ := mustOK(t, ms, V2, "crm."+e+".add", fmt.Sprintf(`{"fields":{"TITLE":"x","NAME":"x","ORIGINATOR_ID":%q,"ORIGIN_ID":%q}}`, orig, key), -1)
				ids = append(ids, fmt.Sprint(out))
			}
			for _, tc := range []struct {
				filter string
				want   []string
			}{
				{`{"ORIGINATOR_ID":"b24:j1","ORIGIN_ID":"k2"}`, ids[1:2]},
				{`{"ORIGINATOR_ID":"b24:j1","@ORIGIN_ID":["k1","k2","k3","none"]}`, ids[:2]},
				{`{"=ORIGINATOR_ID":"b24:j1","ORIGIN_ID":["k3"]}`, nil},
				{`{"ORIGINATOR_ID":"1c","@ORIGIN_ID":["k3"]}`, ids[2:]},
				{`{"ORIGINATOR_ID":"b24:j2"}`, nil},
			} {
				got := foundIDs(t, ms, "crm."+e+".list", `{"filter":`+tc.filter+`,"select":["ID","ORIGIN_ID"]}`)
				if want := slices.Sorted(slices.Values(tc.want)); !slices.Equal(got, want) {
					t.Errorf("filter %s: ids %v, want %v", tc.filter, got, want)
				}
			}
		})
	}
	t.Run("smart", func(t *testing.T) {
		var ids []string
		for _, key := range []string{"b24:j1:a", "b24:j1:b"} {
			out, _, _ := mustOK(t, ms, V2, "crm.item.add", fmt.Sprintf(`{"entityTypeId":128,"fields":{"title":"x","xmlId":%q}}`, key), -1)
			it := out.(map[string]any)["item"].(map[string]any)
			if it["xmlId"] != key || it["entityTypeId"] != float64(128) {
				t.Fatalf("added item %v", it)
			}
			ids = append(ids, fmt.Sprint(it["id"]))
		}
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			{`{"xmlId":"b24:j1:b"}`, ids[1:]},
			{`{"@xmlId":["b24:j1:a","b24:j1:b","x"]}`, ids},
			{`{"xmlId":"b24:j1"}`, nil},
		} {
			got := foundIDs(t, ms, "crm.item.list", `{"entityTypeId":128,"filter":`+tc.filter+`,"select":["id","xmlId"]}`)
			if !slices.Equal(got, tc.want) {
				t.Errorf("filter %s: ids %v, want %v", tc.filter, got, tc.want)
			}
		}
	})
}

// TestFilterRefusedOnTheWire: a filter the fake cannot evaluate is an error naming
// it in each family's own shape, never every row.
func TestFilterRefusedOnTheWire(t *testing.T) {
	ms := methodsFor(t, Seed{Deals: 30, Tasks: 30})
	for _, tc := range []struct {
		api          APIVersions
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
