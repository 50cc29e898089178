package b24test

import (
	"strings"
	"testing"
)

// TestStubPath: stubs set and removed over HTTP, as "b24 fake" users do;
// a malformed request is refused and sets nothing.
func TestStubPath(t *testing.T) {
	tests := []struct {
		name, verb, query, body string
		ctl                     int    // the control request's status
		call                    string // then the v2 method called
		status                  int
		want                    string
	}{
		{"result", "POST", "", `{"method":"Sale.Order.Get","result":{"ID":"7","LIST":[1,2]}}`, 204, "sale.order.get", 200, `"result":{"ID":"7","LIST":[1,2]}`},
		{"error with status", "POST", "", `{"method":"crm.deal.get","error":"ACCESS_DENIED","error_description":"Access denied","status":403}`, 204,
			"crm.deal.get", 403, `{"error":"ACCESS_DENIED","error_description":"Access denied"}`},
		{"error default status", "POST", "", `{"method":"x.y","error":"E"}`, 204, "x.y", 400, `"error":"E"`},
		{"both", "POST", "", `{"method":"x.y","error":"E","result":1}`, 400, "x.y", 404, "ERROR_METHOD_NOT_FOUND"},
		{"neither", "POST", "", `{"method":"x.y"}`, 400, "x.y", 404, "ERROR_METHOD_NOT_FOUND"},
		{"batch", "POST", "", `{"method":"BATCH","result":1}`, 400, "user.current", 200, `"ID":"1"`},
		{"bad status", "POST", "", `{"method":"x.y","error":"E","status":200}`, 400, "x.y", 404, "ERROR_METHOD_NOT_FOUND"},
		{"not JSON", "POST", "", `method=x.y`, 400, "x.y", 404, "ERROR_METHOD_NOT_FOUND"},
		{"GET", "GET", "", "", 405, "user.current", 200, `"ID":"1"`},
		{"delete one", "DELETE", "?method=SERVER.TIME", "", 204, "server.time", 200, `"result":"20`},
		{"delete all", "DELETE", "", "", 204, "profile", 200, `"ID":"1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t)
			s.OnResult("server.time", "stub")
			s.OnResult("profile", "stub")
			ctype := "application/json"
			if tc.body == "" {
				ctype = ""
			}
			if r := do(t, s, tc.verb, s.URL()+StubPath+tc.query, ctype, tc.body); r.status != tc.ctl {
				t.Fatalf("%s %s: %d %s, want %d", tc.verb, StubPath, r.status, r.raw, tc.ctl)
			}
			r := v2(t, s, tc.call, "")
			if r.status != tc.status || !strings.Contains(string(r.raw), tc.want) {
				t.Errorf("%s: %d %.200s, want %d with %s", tc.call, r.status, r.raw, tc.status, tc.want)
			}
		})
	}
}

// FuzzStubPath: any body answers 204 or 400 and never panics; a stub set
// answers its method without breaking the server.
func FuzzStubPath(f *testing.F) {
	for _, seed := range []string{`{"method":"a.b","result":[1,{"x":null}]}`, `{"method":"a.b","error":"E","status":"403"}`,
		`{"method":"batch","result":1}`, `{"method":"","error":"E"}`, `[1,2]`, `{"method":1e400}`, `{"method":"a.b","error":"E","status":-1}`} {
		f.Add(seed)
	}
	s := NewServer(f, InMemory(), WithoutLimits(), WithLatency(Latency{}))
	f.Fuzz(func(t *testing.T, body string) {
		r := do(t, s, "POST", s.URL()+StubPath, "application/json", body)
		if r.status != 204 && r.status != 400 {
			t.Fatalf("status %d for %q", r.status, body)
		}
		s.ResetStubs()
	})
}
