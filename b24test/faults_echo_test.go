package b24test

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"
)

// TestEchoFaults: each echo fault sends the secret back in the forms it
// documents, and the next call is normal.
func TestEchoFaults(t *testing.T) {
	const sec = "Echo5ecretXy"
	upper := strings.ToUpper(sec)
	pct := "%45%63%68%6f%35%65%63%72%65%74%58%79"
	tests := []struct {
		fault  Fault
		status int
		ran    bool
		check  func(t *testing.T, hdr map[string][]string, body []byte)
	}{
		{FaultEchoHeader, 200, true, func(t *testing.T, hdr map[string][]string, _ []byte) {
			all := ""
			for _, vs := range hdr {
				all += strings.Join(vs, " ") + " "
			}
			for _, want := range []string{"/" + sec + "/", "/" + upper + "/", pct, strings.ToUpper(pct), `\u0045\u0063`, `\u002545\u002563`} {
				if !strings.Contains(all, want) {
					t.Errorf("headers %v: no %q", hdr, want)
				}
			}
		}},
		{FaultEchoBody, 400, false, func(t *testing.T, _ map[string][]string, body []byte) {
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error != "INVALID_REQUEST" {
				t.Fatalf("body %s: %v", body, err)
			}
			if strings.Count(e.Description, "/"+sec+"/") != 2 || !strings.Contains(e.Description, upper) ||
				!strings.Contains(e.Description, pct) || !strings.Contains(e.Description, "%45%63") {
				t.Errorf("description %q lacks a form", e.Description)
			}
			if !strings.Contains(string(body), `\u0045\u0063`) {
				t.Errorf("body %s: no JSON-escaped form", body)
			}
		}},
		{FaultMovedEcho, 302, false, func(t *testing.T, hdr map[string][]string, _ []byte) {
			loc := strings.Join(hdr["Location"], "")
			u, err := url.Parse(loc)
			if err != nil || u.Host != strings.ToLower(sec)+".moved.b24test.invalid" || !strings.Contains(loc, pct) {
				t.Errorf("Location %q (%v)", loc, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			if f, ok := ParseFault(tt.fault.String()); !ok || f != tt.fault {
				t.Fatalf("ParseFault(%q) = %v, %v", tt.fault.String(), f, ok)
			}
			bubble(t, func(t *testing.T, s *Server) {
				s.FailNext("test.add", 1, tt.fault)
				hr, err := rawDo(s, "POST", s.WebhookURL()+"test.add", `{}`)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(hr.Body)
				hr.Body.Close()
				if hr.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %s", hr.StatusCode, tt.status, body)
				}
				tt.check(t, hr.Header, body)
				if got := s.Audit().WriteCount("thing", 101); got != map[bool]int{true: 1}[tt.ran] {
					t.Errorf("writes %d, ran %v", got, tt.ran)
				}
				if r := v2(t, s, "test.add", `{}`); r.status != 200 {
					t.Errorf("next call %d", r.status)
				}
			}, WithLatency(Latency{}), WithWebhook(1, sec))
		})
	}
}
