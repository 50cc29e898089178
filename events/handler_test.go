package events

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
)

// TestHandlerRefuses: every hostile request gets RefusedStatus and leaves
// the spool empty (no user code can see it).
func TestHandlerRefuses(t *testing.T) {
	good := capture(portalA, "ONCRMDEALUPDATE", "5", "1700000000")
	many := strings.Repeat("x", 0)
	{
		var b strings.Builder
		for i := range 100000 {
			fmt.Fprintf(&b, "k%d=1&", i)
		}
		many = b.String()
	}
	cases := []struct {
		name, body, ctype, method string
	}{
		{"wrong token", strings.Replace(good, "tokAlphaSecret0001", "tokAlphaSecret0002", 1), form, "POST"},
		{"no token", strings.Replace(good, "auth%5Bapplication_token%5D=tokAlphaSecret0001", "", 1), form, "POST"},
		{"token in another case", strings.Replace(good, "tokAlphaSecret0001", "TOKALPHASECRET0001", 1), form, "POST"},
		{"another portal's token with this domain", strings.Replace(good, "tokAlphaSecret0001", portalB.Token, 1), form, "POST"},
		{"another portal's member id", strings.Replace(good, "a1b2c3", portalB.MemberID, 1), form, "POST"},
		{"huge body", good + "&pad=" + strings.Repeat("a", MaxBody), form, "POST"},
		{"100000 form keys", many + good, form, "POST"},
		{"deep brackets", good + "&data" + strings.Repeat("%5Bx%5D", 50) + "=1", form, "POST"},
		{"duplicate key", good + "&data%5BFIELDS%5D%5BID%5D=6", form, "POST"},
		{"json body", `{"event":"ONCRMDEALUPDATE","auth":{"application_token":"tokAlphaSecret0001"}}`, "application/json", "POST"},
		{"form body labelled json", good, "application/json", "POST"},
		{"GET", good, form, "GET"},
		{"no event name", strings.Replace(good, "event=ONCRMDEALUPDATE", "", 1), form, "POST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, s := newTestHandler(t)
			var reasons []error
			h.OnRefuse = func(_ *http.Request, err error) { reasons = append(reasons, err) }
			req := httptest.NewRequest(c.method, "/hook", strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != RefusedStatus {
				t.Fatalf("status %d, want %d", rec.Code, RefusedStatus)
			}
			if n := len(drain(t, s)); n != 0 || s.Pending() != 0 {
				t.Fatalf("%d events spooled", n)
			}
			if len(reasons) != 1 || !errors.Is(reasons[0], ErrRefused) {
				t.Fatalf("OnRefuse got %v", reasons)
			}
			for _, tok := range []string{portalA.Token, portalB.Token} {
				if strings.Contains(reasons[0].Error(), tok) {
					t.Fatalf("reason shows a token: %v", reasons[0])
				}
			}
		})
	}
}

// blockingBody sends its prefix, then blocks until release is closed.
type blockingBody struct {
	prefix  string
	release chan struct{}
}

func (b *blockingBody) Read(p []byte) (int, error) {
	if b.prefix != "" {
		n := copy(p, b.prefix)
		b.prefix = b.prefix[n:]
		return n, nil
	}
	<-b.release
	return 0, io.EOF
}

// TestHandlerSlowBody: a body that stops half way is refused after
// ReadTimeout, not waited for.
func TestHandlerSlowBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, s := newTestHandler(t)
		body := &blockingBody{prefix: capture(portalA, "ONCRMDEALUPDATE", "5", "1")[:40], release: make(chan struct{})}
		defer close(body.release)
		req := httptest.NewRequest("POST", "/hook", body)
		req.Header.Set("Content-Type", form)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != RefusedStatus || s.Pending() != 0 {
			t.Fatalf("status %d, %d bytes spooled", rec.Code, s.Pending())
		}
	})
}

// TestHandlerAccepts: a verified request is spooled as a typed event,
// auth stripped, for either configured portal, domain in any case.
func TestHandlerAccepts(t *testing.T) {
	h, s := newTestHandler(t)
	upper := strings.Replace(capture(portalB, "ONCRMCONTACTDELETE", "9", "2"), "beta.bitrix24.com", "BETA.Bitrix24.com", 1)
	for _, body := range []string{capture(portalA, "ONCRMDEALUPDATE", "5", "1"), upper} {
		if code := post(h, body, form+"; charset=utf-8"); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	got := drain(t, s)
	want := []struct{ domain, member, name, entity, action, id string }{
		{"alpha.bitrix24.com", "a1b2c3", "ONCRMDEALUPDATE", "CRMDEAL", "UPDATE", "5"},
		{"beta.bitrix24.com", "d4e5f6", "ONCRMCONTACTDELETE", "CRMCONTACT", "DELETE", "9"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events", len(got))
	}
	for i, w := range want {
		e := got[i]
		if e.Domain != w.domain || e.MemberID != w.member || e.Name != w.name || e.Entity != w.entity || e.Action != w.action || e.ID != w.id || e.HandlerID != "7" || e.ReceivedAt.IsZero() {
			t.Errorf("event %d: %+v", i, e)
		}
		if len(e.Data) != 1 || e.Data["FIELDS[ID]"] != w.id {
			t.Errorf("event %d data: %v", i, e.Data)
		}
		if e.Duplicate {
			t.Errorf("event %d marked duplicate", i)
		}
		if s := fmt.Sprintf("%+v", e); strings.Contains(s, "Secret") || strings.Contains(s, "client_endpoint") {
			t.Errorf("event %d keeps auth: %s", i, s)
		}
	}
}

// TestHandlerReplayedCapture: a capture posted again is accepted only as
// the duplicate it is (delivered, marked, never hiding a change); the
// same entity with another ts is a new event.
func TestHandlerReplayedCapture(t *testing.T) {
	h, s := newTestHandler(t)
	c := capture(portalA, "ONCRMDEALUPDATE", "5", "1700000000")
	for _, body := range []string{c, c, capture(portalA, "ONCRMDEALUPDATE", "5", "1700000001")} {
		if code := post(h, body, form); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	got := drain(t, s)
	if len(got) != 3 || got[0].Duplicate || !got[1].Duplicate || got[2].Duplicate {
		t.Fatalf("duplicates: %+v", got)
	}
	// The spool remembers across a restart.
	dir := s.dir
	s.Close()
	s2, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	h2, _ := NewHandler(s2, portalA)
	post(h2, c, form)
	if got := drain(t, s2); len(got) != 4 || !got[3].Duplicate {
		t.Fatalf("after reopen: %+v", got[len(got)-1])
	}
}

// TestPortalStringHidesToken: %v and %#v of a Portal never show the token.
func TestPortalStringHidesToken(t *testing.T) {
	for _, s := range []string{fmt.Sprintf("%v", portalA), fmt.Sprintf("%+v", portalA), fmt.Sprintf("%#v", portalA)} {
		if strings.Contains(s, portalA.Token) {
			t.Fatalf("token in %q", s)
		}
	}
}
