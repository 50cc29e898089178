package b24test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestBatchV2(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, r resp)
	}{
		{"map with references", `{"halt":0,"cmd":{
			"list":"test.list?start=0",
			"one":"test.echo?id=$result[list][49][ID]&n=$next[list]&t=$total[list]&p=x$result[list][0][ID]y",
			"whole":"test.echo?rows=$result[list][1]",
			"miss":"test.echo?v=$result[nope][0]&w=$result[list][999][ID]",
			"arr":"test.echo?v=a$result[list][1]b",
			"err":"test.fail",
			"errref":"test.echo?e=$error[err][error_description]&tm=$time[list][processing]"}}`,
			func(t *testing.T, r resp) {
				res := func(k ...string) any { return path(r.body, append([]string{"result", "result"}, k...)...) }
				if got := res("one", "params", "id"); got != "50" {
					t.Errorf("$result: %v", got)
				}
				if got := fmt.Sprint(res("one", "params", "n")); got != "50" {
					t.Errorf("$next: %v", got)
				}
				if got := fmt.Sprint(res("one", "params", "t")); got != "120" {
					t.Errorf("$total: %v", got)
				}
				if got := res("one", "params", "p"); got != "x1y" {
					t.Errorf("embedded: %v", got)
				}
				if got := res("whole", "params", "rows", "ID"); got != "2" {
					t.Errorf("whole array: %v", got)
				}
				if got := res("miss", "params", "v"); got != "$result[nope][0]" {
					t.Errorf("unresolved: %v", got)
				}
				if got := res("miss", "params", "w"); got != "$result[list][999][ID]" {
					t.Errorf("unresolved path: %v", got)
				}
				if got := res("arr", "params", "v"); got != "a$result[list][1]b" {
					t.Errorf("embedded array: %v", got)
				}
				if got := res("errref", "params", "e"); got != "Record with ID = `2` not found" {
					t.Errorf("$error: %v", got)
				}
				if got := fmt.Sprint(res("errref", "params", "tm")); got != "0" {
					t.Errorf("$time: %v", got)
				}
				if got := path(r.body, "result", "result_error", "err", "error"); got != "ENTITYNOTFOUNDEXCEPTION" {
					t.Errorf("result_error: %v", got)
				}
				if _, ok := path(r.body, "result", "result_time").(map[string]any)["err"]; ok {
					t.Errorf("failed command has a result_time entry")
				}
				if got := path(r.body, "result", "result_total", "list"); fmt.Sprint(got) != "120" {
					t.Errorf("result_total: %v", got)
				}
				if got := path(r.body, "result", "result_next", "list"); fmt.Sprint(got) != "50" {
					t.Errorf("result_next: %v", got)
				}
			}},
		{"list cmd, halt stops", `{"halt":1,"cmd":["test.echo","test.fail","test.echo"]}`,
			func(t *testing.T, r resp) {
				if got := string(mustJSON(t, mustJSON(t, r.raw, "result"), "result_error")); !strings.HasPrefix(got, `{"1":`) {
					t.Errorf("result_error %s", got)
				}
				if res, ok := path(r.body, "result", "result").([]any); !ok || len(res) != 1 {
					t.Errorf("list batch result should be an array of 1: %s", r.raw)
				}
			}},
		{"list cmd, first fails: object", `{"cmd":["test.fail","test.echo"]}`,
			func(t *testing.T, r resp) {
				if got := string(mustJSON(t, mustJSON(t, r.raw, "result"), "result")); !strings.HasPrefix(got, `{"1":`) {
					t.Errorf("result %s", got)
				}
			}},
		{"empty sections are []", `{"cmd":{"a":"test.echo"}}`,
			func(t *testing.T, r resp) {
				inner := mustJSON(t, r.raw, "result")
				if got := orderedKeys(t, inner); !slices.Equal(got, []string{"result", "result_error", "result_total", "result_next", "result_time"}) {
					t.Errorf("sections %v", got)
				}
				for _, k := range []string{"result_error", "result_total", "result_next"} {
					if got := string(mustJSON(t, inner, k)); got != "[]" {
						t.Errorf("%s = %s", k, got)
					}
				}
			}},
		{"nested batch and unknown method", `{"CMD":{"b":"batch?cmd[x]=profile","u":"no.such"}}`,
			func(t *testing.T, r resp) {
				if got := path(r.body, "result", "result_error", "b", "error"); got != "ERROR_BATCH_METHOD_NOT_ALLOWED" {
					t.Errorf("nested: %v", got)
				}
				if got := path(r.body, "result", "result_error", "u", "error"); got != "ERROR_METHOD_NOT_FOUND" {
					t.Errorf("unknown: %v", got)
				}
			}},
		{"non-string commands skipped", `{"cmd":{"a":["x"],"b":"test.echo"}}`,
			func(t *testing.T, r resp) {
				if _, ok := path(r.body, "result", "result").(map[string]any)["a"]; ok {
					t.Errorf("a ran")
				}
				if path(r.body, "result", "result", "b") == nil {
					t.Errorf("b did not run")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v2(t, s, "batch", tt.body)
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			tt.check(t, r)
		})
	}
}

func TestBatchV2Length(t *testing.T) {
	s := newTestServer(t)
	var cmds []string
	for i := 0; i < 53; i++ {
		cmds = append(cmds, fmt.Sprintf(`"c%d":"test.echo?i=%d"`, i, i))
	}
	r := v2(t, s, "batch", `{"cmd":{`+strings.Join(cmds, ",")+`}}`)
	res, _ := path(r.body, "result", "result").(map[string]any)
	errs, _ := path(r.body, "result", "result_error").(map[string]any)
	if len(res) != 50 || len(errs) != 3 {
		t.Fatalf("%d results, %d errors; want 50 and 3", len(res), len(errs))
	}
	for _, k := range []string{"c50", "c51", "c52"} {
		if got := path(errs, k, "error"); got != "ERROR_BATCH_LENGTH_EXCEEDED" {
			t.Errorf("%s: %v", k, got)
		}
	}
	if a := s.Audit(); a.Commands["test.echo"] != 50 || a.Requests != 1 {
		t.Errorf("audit commands %v, requests %d", a.Commands, a.Requests)
	}
}

func TestBatchV2Form(t *testing.T) {
	// In a form body the command strings are URL-encoded once more.
	s := newTestServer(t)
	form := url.Values{}
	form.Set("cmd[a]", "test.echo?"+url.Values{"x": {"a&b"}}.Encode())
	form.Set("halt", "0")
	r := do(t, s, "POST", s.WebhookURL()+"batch", "application/x-www-form-urlencoded", form.Encode())
	if got := path(r.body, "result", "result", "a", "params", "x"); got != "a&b" {
		t.Fatalf("x = %v: %s", got, r.raw)
	}
}

// TestBatchV2CommandFragment: the portal splits a command with parse_url,
// so a "#" ends its query string (the rest is the fragment, never parsed).
// The fake used to parse "x=1#f" as x = "1#f" and read y.
func TestBatchV2CommandFragment(t *testing.T) {
	s := newTestServer(t)
	body := `{"halt":0,"cmd":{"a":"test.echo?x=1#f&y=2","b":"test.echo?x=%231"}}`
	r := do(t, s, "POST", s.WebhookURL()+"batch", "application/json", body)
	if got := path(r.body, "result", "result", "a", "params", "x"); got != "1" {
		t.Errorf("x = %v: %s", got, r.raw)
	}
	if got := path(r.body, "result", "result", "a", "params", "y"); got != nil {
		t.Errorf("y = %v, want none (in the fragment): %s", got, r.raw)
	}
	if got := path(r.body, "result", "result", "b", "params", "x"); got != "#1" {
		t.Errorf("escaped x = %v: %s", got, r.raw)
	}
}

// TestBatchV2CommandInputVars: parse_str reads the first max_input_vars
// (1000) pairs of a command's query; the rest is dropped. The fake read
// them all, so a batch command of 1001 values looked like Call.
func TestBatchV2CommandInputVars(t *testing.T) {
	s := newTestServer(t)
	var q strings.Builder
	for i := range 1001 {
		fmt.Fprintf(&q, "&x[]=%d", i)
	}
	body := `{"halt":0,"cmd":{"a":"test.echo?` + q.String()[1:] + `&y=1"}}`
	r := do(t, s, "POST", s.WebhookURL()+"batch", "application/json", body)
	x, _ := path(r.body, "result", "result", "a", "params", "x").([]any)
	if len(x) != 1000 || path(r.body, "result", "result", "a", "params", "y") != nil {
		t.Errorf("%d values of x read, y = %v; want 1000 and none", len(x), path(r.body, "result", "result", "a", "params", "y"))
	}
	// The same in the request's own query string.
	r = do(t, s, "GET", s.WebhookURL()+"test.echo?"+q.String()[1:]+"&y=1", "", "")
	x, _ = path(r.body, "result", "params", "x").([]any)
	if len(x) != 1000 || path(r.body, "result", "params", "y") != nil {
		t.Errorf("query string: %d values of x read; want 1000", len(x))
	}
}

func TestBatchV3(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name, body string
		status     int
		check      func(t *testing.T, r resp)
	}{
		{"refs", `[{"method":"test.add","as":"a"},{"method":"test.list","as":"l"},
			{"method":"test.echo","query":{"id":{"$ref":"a.item.id"},"ids":{"$refArray":"l.ID"},"plain":[1,{"k":"v"}]}}]`, 200,
			func(t *testing.T, r resp) {
				if got := fmt.Sprint(path(r.body, "result", "0", "params", "id")); got != "101" {
					t.Errorf("$ref = %v (%s)", got, r.raw)
				}
				ids, _ := path(r.body, "result", "0", "params", "ids").([]any)
				if len(ids) != 50 || ids[0] != "1" {
					t.Errorf("$refArray = %v", ids)
				}
				if path(r.body, "result", "a", "item", "id") == nil {
					t.Errorf("alias key missing: %s", r.raw)
				}
			}},
		{"no alias: array", `[{"method":"test.echo"},{"method":"test.echo"}]`, 200,
			func(t *testing.T, r resp) {
				if res, ok := path(r.body, "result").([]any); !ok || len(res) != 2 {
					t.Errorf("result %s", r.raw)
				}
			}},
		{"first error aborts", `[{"method":"test.add"},{"method":"test.fail"},{"method":"test.add"}]`, 400,
			func(t *testing.T, r resp) {
				if r.errCode() != "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION" {
					t.Errorf("error %s", r.raw)
				}
			}},
		{"bad ref", `[{"method":"test.echo","query":{"x":{"$ref":"nope.item.id"}}}]`, 400,
			func(t *testing.T, r resp) {
				if r.errCode() != "BITRIX_REST_V3_EXCEPTION_INVALIDSELECTEXCEPTION" {
					t.Errorf("error %s", r.raw)
				}
			}},
		{"old cmd format", `{"cmd":{"a":"test.echo"}}`, 400,
			func(t *testing.T, r resp) {
				if r.errCode() != "BITRIX_REST_V3_EXCEPTION_INVALIDSELECTEXCEPTION" {
					t.Errorf("error %s", r.raw)
				}
			}},
		{"unknown method", `[{"method":"nope"}]`, 404, func(t *testing.T, r resp) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v3(t, s, "batch", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			tt.check(t, r)
		})
	}
	// "first error aborts": the add before the failure ran, the one after did not.
	a := s.Audit()
	if a.Commands["test.add"] != 2 { // one in "refs", one in "first error aborts"
		t.Errorf("test.add ran %d times in batches, want 2", a.Commands["test.add"])
	}
}
