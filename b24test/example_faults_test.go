package b24test_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/b24go/b24/b24test"
)

// The faults that echo the secret back, for a client's redaction to be
// tested: in headers, in an error body, in a redirect's Location.
func ExampleFault_echo() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	noFollow := *s.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, f := range []b24test.Fault{b24test.FaultEchoHeader, b24test.FaultEchoBody, b24test.FaultMovedEcho} {
		s.FailNext("profile", 1, f)
		resp, err := noFollow.Get(s.WebhookURL() + "profile")
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inHeaders := false
		for _, vs := range resp.Header {
			for _, v := range vs {
				inHeaders = inHeaders || strings.Contains(strings.ToLower(v), strings.ToLower(s.Secret()))
			}
		}
		fmt.Printf("%s: %d, secret in headers %v, in body %v\n", f, resp.StatusCode, inHeaders, strings.Contains(string(body), s.Secret()))
	}
	// Output:
	// echo-header: 200, secret in headers true, in body false
	// echo-body: 400, secret in headers false, in body true
	// moved-echo: 302, secret in headers true, in body false
}

// The HTTP/2 faults: the call ran, then its stream is reset, or a GOAWAY
// claims it was not processed. The client sees no answer (a body without
// GetBody keeps net/http from sending the write again on its own).
func ExampleFault_http2() {
	s, err := b24test.Start(b24test.WithHTTP2())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for _, f := range []b24test.Fault{b24test.FaultStreamReset, b24test.FaultGoAway} {
		s.FailNext("crm.deal.add", 1, f)
		body := io.MultiReader(strings.NewReader(`{"fields":{"TITLE":"x"}}`))
		resp, err := s.Client().Post(s.WebhookURL()+"crm.deal.add", "application/json", body)
		if err == nil {
			resp.Body.Close()
		}
		a := s.Audit()
		last := a.Log[len(a.Log)-1]
		fmt.Printf("%s: answered %v, status %d, %s, records written so far %d\n", f, err == nil, last.Status, last.Fault, len(a.Writes))
	}
	// Output:
	// stream-reset: answered false, status 0, stream-reset, records written so far 1
	// goaway: answered false, status 0, goaway, records written so far 2
}

// Absurd operating figures: a reset ten years ahead, milliseconds for
// seconds, "NaN", a Retry-After of 31 years. The hook treats every figure
// as untrusted, so each call still ends within the operating window.
func ExampleFault_absurdFigures() {
	s, _ := b24test.Start(b24test.InMemory(), b24test.WithTimeScale(1000))
	defer s.Close()
	h := s.Hook()
	s.FailNext("profile", int(b24test.NumAbsurdFigures), b24test.FaultAbsurdFigures)
	for a := range b24test.NumAbsurdFigures {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := h.V2().Call(ctx, "profile", nil)
		cancel()
		fmt.Printf("%s: err %v\n", a, err)
	}
	// Output:
	// reset-far-ahead: err <nil>
	// reset-millis: err <nil>
	// retry-after-huge: err <nil>
	// reset-negative: err <nil>
	// nan-strings: err <nil>
	// operating-huge: err <nil>
	// retry-after-date: err <nil>
	// operating-millis: err <nil>
	// operating-negative: err <nil>
	// times: err <nil>
}
