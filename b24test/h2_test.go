package b24test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

// h2Do sends a POST over the server's HTTP/2 client without GetBody, so
// that net/http does not resend it after a reset.
func h2Do(s *Server, url, body string) (*http.Response, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.GetBody = nil
	req.Header.Set("Content-Type", "application/json")
	return s.Client().Do(req)
}

func TestHTTP2Faults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault   Fault
		code    uint32
		want    string // in the client's error
		ran     bool
		readErr bool // the answer's body fails
	}{
		{NoFault, 0, "", true, false},
		{FaultStreamReset, uint32(http2.ErrCodeCancel), "CANCEL", true, false},
		{FaultStreamReset, uint32(http2.ErrCodeEnhanceYourCalm), "ENHANCE_YOUR_CALM", true, false},
		{FaultStreamReset, uint32(http2.ErrCodeRefusedStream), "REFUSED_STREAM", true, false},
		{FaultGoAway, 0, "GOAWAY", true, false},
		{FaultReset, 0, "", true, false},
		{FaultTruncated, 0, "", true, true},
		{FaultUnavailable, 0, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String()+"-"+tt.want, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, WithHTTP2(), WithResetCode(tt.code))
			// A first call opens the connection: the fault strikes on stream 3.
			r := v2(t, s, "test.add", "")
			if r.status != 200 {
				t.Fatalf("first call: %d", r.status)
			}
			s.FailNext("test.add", 1, tt.fault)
			hr, err := h2Do(s, s.WebhookURL()+"test.add", `{}`)
			switch {
			case tt.want != "" || tt.fault == FaultReset:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want one naming %q", err, tt.want)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if hr.ProtoMajor != 2 {
					t.Errorf("proto %s, want HTTP/2.0", hr.Proto)
				}
				b, rerr := io.ReadAll(hr.Body)
				hr.Body.Close()
				if (rerr != nil) != tt.readErr {
					t.Errorf("read error %v (body %q), want one: %v", rerr, b, tt.readErr)
				}
			}
			writes := 0
			for k, n := range s.Audit().Writes {
				if strings.HasPrefix(k, "thing:") {
					writes += n
				}
			}
			want := 1
			if tt.ran {
				want = 2
			}
			if writes != want {
				t.Errorf("%d writes applied, want %d", writes, want)
			}
			if a := s.Audit(); a.Requests != 2 {
				t.Errorf("the server received %d requests, want 2", a.Requests)
			}
			// The server goes on serving, on a new connection if need be.
			if r := v2(t, s, "test.add", ""); r.status != 200 {
				t.Errorf("after the fault: %d", r.status)
			}
		})
	}
}

// TestHTTP2LargeAnswer: an answer larger than the initial flow control
// windows arrives whole.
func TestHTTP2LargeAnswer(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithHTTP2())
	big := strings.Repeat("x", 300_000)
	hr, err := h2Do(s, s.WebhookURL()+"test.echo", `{"s":"`+big+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(hr.Body)
	hr.Body.Close()
	if err != nil || hr.ProtoMajor != 2 || !strings.Contains(string(b), big) {
		t.Fatalf("proto %s, %d bytes, err %v", hr.Proto, len(b), err)
	}
}
