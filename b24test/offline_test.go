package b24test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// appClient calls v2 methods with an application's Bearer token.
type appClient struct {
	t   *testing.T
	s   *Server
	tok string
}

func newApp(t *testing.T, s *Server) appClient {
	return appClient{t, s, s.RegisterApp("app.offline", "secret").AccessToken}
}

func (a appClient) call(method, body string) resp {
	a.t.Helper()
	return do(a.t, a.s, "POST", a.s.URL()+"/rest/"+method, "application/json", body, "Authorization", "Bearer "+a.tok)
}

// ok calls and fails the test on an error answer.
func (a appClient) ok(method, body string) resp {
	a.t.Helper()
	r := a.call(method, body)
	if r.status != 200 {
		a.t.Fatalf("%s %s: %d %s", method, body, r.status, r.raw)
	}
	return r
}

// events returns event.offline.get's records and its process_id.
func (a appClient) get(body string) (pid string, events []map[string]any) {
	a.t.Helper()
	res := a.ok("event.offline.get", body).obj()["result"].(map[string]any)
	pid, _ = res["process_id"].(string)
	for _, e := range res["events"].([]any) {
		events = append(events, e.(map[string]any))
	}
	return pid, events
}

func (a appClient) list(body string) []map[string]any {
	a.t.Helper()
	var out []map[string]any
	for _, e := range a.ok("event.offline.list", body).obj()["result"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// dealBase is the id before the first deal a test adds (the seeded deals
// come first); ids prints the records' deal ids relative to it.
var dealBase int

func ids(events []map[string]any) string {
	var s []string
	for _, e := range events {
		id := intPrefix(fmt.Sprint(e["EVENT_DATA"].(map[string]any)["FIELDS"].(map[string]any)["ID"]))
		s = append(s, fmt.Sprint(e["EVENT_NAME"], ":", id-dealBase))
	}
	return strings.Join(s, ",")
}

// addDeals adds n deals through the webhook: each add raises ONCRMDEALADD.
// The first call of a test sets dealBase.
func addDeals(t *testing.T, s *Server, n int, first bool) {
	for i := range n {
		r := v2(t, s, "crm.deal.add", fmt.Sprintf(`{"fields":{"TITLE":"d%d"}}`, i))
		if r.status != 200 {
			t.Fatalf("add: %s", r.raw)
		}
		if first && i == 0 {
			dealBase = intPrefix(fmt.Sprint(r.obj()["result"])) - 1
		}
	}
}

// upd updates deal k (relative to dealBase) through the webhook.
func upd(t *testing.T, s *Server, k int, title string) {
	v2(t, s, "crm.deal.update", fmt.Sprintf(`{"id":%d,"fields":{"TITLE":%q}}`, dealBase+k, title))
}

// TestEventBindGetUnbind: bind's checks, get's rows, unbind's count.
func TestEventBindGetUnbind(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"onCrmDealUpdate","event_type":"offline"}`)
	a.ok("event.bind", `{"event":"ONCRMDEALUPDATE","event_type":"offline","auth_connector":"sync"}`)
	a.ok("event.bind", `{"event":"ONCRMDEALADD","handler":"https://example.com/h"}`)
	for body, code := range map[string]string{
		`{"event":"ONCRMDEALUPDATE","event_type":"offline"}`:                  "ERROR_CORE",
		`{"event":"ONCRMDEALADD","handler":"not a url"}`:                      "ERROR_ARGUMENT",
		`{"event":"ONNOSUCHTHING","event_type":"offline"}`:                    "ERROR_EVENT_NOT_FOUND",
		`{"handler":"https://example.com/h"}`:                                 "ERROR_ARGUMENT",
		`{"event":"ONCRMDEALADD","event_type":"sometimes"}`:                   "ERROR_ARGUMENT",
		`{"event":"ONCRMDEALADD","handler":"https://x","auth_connector":"c"}`: "ERROR_ARGUMENT",
	} {
		if r := a.call("event.bind", body); r.status != 400 || r.errCode() != code {
			t.Errorf("bind %s: %d %s, want %s", body, r.status, r.raw, code)
		}
	}
	rows := a.ok("event.get", `{}`).obj()["result"].([]any)
	if len(rows) != 3 || fmt.Sprint(rows[0]) != "map[auth_type:0 event:ONCRMDEALUPDATE handler: offline:1]" ||
		fmt.Sprint(rows[2]) != "map[auth_type:0 event:ONCRMDEALADD handler:https://example.com/h offline:0]" {
		t.Fatalf("event.get: %v", rows)
	}
	r := a.ok("event.unbind", `{"event":"ONCRMDEALUPDATE","event_type":"offline"}`)
	if n := fmt.Sprint(r.obj()["result"]); n != "map[count:2]" {
		t.Fatalf("unbind offline: %s", n)
	}
	r = a.ok("event.unbind", `{"event":"ONCRMDEALADD","handler":"https://example.com/h"}`)
	if n := fmt.Sprint(r.obj()["result"]); n != "map[count:1]" {
		t.Fatalf("unbind online: %s", n)
	}
}

// TestOfflineMerge: changes of one entity by one event are one record (the
// last change's time); another event or entity is another record; an
// unbound event raises none.
func TestOfflineMerge(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALUPDATE","event_type":"offline"}`)
	a.ok("event.bind", `{"event":"ONCRMDEALDELETE","event_type":"offline"}`)
	addDeals(t, s, 2, true) // ONCRMDEALADD is not bound
	for range 3 {
		upd(t, s, 1, "x")
	}
	upd(t, s, 2, "x")
	v2(t, s, "crm.deal.delete", fmt.Sprintf(`{"id":%d}`, dealBase+2))
	v2(t, s, "batch", fmt.Sprintf(`{"cmd":{"a":"crm.deal.update?id=%d&fields[TITLE]=y"}}`, dealBase+1))
	recs := a.list(`{}`)
	if got := ids(recs); got != "ONCRMDEALUPDATE:1,ONCRMDEALUPDATE:2,ONCRMDEALDELETE:2" {
		t.Fatalf("records: %s", got)
	}
	if recs[0]["MESSAGE_ID"] == recs[1]["MESSAGE_ID"] || recs[0]["PROCESS_ID"] != "" || recs[0]["ERROR"] != "0" {
		t.Fatalf("record fields: %v", recs)
	}
}

// TestOfflineGetClearsByDefault: event.offline.get without clear deletes
// what it returns (process_id null); limit bounds the records.
func TestOfflineGetClearsByDefault(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALADD","event_type":"offline"}`)
	addDeals(t, s, 3, true)
	pid, ev := a.get(`{"limit":2}`)
	if pid != "" || ids(ev) != "ONCRMDEALADD:1,ONCRMDEALADD:2" {
		t.Fatalf("get: %q %s", pid, ids(ev))
	}
	if l := a.list(`{}`); ids(l) != "ONCRMDEALADD:3" {
		t.Fatalf("after the default get: %s", ids(l))
	}
	if r := a.ok("event.offline.get", `{}`); !strings.Contains(string(r.raw), `"process_id":null`) {
		t.Fatalf("process_id of a clearing get: %s", r.raw)
	}
}

// TestOfflineProcess: clear=0 hides the records under a process id; other
// calls do not see them, the same process id gets them again; clear by id,
// by message id and by process id alone.
func TestOfflineProcess(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALADD","event_type":"offline"}`)
	addDeals(t, s, 5, true)
	pid, ev := a.get(`{"clear":0,"limit":3}`)
	if len(pid) < 8 || ids(ev) != "ONCRMDEALADD:1,ONCRMDEALADD:2,ONCRMDEALADD:3" {
		t.Fatalf("get clear=0: %q %s", pid, ids(ev))
	}
	if p2, ev2 := a.get(`{"clear":0}`); p2 == pid || ids(ev2) != "ONCRMDEALADD:4,ONCRMDEALADD:5" {
		t.Fatalf("second process: %q %s", p2, ids(ev2))
	}
	if _, again := a.get(`{"clear":0,"process_id":"` + pid + `"}`); ids(again) != ids(ev) {
		t.Fatalf("same process again: %s", ids(again))
	}
	if l := a.list(`{"filter":{"PROCESS_ID":"` + pid + `"}}`); len(l) != 3 {
		t.Fatalf("list by process: %s", ids(l))
	}
	a.ok("event.offline.clear", fmt.Sprintf(`{"process_id":%q,"id":[%q]}`, pid, ev[0]["ID"]))
	a.ok("event.offline.clear", fmt.Sprintf(`{"process_id":%q,"message_id":[%q]}`, pid, ev[1]["MESSAGE_ID"]))
	if l := a.list(`{"filter":{"PROCESS_ID":"` + pid + `"}}`); ids(l) != "ONCRMDEALADD:3" {
		t.Fatalf("after clears by id and message id: %s", ids(l))
	}
	a.ok("event.offline.clear", `{"process_id":"other"}`) // clears nothing of pid
	a.ok("event.offline.clear", fmt.Sprintf(`{"process_id":%q}`, pid))
	if n := s.OfflineRecords(""); n != 2 {
		t.Fatalf("records left: %d, want the second process's 2", n)
	}
	if r := a.call("event.offline.clear", `{}`); r.errCode() != "ERROR_ARGUMENT" {
		t.Fatalf("clear without process_id: %s", r.raw)
	}
}

// TestOfflineError: a record marked errored leaves its process and comes
// back only with error=1.
func TestOfflineError(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALADD","event_type":"offline"}`)
	addDeals(t, s, 2, true)
	pid, ev := a.get(`{"clear":0}`)
	a.ok("event.offline.error", fmt.Sprintf(`{"process_id":%q,"message_id":[%q]}`, pid, ev[0]["MESSAGE_ID"]))
	a.ok("event.offline.clear", fmt.Sprintf(`{"process_id":%q}`, pid))
	if _, e := a.get(`{"clear":0}`); len(e) != 0 {
		t.Fatalf("errored record without error=1: %s", ids(e))
	}
	if l := a.list(`{"filter":{"ERROR":1}}`); ids(l) != "ONCRMDEALADD:1" || l[0]["PROCESS_ID"] != "" {
		t.Fatalf("list errored: %v", l)
	}
	if _, e := a.get(`{"clear":0,"error":1}`); ids(e) != "ONCRMDEALADD:1" {
		t.Fatalf("get error=1: %s", ids(e))
	}
}

// TestOfflineChangeWhileHeld: a new change of a record held by a process
// releases it (the last change's time), and the process's clear by id no
// longer removes it: the change is not lost.
func TestOfflineChangeWhileHeld(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALUPDATE","event_type":"offline"}`)
	addDeals(t, s, 1, true)
	upd(t, s, 1, "a")
	pid, ev := a.get(`{"clear":0}`)
	upd(t, s, 1, "b")
	a.ok("event.offline.clear", fmt.Sprintf(`{"process_id":%q,"id":[%q]}`, pid, ev[0]["ID"]))
	if l := a.list(`{}`); ids(l) != "ONCRMDEALUPDATE:1" || l[0]["PROCESS_ID"] != "" {
		t.Fatalf("after the change and the clear: %v", l)
	}
}

// TestOfflineConnector: a write made with the binding's auth_connector
// raises no event in that connector's queue, and does in the others.
func TestOfflineConnector(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALUPDATE","event_type":"offline"}`)
	a.ok("event.bind", `{"event":"ONCRMDEALUPDATE","event_type":"offline","auth_connector":"sync"}`)
	addDeals(t, s, 2, true)
	a.ok("crm.deal.update", fmt.Sprintf(`{"id":%d,"fields":{"TITLE":"mine"},"auth_connector":"sync"}`, dealBase+1))
	a.ok("crm.deal.update", fmt.Sprintf(`{"id":%d,"fields":{"TITLE":"theirs"}}`, dealBase+2))
	if l := a.list(`{"auth_connector":"sync"}`); ids(l) != "ONCRMDEALUPDATE:2" {
		t.Fatalf("connector's queue: %s", ids(l))
	}
	if l := a.list(`{}`); ids(l) != "ONCRMDEALUPDATE:1,ONCRMDEALUPDATE:2" {
		t.Fatalf("queue without a source: %s", ids(l))
	}
	if _, e := a.get(`{"auth_connector":"sync"}`); ids(e) != "ONCRMDEALUPDATE:2" {
		t.Fatalf("get from the connector's queue: %s", ids(e))
	}
	if s.OfflineRecords("sync") != 0 || s.OfflineRecords("") != 2 {
		t.Fatalf("records: sync %d, none %d", s.OfflineRecords("sync"), s.OfflineRecords(""))
	}
}

// TestOfflineExpiry: a record unchanged for OfflineTTL is gone.
func TestOfflineExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(t, InMemory(), WithoutLimits())
		a := newApp(t, s)
		a.ok("event.bind", `{"event":"ONCRMDEALADD","event_type":"offline"}`)
		addDeals(t, s, 1, true)
		time.Sleep(OfflineTTL - time.Hour)
		addDeals(t, s, 1, false)
		time.Sleep(time.Hour)
		a = newApp(t, s) // the access token expired: a new one
		if l := a.list(`{}`); ids(l) != "ONCRMDEALADD:2" {
			t.Fatalf("after the TTL: %s", ids(l))
		}
	})
}

// TestOfflineLostGet: event.offline.get ran but its answer was lost (a
// reset): the records are hidden under the process id, event.offline.list
// finds them by it, and a get with that process id returns them.
func TestOfflineLostGet(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALADD","event_type":"offline"}`)
	addDeals(t, s, 2, true)
	s.FailNext("event.offline.get", 1, FaultReset)
	req, _ := http.NewRequest("POST", s.URL()+"/rest/event.offline.get", strings.NewReader(`{"clear":0,"process_id":"proc-1"}`))
	req.Header.Set("Authorization", "Bearer "+a.tok)
	req.Header.Set("Content-Type", "application/json")
	if hr, err := s.Client().Do(req); err == nil {
		hr.Body.Close()
		t.Fatalf("the answer was not lost: %d", hr.StatusCode)
	}
	if _, e := a.get(`{"clear":0}`); len(e) != 0 {
		t.Fatalf("another process sees the hidden records: %s", ids(e))
	}
	if l := a.list(`{"filter":{"=PROCESS_ID":"proc-1"}}`); len(l) != 2 {
		t.Fatalf("list by the lost process id: %s", ids(l))
	}
	if _, e := a.get(`{"clear":0,"process_id":"proc-1"}`); ids(e) != "ONCRMDEALADD:1,ONCRMDEALADD:2" {
		t.Fatalf("get by the lost process id: %s", ids(e))
	}
}

// TestOfflineFilterOrder: get's filter and order; an unknown field is refused.
func TestOfflineFilterOrder(t *testing.T) {
	s := NewServer(t, InMemory())
	a := newApp(t, s)
	a.ok("event.bind", `{"event":"ONCRMDEALADD","event_type":"offline"}`)
	addDeals(t, s, 4, true)
	if _, e := a.get(`{"clear":0,"filter":{">ID":1,"<=ID":3},"order":{"ID":"DESC"}}`); ids(e) != "ONCRMDEALADD:3,ONCRMDEALADD:2" {
		t.Fatalf("filtered: %s", ids(e))
	}
	if r := a.call("event.offline.get", `{"filter":{"PROCESS_ID":"x"}}`); r.errCode() != "ERROR_ARGUMENT" {
		t.Fatalf("get filtered by PROCESS_ID: %s", r.raw)
	}
}
