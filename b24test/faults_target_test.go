package b24test

import (
	"slices"
	"strings"
	"testing"
)

// TestFaultTargets: FailNext reaches a command of its method inside a batch
// and is served once; FailCommand strikes one command by key; FailRequest
// the n-th request. A refusal fails the command alone; any other fault ends
// the request at that command (after it ran, for a fault after execution).
func TestFaultTargets(t *testing.T) {
	const batch2 = `{"halt":0,"cmd":{"a":"crm.deal.get?id=1","b":"crm.deal.update?id=1&fields[TITLE]=x","c":"crm.deal.update?id=2&fields[TITLE]=x"}}`
	type cmdOut struct{ key, outcome string }
	tests := []struct {
		name       string
		arm        func(s *Server)
		v3         bool
		body       string
		status     int
		want       string // in the raw answer
		writes     [2]int // to deals 1 and 2
		log        []cmdOut
		laterWrite bool // a later crm.deal.update answers 200 (the fault was served once)
	}{
		{name: "FailNext refusal fails the command only", arm: func(s *Server) { s.FailNext("crm.deal.update", 1, FaultUnavailable) },
			body: batch2, status: 200, want: `"result_error":{"b":{"error":"QUERY_LIMIT_EXCEEDED"`, writes: [2]int{0, 1},
			log: []cmdOut{{"a", "done"}, {"b", "error"}, {"c", "done"}}, laterWrite: true},
		{name: "FailNext after execution ends the request", arm: func(s *Server) { s.FailNext("crm.deal.update", 1, FaultInternal) },
			body: batch2, status: 500, want: `INTERNAL_SERVER_ERROR`, writes: [2]int{1, 0},
			log: []cmdOut{{"a", "done"}, {"b", "fault"}, {"c", "not-executed"}}, laterWrite: true},
		{name: "FailNext list fault", arm: func(s *Server) { s.FailNext("crm.deal.list", 1, FaultIgnoreStart) },
			body: `{"cmd":{"p":"crm.deal.list?select[]=ID&start=50"}}`, status: 200, want: `"result":{"p":[{"ID":"1"}`,
			log: []cmdOut{{"p", "done"}}, laterWrite: true},
		{name: "FailCommand operating", arm: func(s *Server) { s.FailCommand("c", FaultOperating) },
			body: batch2, status: 200, want: `"result_error":{"c":{"error":"OPERATION_TIME_LIMIT"`, writes: [2]int{1, 0},
			log: []cmdOut{{"a", "done"}, {"b", "done"}, {"c", "error"}}, laterWrite: true},
		{name: "FailCommand before execution", arm: func(s *Server) { s.FailCommand("b", FaultBadGateway) },
			body: batch2, status: 502, want: `502 Bad Gateway`,
			log: []cmdOut{{"a", "done"}, {"b", "fault"}, {"c", "not-executed"}}, laterWrite: true},
		{name: "FailCommand reset", arm: func(s *Server) { s.FailCommand("c", FaultReset) },
			body: batch2, status: 0, writes: [2]int{1, 1},
			log: []cmdOut{{"a", "done"}, {"b", "done"}, {"c", "fault"}}, laterWrite: true},
		{name: "FailCommand v3 alias", arm: func(s *Server) { s.FailCommand("w", FaultInternal) }, v3: true,
			body: `[{"method":"test.add","as":"w"},{"method":"test.add"}]`, status: 500, want: `INTERNAL_SERVER_ERROR`,
			log: []cmdOut{{"w", "fault"}, {"1", "not-executed"}}, laterWrite: true},
		{name: "FailCommand v3 refusal", arm: func(s *Server) { s.FailCommand("1", FaultOverload) }, v3: true,
			body: `[{"method":"test.add"},{"method":"test.add"}]`, status: 503, want: `OVERLOAD_LIMIT`,
			log: []cmdOut{{"0", "done"}, {"1", "error"}}, laterWrite: true},
		{name: "FailRequest", arm: func(s *Server) { s.FailRequest(1, FaultBadGateway) },
			body: batch2, status: 502, want: `502 Bad Gateway`, laterWrite: true},
		{name: "FailRequest not yet", arm: func(s *Server) { s.FailRequest(2, FaultBadGateway) },
			body: batch2, status: 200, writes: [2]int{1, 1},
			log: []cmdOut{{"a", "done"}, {"b", "done"}, {"c", "done"}}, laterWrite: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t)
			tc.arm(s)
			var r resp
			if tc.v3 {
				r = doNoFail(t, s, s.WebhookV3URL()+"batch", tc.body)
			} else {
				r = doNoFail(t, s, s.WebhookURL()+"batch", tc.body)
			}
			if r.status != tc.status || !strings.Contains(string(r.raw), tc.want) {
				t.Fatalf("batch: %d %.300s\nwant %d with %s", r.status, r.raw, tc.status, tc.want)
			}
			a := s.Audit()
			if w := [2]int{a.WriteCount("deal", 1), a.WriteCount("deal", 2)}; w != tc.writes {
				t.Errorf("writes to deals 1, 2 = %v, want %v", w, tc.writes)
			}
			var got []cmdOut
			for _, c := range a.Batch(1) {
				got = append(got, cmdOut{c.Key, c.Outcome})
			}
			if len(got) != len(tc.log) || !slices.Equal(got, tc.log) {
				t.Errorf("command log %v, want %v", got, tc.log)
			}
			r = v2(t, s, "crm.deal.update", `{"id":3,"fields":{"TITLE":"later"}}`)
			if (r.status == 200) != tc.laterWrite {
				t.Errorf("a later crm.deal.update: %d %.200s (want 200: %v)", r.status, r.raw, tc.laterWrite)
			}
		})
	}
}

// doNoFail posts a JSON body; a reset connection gives status 0.
func doNoFail(t *testing.T, s *Server, url, body string) resp {
	t.Helper()
	hr, err := s.Client().Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return resp{}
	}
	defer hr.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := hr.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp{status: hr.StatusCode, raw: []byte(sb.String())}
}

// TestFaultOperatingThroughHook: a 429 needs no budget mismatch; the hook
// of Server.Hook waits it out and the call succeeds.
func TestFaultOperatingThroughHook(t *testing.T) {
	for _, v3 := range []bool{false, true} {
		bubble(t, func(t *testing.T, s *Server) {
			s.FailNext("test.echo", 1, FaultOperating)
			var err error
			if v3 {
				_, err = s.Hook().V3().Call(t.Context(), "test.echo", map[string]any{"a": 1})
			} else {
				_, err = s.Hook().V2().Call(t.Context(), "test.echo", map[string]any{"a": 1})
			}
			if err != nil {
				t.Fatalf("v3=%v: %v", v3, err)
			}
			if got := s.Audit().ByMethod["test.echo"]; got[429] != 1 || got[200] != 1 {
				t.Errorf("v3=%v: statuses %v, want one 429 then one 200", v3, got)
			}
		}, WithTimeScale(10))
	}
}

// TestFailPathTargets: POST FailPath scripts the three targets by name.
func TestFailPathTargets(t *testing.T) {
	tests := []struct{ query, method string }{
		{"key=k&fault=overload", "batch"},
		{"request=1&fault=operating", "profile"},
		{"method=profile&n=1&fault=operating", "profile"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			s := newTestServer(t)
			if r := do(t, s, "POST", s.URL()+FailPath+"?"+tc.query, "", ""); r.status != 204 {
				t.Fatalf("fail: %d %s", r.status, r.raw)
			}
			var r resp
			if tc.method == "batch" {
				r = v2(t, s, "batch", `{"cmd":{"k":"profile"}}`)
			} else {
				r = v2(t, s, "profile", "")
			}
			if !strings.Contains(string(r.raw), `OVERLOAD_LIMIT`) && !strings.Contains(string(r.raw), `OPERATION_TIME_LIMIT`) {
				t.Errorf("no fault served: %d %.200s", r.status, r.raw)
			}
		})
	}
}
