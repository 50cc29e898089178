package b24test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
)

// TestAddWebhook: a second webhook on one portal is admitted with its own
// secret only, acts as its user (profile, user.current, the author and
// modifier of what it writes) and leaves the first webhook's user as it was.
func TestAddWebhook(t *testing.T) {
	s := NewServer(t, WithSeed(Seed{Deals: 3, Users: 10}), WithLatency(Latency{}))
	u7 := s.AddWebhook(7)
	if again := s.AddWebhook(7); again != u7 {
		t.Fatalf("AddWebhook(7) twice: %q, then another URL", "****")
	}
	if s.AddWebhook(1) != s.WebhookURL() {
		t.Fatal("AddWebhook of the default webhook's user is not its URL")
	}
	sec7 := strings.Split(strings.TrimSuffix(u7, "/"), "/")[5]
	if !strings.HasPrefix(u7, s.URL()+"/rest/7/") || sec7 == s.Secret() {
		t.Fatalf("user 7's webhook %q: want /rest/7/ and a secret of its own", strings.ReplaceAll(u7, sec7, "****"))
	}
	paths := []struct {
		name, path string
		status     int
	}{
		{"user 7, its secret", "/rest/7/" + sec7 + "/profile", 200},
		{"user 7, v3", "/rest/api/7/" + sec7 + "/tasks.task.list", 200},
		{"user 7, user 1's secret", "/rest/7/" + s.Secret() + "/profile", 401},
		{"user 1, user 7's secret", "/rest/1/" + sec7 + "/profile", 401},
		{"user 7, wrong secret", "/rest/7/" + sec7 + "x/profile", 401},
		{"user 07", "/rest/07/" + sec7 + "/profile", 401},
		{"user 8, user 7's secret", "/rest/8/" + sec7 + "/profile", 401},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			if r := do(t, s, "POST", s.URL()+p.path, "application/json", "{}"); r.status != p.status {
				t.Fatalf("status %d, want %d: %s", r.status, p.status, r.raw)
			}
		})
	}
	ctx := context.Background()
	h7, err := b24.FromWebhookURL(u7, b24.WithHTTPClient(s.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer h7.Close()
	one := s.Hook()
	for _, c := range []struct {
		h    *b24.Hook
		want string
	}{{h7, "7"}, {one, "1"}} {
		for _, m := range []string{"profile", "user.current"} {
			resp, err := c.h.Call(ctx, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if u, _ := b24.Decode[map[string]any](resp); u["ID"] != c.want {
				t.Errorf("%s through user %s's webhook: ID %v", m, c.want, u["ID"])
			}
		}
	}
	deal := func(h *b24.Hook, method string, params map[string]any) {
		t.Helper()
		if _, err := h.Call(ctx, method, params); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
	deal(h7, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "by 7"}})
	deal(h7, "crm.deal.update", map[string]any{"id": 1, "fields": map[string]any{"TITLE": "edited by 7"}})
	deal(h7, "tasks.task.add", map[string]any{"fields": map[string]any{"TITLE": "by 7"}})
	want := map[string]string{"4": "7", "1": "7"} // MODIFY_BY_ID
	resp, err := one.Call(ctx, "crm.deal.list", map[string]any{"select": []string{"ID", "CREATED_BY_ID", "MODIFY_BY_ID", "ASSIGNED_BY_ID"}, "order": map[string]string{"ID": "ASC"}})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := b24.Decode[[]map[string]string](resp)
	for _, r := range rows {
		if w := want[r["ID"]]; w != "" && r["MODIFY_BY_ID"] != w || r["ID"] == "4" && (r["CREATED_BY_ID"] != "7" || r["ASSIGNED_BY_ID"] != "7") {
			t.Errorf("deal %v: want user 7 as its author (4) and modifier (1, 4)", r)
		}
	}
	resp, err = one.Call(ctx, "tasks.task.list", map[string]any{"select": []string{"ID", "CREATED_BY", "RESPONSIBLE_ID"}, "order": map[string]string{"ID": "DESC"}})
	if err != nil {
		t.Fatal(err)
	}
	tasks, _ := b24.Decode[struct {
		Tasks []map[string]any `json:"tasks"`
	}](resp)
	if len(tasks.Tasks) == 0 || tasks.Tasks[0]["createdBy"] != "7" || tasks.Tasks[0]["responsibleId"] != "7" {
		t.Errorf("the task added through user 7's webhook: %v", tasks.Tasks[:min(1, len(tasks.Tasks))])
	}
}

// TestAddWebhookOwnBudget: each webhook has its own operating budget, for
// calls and for a batch's commands billed per command: user 1's exhausted
// budget refuses user 1 and leaves user 7 answered.
func TestAddWebhookOwnBudget(t *testing.T) {
	lat := WithLatency(Latency{RowCounted: time.Microsecond})
	lim := WithLimits(Limits{OperatingLimit: 1500 * time.Millisecond, OperatingBan: 30 * time.Second, BatchPerCommand: true})
	bubble(t, func(t *testing.T, s *Server) {
		seven := s.AddWebhook(7)
		for i := 1; i <= 2; i++ { // the second crosses 1.5 s and runs
			if r := v2(t, s, "test.heavy", ""); r.status != 200 {
				t.Fatalf("user 1, call %d: %d %s", i, r.status, r.raw)
			}
		}
		if r := v2(t, s, "test.heavy", ""); r.status != 429 {
			t.Fatalf("user 1 past its budget: %d %s", r.status, r.raw)
		}
		if r := do(t, s, "GET", seven+"test.heavy", "", ""); r.status != 200 {
			t.Fatalf("user 7 after user 1's budget ran out: %d %s", r.status, r.raw)
		}
		r := do(t, s, "POST", seven+"batch", "application/json", `{"cmd":{"a":"test.heavy"}}`)
		if r.status != 200 || strings.Contains(string(r.raw), "OPERATION_TIME_LIMIT") {
			t.Fatalf("user 7's batch: %d %s", r.status, r.raw)
		}
		if r := do(t, s, "GET", seven+"test.heavy", "", ""); r.status != 429 {
			t.Fatalf("user 7 past its own budget: %d %s", r.status, r.raw)
		}
	}, lat, lim)
}
