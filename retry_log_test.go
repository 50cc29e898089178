package b24

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
)

// TestLogging: one Debug line per attempt with method, status, duration,
// operating and request id; a Warn line per retry; nothing from the params.
func TestLogging(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){
			answer(502, html502, "Content-Type", "text/html"),
		}}
		h := scriptedHook(t, tr, WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		params := map[string]any{"id": 1, "auth": "token-value", "fields": map[string]any{"PASSWORD": "pw-value"}}
		if _, err := h.Call(t.Context(), "crm.deal.get", params, WithRequestID("rid-7")); err != nil {
			t.Fatal(err)
		}
		var debug, warn int
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("bad log line %q", line)
			}
			if rec["request_id"] != "rid-7" || rec["method"] != "crm.deal.get" {
				t.Errorf("line without method or request id: %s", line)
			}
			switch rec["level"] {
			case "DEBUG":
				debug++
				for _, k := range []string{"status", "duration", "attempt", "api"} {
					if _, ok := rec[k]; !ok {
						t.Errorf("debug line without %s: %s", k, line)
					}
				}
				if rec["status"] == float64(200) && rec["operating"] != 0.5 {
					t.Errorf("successful attempt without operating: %s", line)
				}
			case "WARN":
				warn++
			}
		}
		if debug != 2 || warn != 1 {
			t.Fatalf("%d debug and %d warn lines, want 2 and 1:\n%s", debug, warn, buf.String())
		}
		for _, s := range []string{"token-value", "pw-value", testSecret} {
			if strings.Contains(buf.String(), s) {
				t.Fatalf("log contains %q", s)
			}
		}
		// SetLogger switches later calls; nil discards.
		h.SetLogger(nil)
		buf.Reset()
		if _, err := h.Call(t.Context(), "crm.deal.get", nil); err != nil || buf.Len() != 0 {
			t.Fatalf("discarding logger wrote %q (%v)", buf.String(), err)
		}
	})
}
