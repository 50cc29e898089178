package reliability

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// TestSecretEchoFaults: a portal that echoes the secret in headers
// (FaultEchoHeader), in an error body (FaultEchoBody) or in a redirect's
// Location (FaultMovedEcho), in another letter case, percent-encoded or
// JSON-escaped, through single calls (v2 and v3), batches and lists: no
// answer, error, log line or Stats shows it in any form (reltest.LeakCheck decodes
// the forms).
func TestSecretEchoFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		leak := reltest.NewLeakCheck(t)
		defer leak.Report("echo faults")
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
			b24test.WithSeed(b24test.Seed{Deals: 60, Tasks: 5}), b24test.WithMovedTo("https://elsewhere.example.net"))
		h := srv.Hook(b24.WithLogger(leak.Logger()))
		ctx := t.Context()
		type row struct {
			ID b24.ID `json:"ID"`
		}
		calls := []struct {
			name, method string
			run          func() (any, error)
		}{
			{"v2 call", "crm.deal.get", func() (any, error) { return h.Call(ctx, "crm.deal.get", map[string]any{"id": 1}) }},
			{"v3 call", "tasks.task.get", func() (any, error) {
				return h.V3().Call(ctx, "tasks.task.get", map[string]any{"id": 1, "select": []string{"id"}})
			}},
			{"batch", "batch", func() (any, error) {
				return h.V2().Batch(ctx, []b24.Cmd{{Name: "a", Method: "crm.deal.get", Params: map[string]any{"id": 1}}})
			}},
			{"list", "batch", func() (any, error) {
				return b24.CallList[row](ctx, h.V2(), "crm.deal.list", map[string]any{"select": []string{"ID"}})
			}},
		}
		for _, f := range []b24test.Fault{b24test.FaultEchoHeader, b24test.FaultEchoBody, b24test.FaultMovedEcho} {
			for _, c := range calls {
				what := f.String() + " " + c.name
				srv.FailNext(c.method, 1, f)
				v, err := c.run()
				leak.Value(what+" value", v)
				if f == b24test.FaultEchoHeader {
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if r, ok := v.(*b24.Response); ok && !strings.Contains(r.Header.Get("X-Echo-0"), "****") {
						t.Errorf("%s: header X-Echo-0 %q, want the secret redacted (the check would pass vacuously)", what, r.Header.Get("X-Echo-0"))
					}
					continue
				}
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				if f == b24test.FaultEchoBody && !strings.Contains(err.Error(), "****") {
					t.Errorf("%s: error %q shows no redaction (the check would pass vacuously)", what, err)
				}
				leak.Value(what+" error", err)
				for e := err; e != nil; e = errors.Unwrap(e) {
					leak.Value(what+" error chain", e)
				}
			}
		}
		leak.Value("stats", h.Stats())
		if srv.Audit().Requests == 0 {
			t.Fatal("no requests reached the portal")
		}
	})
}
