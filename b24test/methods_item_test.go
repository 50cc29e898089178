package b24test

import (
	"fmt"
	"testing"
)

func TestItemVectorsShape(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	out, _, _ := mustOK(t, ms, V2, "crm.item.get", `{"entityTypeId":1,"id":1}`, 0)
	sameShape(t, "crm.item.get", vector(t, "crm.item.get.json")["result"], out)
	out, _, c := mustOK(t, ms, V2, "crm.item.add", `{"entityTypeId":2,"fields":{"title":"New deal","opportunity":999.99,"contactIds":[4,5],"stageId":"PREPARATION"}}`, 0)
	sameShape(t, "crm.item.add", vector(t, "crm.item.add.json")["result"], out)
	item := out.(map[string]any)["item"].(map[string]any)
	if item["title"] != "New deal" || item["opportunity"] != 999.99 || fmt.Sprint(item["contactIds"]) != "[4 5]" || item["entityTypeId"] != 2.0 {
		t.Fatalf("added item %v", item)
	}
	id := int(item["id"].(float64))
	if len(c.write) != 1 || c.write[0] != (writeRef{"deal", id}) {
		t.Fatalf("audit %+v", c.write)
	}
	// the item is the same record as the legacy deal
	deal, _, _ := mustOK(t, ms, V2, "crm.deal.get", fmt.Sprintf(`{"id":%d}`, id), 0)
	if deal.(map[string]any)["TITLE"] != "New deal" || deal.(map[string]any)["OPPORTUNITY"] != "999.99" {
		t.Fatalf("legacy view %v", deal)
	}
	out, _, _ = mustOK(t, ms, V2, "crm.item.update", fmt.Sprintf(`{"entityTypeId":2,"id":%d,"fields":{"opportunity":10000}}`, id), 0)
	sameShape(t, "crm.item.update", vector(t, "crm.item.update.json")["result"], out)
	out, _, _ = mustOK(t, ms, V2, "crm.item.list", `{"entityTypeId":1,"select":["id","assignedById","stageId","opportunity","sourceId","title","name","lastName","isManualOpportunity"]}`, 0)
	sameShape(t, "crm.item.list", vector(t, "crm.item.list.json")["result"], out)
	out, _, _ = mustOK(t, ms, V2, "crm.item.fields", `{"entityTypeId":2}`, 0)
	sameShape(t, "crm.item.fields", map[string]any{"fields": map[string]any{"id": vector(t, "crm.item.fields.json")["result"].(map[string]any)["fields"].(map[string]any)["id"]}},
		map[string]any{"fields": map[string]any{"id": out.(map[string]any)["fields"].(map[string]any)["id"]}})
	out, _, _ = mustOK(t, ms, V2, "crm.item.delete", fmt.Sprintf(`{"entityTypeId":2,"id":%d}`, id), 0)
	if fmt.Sprint(out) != "[]" {
		t.Fatalf("delete result %v", out)
	}
}

func TestItemErrorsAndPaging(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	for _, tc := range []struct{ method, params, code, desc string }{
		{"crm.item.get", `{"entityTypeId":2,"id":99999}`, "NOT_FOUND", "Element not found"},
		{"crm.item.delete", `{"entityTypeId":2,"id":99999}`, "NOT_FOUND", "Item not found"},
		{"crm.item.add", `{"entityTypeId":1234,"fields":{}}`, "NOT_FOUND", "Smart process not found"},
		{"crm.item.list", `{"entityTypeId":2,"filter":{"FIELD":1}}`, "INVALID_ARG_VALUE", "Invalid filter: field 'FIELD' is not allowed in filter"},
	} {
		_, _, e, _ := invoke(t, ms, V2, tc.method, tc.params, 0)
		if e == nil || e.Code != tc.code || e.Description != tc.desc || e.status() != 400 {
			t.Errorf("%s %s: %+v", tc.method, tc.params, e)
		}
	}
	// start is an exact offset for crm.item; the keyset filter uses camelCase
	out, res, c := mustOK(t, ms, V2, "crm.item.list", `{"entityTypeId":2,"select":["id"],"order":{"id":"ASC"}}`, 73)
	items := out.(map[string]any)["items"].([]any)
	if len(items) != 47 || res.Total != 120 || res.Next != -1 || c.cost.skipped != 73 {
		t.Fatalf("offset 73: %d items total %d next %d cost %+v", len(items), res.Total, res.Next, c.cost)
	}
	first := items[0].(map[string]any)["id"].(float64)
	out, _, _ = mustOK(t, ms, V2, "crm.item.list", fmt.Sprintf(`{"entityTypeId":2,"select":["id"],"filter":{">id":%v}}`, first-1), -1)
	if got := out.(map[string]any)["items"].([]any)[0].(map[string]any)["id"]; got != first {
		t.Fatalf("keyset from %v gave %v", first-1, got)
	}
	// OR groups
	out, res, _ = mustOK(t, ms, V2, "crm.item.list", `{"entityTypeId":2,"select":["id"],"filter":{"0":{"logic":"OR","0":{"id":1},"1":{"id":2}}}}`, 0)
	if res.Total != 2 && res.Total != 1 {
		t.Fatalf("or group total %d (%v)", res.Total, out)
	}
}
