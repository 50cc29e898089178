package b24test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// receiver collects the forms POSTed to it.
func receiver(t *testing.T) (string, <-chan url.Values) {
	got := make(chan url.Values, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, err := url.ParseQuery(string(b))
		if err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("outbound request: %q %v", r.Header.Get("Content-Type"), err)
		}
		got <- v
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

func nextEvent(t *testing.T, got <-chan url.Values) url.Values {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	select {
	case v := <-got:
		return v
	case <-ctx.Done():
		t.Fatal("no outbound event")
		return nil
	}
}

// TestOutboundEvents: add, update and delete of a deal (one of them in a
// batch) each POST one event in the portal's form, with the configured
// token; a failed write and a read POST nothing.
func TestOutboundEvents(t *testing.T) {
	u, got := receiver(t)
	s := NewServer(t, WithoutLimits(), WithOutbound(Outbound{URL: u, Token: "apptoken1", MemberID: "m1"}))
	v2(t, s, "crm.deal.add", `{"fields":{"TITLE":"x"}}`)
	v := nextEvent(t, got)
	newID := v.Get("data[FIELDS][ID]")
	if v.Get("event") != "ONCRMDEALADD" || newID == "" || v.Get("auth[application_token]") != "apptoken1" ||
		v.Get("auth[member_id]") != "m1" || v.Get("auth[domain]") != strings.TrimPrefix(s.URL(), "https://") || v.Get("ts") == "" {
		t.Fatalf("add event: %v", v)
	}
	v2(t, s, "crm.deal.get", `{"id":`+newID+`}`)
	v2(t, s, "crm.deal.update", `{"id":999999,"fields":{"TITLE":"y"}}`) // fails: no event
	v2(t, s, "batch", `{"cmd":{"u":"crm.deal.update?id=`+newID+`&fields[TITLE]=z"}}`)
	v2(t, s, "crm.deal.delete", `{"id":`+newID+`}`)
	for _, want := range []string{"ONCRMDEALUPDATE", "ONCRMDEALDELETE"} {
		if v := nextEvent(t, got); v.Get("event") != want || v.Get("data[FIELDS][ID]") != newID {
			t.Fatalf("want %s of %s, got %v", want, newID, v)
		}
	}
	if n := s.OutboundSent(); n != 3 {
		t.Fatalf("%d events sent, want 3", n)
	}
}

// TestOutboundReorderDouble: with Reorder 1 the first event comes after the
// second; with Double 1 an UPDATE comes twice.
func TestOutboundReorderDouble(t *testing.T) {
	u, got := receiver(t)
	s := NewServer(t, WithoutLimits(), WithOutbound(Outbound{URL: u, Token: "t", Reorder: 1}))
	v2(t, s, "crm.deal.add", `{"fields":{"TITLE":"a"}}`)
	v2(t, s, "crm.deal.add", `{"fields":{"TITLE":"b"}}`)
	a, _ := strconv.Atoi(nextEvent(t, got).Get("data[FIELDS][ID]"))
	b, _ := strconv.Atoi(nextEvent(t, got).Get("data[FIELDS][ID]"))
	if a <= b {
		t.Fatalf("not reordered: %v then %v", a, b)
	}

	u2, got2 := receiver(t)
	s2 := NewServer(t, WithoutLimits(), WithOutbound(Outbound{URL: u2, Token: "t", Double: 1}))
	v2(t, s2, "crm.deal.update", `{"id":1,"fields":{"TITLE":"a"}}`)
	for range 2 {
		if v := nextEvent(t, got2); v.Get("event") != "ONCRMDEALUPDATE" || v.Get("data[FIELDS][ID]") != "1" {
			t.Fatalf("double: %v", v)
		}
	}
}

// TestOutboundRefused: bad options are errors from Start.
func TestOutboundRefused(t *testing.T) {
	for _, o := range []Outbound{{URL: "ftp://x", Token: "t"}, {URL: "http://127.0.0.1:1/", Token: ""}, {URL: "http://127.0.0.1:1/", Token: "t", Double: 2}} {
		if s, err := Start(WithOutbound(o)); err == nil {
			s.Close()
			t.Errorf("%+v: started", o)
		}
	}
}
