package b24test

import (
	"fmt"
	"strings"
	"testing"
)

func TestTasksV2(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	out, _, c := mustOK(t, ms, V2, "tasks.task.add", `{"fields":{"TITLE":"task for test","RESPONSIBLE_ID":1}}`, 0)
	sameShape(t, "tasks.task.add", vector(t, "tasks.task.add.json")["result"], out)
	task := out.(map[string]any)["task"].(map[string]any)
	id := task["id"].(string)
	if task["title"] != "task for test" || task["status"] != "2" || len(c.write) != 1 || fmt.Sprint(c.write[0].ID) != id {
		t.Fatalf("added %v audit %+v", task, c.write)
	}
	out, _, _ = mustOK(t, ms, V2, "tasks.task.get", fmt.Sprintf(`{"taskId":%s,"select":["ID","TITLE","DESCRIPTION","CREATED_BY","RESPONSIBLE_ID","DEADLINE","UF_CRM_TASK"]}`, id), 0)
	got := out.(map[string]any)["task"].(map[string]any)
	// The 7 fields, plus the related objects of CREATED_BY and RESPONSIBLE_ID
	// (as tasks.task.get.json shows creator beside createdBy).
	_, hasCreator := got["creator"].(map[string]any)
	_, hasResponsible := got["responsible"].(map[string]any)
	if got["id"] != id || got["title"] != "task for test" || len(got) != 9 || !hasCreator || !hasResponsible {
		t.Fatalf("get with select: %v", got)
	}
	out, res, _ := mustOK(t, ms, V2, "tasks.task.list", `{"filter":{">=ID":1},"select":["ID","TITLE"]}`, 0)
	rows := out.(map[string]any)["tasks"].([]any)
	if res.Total != 61 || res.Next != 50 || len(rows) != 50 || rows[0].(map[string]any)["id"] != id {
		t.Fatalf("list: total %d next %d first %v", res.Total, res.Next, rows[0])
	}
	if _, _, e, _ := invoke(t, ms, V2, "tasks.task.list", `{"order":{"NOPE":"asc"}}`, 0); e == nil || e.Code != "0" || e.Description != "Invalid sorting key (internal error)" {
		t.Fatalf("bad order: %+v", e)
	}
	out, _, _ = mustOK(t, ms, V2, "tasks.task.update", fmt.Sprintf(`{"taskId":%s,"fields":{"TITLE":"renamed"}}`, id), 0)
	if out.(map[string]any)["task"].(map[string]any)["title"] != "renamed" {
		t.Fatalf("update: %v", out)
	}
	mustOK(t, ms, V2, "tasks.task.delete", fmt.Sprintf(`{"taskId":%s}`, id), 0)
	if _, _, e, _ := invoke(t, ms, V2, "tasks.task.get", fmt.Sprintf(`{"taskId":%s}`, id), 0); e == nil {
		t.Fatal("deleted task found")
	}
}

func TestTasksV3(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	sel := `"select":["` + strings.Join(v3Default, `","`) + `","responsible.name","responsible.email"]`
	out, _, _ := mustOK(t, ms, V3, "tasks.task.get", `{"id":1,`+sel+`}`, 0)
	sameShape(t, "v3 get", vector(t, "v3.tasks.task.get.json")["result"], out)
	out, _, _ = mustOK(t, ms, V3, "tasks.task.list", `{"select":["id","title","responsibleId","deadline","status"],"pagination":{"limit":3}}`, 0)
	sameShape(t, "v3 list", vector(t, "v3.tasks.task.list.json")["result"], out)
	out, _, c := mustOK(t, ms, V3, "tasks.task.add", `{"fields":{"title":"Task Title","deadline":"2026-01-01T00:59:59+03:00","status":"pending"}}`, 0)
	sameShape(t, "v3 add", vector(t, "v3.tasks.task.add.json")["result"], out)
	id := int(out.(map[string]any)["item"].(map[string]any)["id"].(float64))
	if len(c.write) != 1 || c.write[0].ID != id {
		t.Fatalf("audit %+v", c.write)
	}
	out, _, _ = mustOK(t, ms, V3, "tasks.task.update", fmt.Sprintf(`{"id":%d,"fields":{"title":"x"}}`, id), 0)
	sameShape(t, "v3 update", vector(t, "v3.tasks.task.update.json")["result"], out)
	out, _, _ = mustOK(t, ms, V3, "tasks.task.delete", fmt.Sprintf(`{"id":%d}`, id), 0)
	sameShape(t, "v3 delete", vector(t, "v3.tasks.task.delete.json")["result"], out)

	// filters, order, pagination
	out, _, _ = mustOK(t, ms, V3, "tasks.task.list", `{"filter":[["id","between",[3,9]],{"logic":"or","conditions":[["status","pending"],["status","!=","pending"]]}],"order":{"id":"DESC"},"select":["id"],"pagination":{"page":2,"limit":2}}`, 0)
	items := out.(map[string]any)["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"].(float64) >= 8 {
		t.Fatalf("filtered page: %v", items)
	}
	// tail walks all tasks by id
	last, seen := 0.0, 0
	for {
		out, _, _ := mustOK(t, ms, V3, "tasks.task.tail", fmt.Sprintf(`{"cursor":{"field":"id","value":%v,"order":"ASC","limit":25},"select":["id"]}`, last), 0)
		items := out.(map[string]any)["items"].([]any)
		for _, it := range items {
			v := it.(map[string]any)["id"].(float64)
			if v <= last {
				t.Fatal("tail went backwards")
			}
			last = v
		}
		seen += len(items)
		if len(items) < 25 {
			break
		}
	}
	if seen != 60 {
		t.Fatalf("tail saw %d tasks", seen)
	}
	for _, tc := range []struct{ method, params, code string }{
		{"tasks.task.get", `{"id":99999}`, "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION"},
		{"tasks.task.get", `{}`, "BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION"},
		{"tasks.task.list", `{"pagination":{"limit":"abc"}}`, "BITRIX_REST_V3_EXCEPTION_INVALIDPAGINATIONEXCEPTION"},
		{"tasks.task.list", `{"pagination":{"limit":1001}}`, "BITRIX_REST_V3_EXCEPTION_INVALIDPAGINATIONEXCEPTION"},
		{"tasks.task.list", `{"filter":[["id","like",1]]}`, "BITRIX_REST_V3_EXCEPTION_UNKNOWNFILTEROPERATOREXCEPTION"},
		{"tasks.task.list", `{"order":{"id":"UP"}}`, "BITRIX_REST_V3_EXCEPTION_INVALIDORDEREXCEPTION"},
		{"tasks.task.get", `{"id":1,"select":["responsible.stageId"]}`, "BITRIX_REST_V3_EXCEPTION_UNKNOWNDTOPROPERTYEXCEPTION"},
		{"tasks.task.add", `{"fields":{"title":"x","deadline":"soon"}}`, "BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION"},
		{"tasks.task.tail", `{"filter":[["id",">",3]]}`, "BITRIX_REST_V3_EXCEPTION_INVALIDFILTEREXCEPTION"},
	} {
		_, _, e, _ := invoke(t, ms, V3, tc.method, tc.params, 0)
		if e == nil || e.V3Code != tc.code || e.status() != 400 {
			t.Errorf("%s %s: %+v, want %s", tc.method, tc.params, e, tc.code)
		}
	}
	_, _, e, _ := invoke(t, ms, V3, "tasks.task.add", `{"fields":{"title":"x","deadline":"soon"}}`, 0)
	if len(e.Validation) != 1 || e.Validation[0].Field != "deadline" || e.Validation[0].Message != "Field `deadline` requires data type `DateTime` for this request" {
		t.Fatalf("validation %+v", e.Validation)
	}
	if msg := fmt.Sprint(e.V3Message); msg == "" {
		t.Fatal("empty message")
	}
}

// TestTaskAndUserFields: tasks.task.getFields answers result.fields by
// UPPER_SNAKE name with title and type (Y/N flags as an enum of Y and N,
// MATCH_WORK_TIME described as an integer though it holds Y/N, lists as
// array, no multiplicity), and user.fields answers titles only, as the
// official documentation shows them.
func TestTaskAndUserFields(t *testing.T) {
	ms := methodsFor(t, smallSeed())
	out, _, _ := mustOK(t, ms, V2, "tasks.task.getfields", `{}`, 0)
	f := out.(map[string]any)["fields"].(map[string]any)
	field := func(n string) map[string]any { m, _ := f[n].(map[string]any); return m }
	yn, _ := field("MULTITASK")["values"].(map[string]any)
	if field("ID")["type"] != "integer" || field("ID")["primary"] != true || field("CHANGED_DATE")["type"] != "datetime" ||
		field("MULTITASK")["type"] != "enum" || yn["Y"] == nil || yn["N"] == nil || len(yn) != 2 ||
		field("MATCH_WORK_TIME")["type"] != "integer" || field("AUDITORS")["type"] != "array" ||
		field("UF_CRM_TASK")["type"] != "crm" || field("TITLE")["title"] == nil {
		t.Fatalf("tasks.task.getFields: %v", f)
	}
	for _, m := range f {
		if _, ok := m.(map[string]any)["isMultiple"]; ok {
			t.Fatalf("tasks.task.getFields gives no multiplicity: %v", m)
		}
	}
	u, _ := path(v2(t, newTestServer(t), "user.fields", `{}`).body, "result").(map[string]any)
	if u["ID"] != "ID" || u["PERSONAL_BIRTHDAY"] != "Birthday" || len(u) < 20 {
		t.Fatalf("user.fields: %v", u)
	}
}
