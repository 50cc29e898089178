package events_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events"
)

// TestFakePortalToConsumer: the fake portal's outbound events for writes
// made through the SDK reach the user function through Handler and Spool;
// Current re-reads each deal, and a deleted one is reported not found.
func TestFakePortalToConsumer(t *testing.T) {
	s, err := events.OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var h *events.Handler
	recv := httptest.NewServer(nil)
	defer recv.Close()
	srv := b24test.NewServer(t, b24test.WithoutLimits(),
		b24test.WithOutbound(b24test.Outbound{URL: recv.URL, Token: "apptok", MemberID: "m1"}))
	h, err = events.NewHandler(s, events.Portal{MemberID: "m1", Domain: strings.TrimPrefix(srv.URL(), "https://"), Token: "apptok"})
	if err != nil {
		t.Fatal(err)
	}
	recv.Config.Handler = h
	hook := srv.Hook()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	getDeal := func(ctx context.Context, id string) (map[string]any, error) {
		resp, err := hook.Call(ctx, "crm.deal.get", map[string]any{"id": id})
		if err != nil {
			return nil, err
		}
		var d map[string]any
		return d, json.Unmarshal(resp.Result, &d)
	}
	// take consumes n events and re-reads each.
	take := func(n int) (names []string, found []bool) {
		cctx, stop := context.WithCancel(ctx)
		defer stop()
		s.Consume(cctx, func(ctx context.Context, e events.Event) error {
			_, ok, err := events.Current(ctx, e, getDeal, b24.ErrNotFound)
			if err != nil {
				return err
			}
			names, found = append(names, e.Name), append(found, ok)
			if len(names) == n {
				stop()
			}
			return nil
		})
		return names, found
	}
	resp, err := hook.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	id := string(resp.Result)
	if _, err := hook.Call(ctx, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": "b"}}); err != nil {
		t.Fatal(err)
	}
	names, found := take(2)
	if strings.Join(names, ",") != "ONCRMDEALADD,ONCRMDEALUPDATE" || !found[0] || !found[1] {
		t.Fatalf("events %v, found %v", names, found)
	}
	if _, err := hook.Call(ctx, "crm.deal.delete", map[string]any{"id": id}); err != nil {
		t.Fatal(err)
	}
	names, found = take(1)
	if len(names) != 1 || names[0] != "ONCRMDEALDELETE" || found[0] {
		t.Fatalf("after delete: %v, found %v", names, found)
	}
}
