package events

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

var (
	portalA = Portal{MemberID: "a1b2c3", Domain: "alpha.bitrix24.com", Token: "tokAlphaSecret0001"}
	portalB = Portal{MemberID: "d4e5f6", Domain: "beta.bitrix24.com", Token: "tokBetaSecret00002"}
)

// capture is the body a portal sends for a deal update.
func capture(p Portal, event, id, ts string) string {
	v := url.Values{}
	v.Set("event", event)
	v.Set("event_handler_id", "7")
	v.Set("data[FIELDS][ID]", id)
	v.Set("ts", ts)
	v.Set("auth[domain]", p.Domain)
	v.Set("auth[member_id]", p.MemberID)
	v.Set("auth[application_token]", p.Token)
	v.Set("auth[client_endpoint]", "https://"+p.Domain+"/rest/")
	return v.Encode()
}

func newTestHandler(t testing.TB) (*Handler, *Spool) {
	t.Helper()
	s, err := OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h, err := NewHandler(s, portalA, portalB)
	if err != nil {
		t.Fatal(err)
	}
	return h, s
}

func post(h http.Handler, body, ctype string) int {
	req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

const form = "application/x-www-form-urlencoded"

// drain returns every event in the spool (Replay).
func drain(t *testing.T, s *Spool) []Event {
	t.Helper()
	var got []Event
	if err := s.Replay(context.Background(), func(_ context.Context, e Event) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
