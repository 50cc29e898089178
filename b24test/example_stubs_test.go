package b24test_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

// A fixed result for any method, even one the fake does not serve.
func ExampleServer_OnResult() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	s.OnResult("sale.order.get", map[string]any{"ID": "7"})

	resp, err := s.Hook().V2().Call(context.Background(), "sale.order.get", map[string]any{"id": 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(resp.Result))
	// Output:
	// {"ID":"7"}
}

// An error answer: the SDK reports it with its code.
func ExampleServer_OnError() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	s.OnError("crm.deal.get", "ACCESS_DENIED", "Access denied")

	_, err := s.Hook().V2().Call(context.Background(), "crm.deal.get", map[string]any{"id": 1})
	var e *b24.APIError
	fmt.Println(errors.As(err, &e), e.Code, e.Description)
	// Output:
	// true ACCESS_DENIED Access denied
}

// A handler decides per call: here one command of a batch fails, one is
// not executed, and the others run as the fake would (Call.Run).
func ExampleServer_On() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	s.On("crm.deal.update", func(c *b24test.Call) (b24test.Result, *b24test.Error) {
		switch c.Key {
		case "u2":
			return b24test.Result{}, b24test.Errorf("ACCESS_DENIED", "Access denied")
		case "u3":
			return b24test.Result{}, b24test.ErrNotExecuted
		}
		return c.Run()
	})

	var cmds []b24.Cmd
	for _, id := range []int{1, 2, 3} {
		cmds = append(cmds, b24.Cmd{Name: fmt.Sprintf("u%d", id), Method: "crm.deal.update",
			Params: map[string]any{"id": id, "fields": map[string]any{"TITLE": "x"}}})
	}
	res, _ := s.Hook().V2().Batch(context.Background(), cmds, b24.WithHalt(false))
	for _, c := range res.Commands {
		fmt.Println(c.Name, c.State)
	}
	fmt.Println("writes:", s.Audit().WriteCount("deal", 1), s.Audit().WriteCount("deal", 2), s.Audit().WriteCount("deal", 3))
	// Output:
	// u1 done
	// u2 failed
	// u3 not executed
	// writes: 1 0 0
}

// Each fault kind, as a client sees it; FailNext chooses the calls it
// strikes. A slow answer comes SlowDelay late: past a client's timeout.
func ExampleFault() {
	s, _ := b24test.Start(b24test.InMemory(), b24test.WithTimeScale(10000))
	defer s.Close()
	for _, f := range []b24test.Fault{b24test.FaultUnavailable, b24test.FaultOverload, b24test.FaultOperating,
		b24test.FaultBadGateway, b24test.FaultInternal, b24test.FaultTruncated, b24test.FaultReset, b24test.FaultSlow} {
		s.FailNext("profile", 1, f)
		resp, err := s.Client().Get(s.WebhookURL() + "profile")
		if err != nil {
			fmt.Printf("%s: no answer\n", f)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		first, _, _ := strings.Cut(strings.TrimPrefix(string(body), "<html>\r\n"), ",")
		first, _, _ = strings.Cut(first, "\r")
		if err != nil {
			first = "body cut short"
		}
		fmt.Printf("%s: %d %s\n", f, resp.StatusCode, first)
	}
	// Output:
	// unavailable: 503 {"error":"QUERY_LIMIT_EXCEEDED"
	// overload: 503 {"error":"OVERLOAD_LIMIT"
	// operating: 429 {"error":"OPERATION_TIME_LIMIT"
	// bad-gateway: 502 <head><title>502 Bad Gateway</title></head>
	// internal: 500 {"error":"INTERNAL_SERVER_ERROR"
	// truncated: 200 body cut short
	// reset: no answer
	// slow: 200 {"result":{"ID":"1"
}

// A fault for one command of a batch: the portal ran the first update and
// lost the answer; the audit tells what each command did.
func ExampleServer_FailCommand() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	s.FailCommand("u2", b24test.FaultReset)

	cmds := []b24.Cmd{
		{Name: "u1", Method: "crm.deal.update", Params: map[string]any{"id": 1, "fields": map[string]any{"TITLE": "x"}}},
		{Name: "u2", Method: "crm.deal.update", Params: map[string]any{"id": 2, "fields": map[string]any{"TITLE": "x"}}},
		{Name: "u3", Method: "crm.deal.update", Params: map[string]any{"id": 3, "fields": map[string]any{"TITLE": "x"}}},
	}
	hook := s.Hook(b24.WithRestrictionParams(b24.RestrictionParams{Params: limit.RealtimePlan(), Retry: b24.RetryPolicy{MaxAttempts: 1}})) // one attempt
	res, _ := hook.V2().Batch(context.Background(), cmds)
	for _, c := range res.Commands {
		fmt.Println(c.Name, c.State)
	}
	for _, c := range s.Audit().CommandLog {
		fmt.Println(strings.TrimSpace(fmt.Sprintln(c.Request, c.Key, c.Outcome, c.Fault)))
	}
	// Output:
	// u1 ambiguous
	// u2 ambiguous
	// u3 ambiguous
	// 1 u1 done
	// 1 u2 fault reset
	// 1 u3 not-executed
}

// A fault for the n-th request, whatever its method.
func ExampleServer_FailRequest() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	s.FailRequest(2, b24test.FaultBadGateway)
	for range 3 {
		resp, err := s.Client().Get(s.WebhookURL() + "server.time")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	for _, r := range s.Audit().Log {
		fmt.Println(strings.TrimSpace(fmt.Sprintln(r.Seq, r.Status, r.Fault)))
	}
	// Output:
	// 200
	// 502
	// 200
	// 1 200
	// 2 502 bad-gateway
	// 3 200
}

// An error with its HTTP status; the event methods refuse a webhook
// (WRONG_AUTH_TYPE, 403) unless a stub makes them answer.
func ExampleFails() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	hook := s.Hook()
	var e *b24.APIError
	_, err := hook.V2().Call(context.Background(), "event.bind", map[string]any{"event": "ONCRMDEALADD"})
	fmt.Println(errors.As(err, &e), e.Status, e.Code)

	s.On("crm.deal.add", b24test.Fails(403, "ACCESS_DENIED", "Access denied"))
	_, err = hook.V2().Call(context.Background(), "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "x"}})
	fmt.Println(errors.As(err, &e), e.Status, e.Code)
	// Output:
	// true 403 WRONG_AUTH_TYPE
	// true 403 ACCESS_DENIED
}

// The faults that answer wrong pages instead of failing, and the one that
// moves the portal.
func ExampleFault_list() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	page := func() string {
		resp, err := s.Client().Get(s.WebhookURL() + "crm.deal.list?select[]=ID&start=50")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		first, _, _ := strings.Cut(string(body), "},")
		return first + "}"
	}
	fmt.Println("normal:", page())
	s.FailNext("crm.deal.list", 1, b24test.FaultIgnoreStart)
	fmt.Println("ignore-start:", page())
	s.FailNext("crm.deal.list", 1, b24test.FaultUnsorted)
	fmt.Println("unsorted:", page())

	s.FailNext("profile", 1, b24test.FaultMoved)
	_, err := s.Hook().V2().Call(context.Background(), "profile", nil)
	var moved *b24.RedirectError
	fmt.Println("moved:", errors.As(err, &moved), moved.Location)
	// Output:
	// normal: {"result":[{"ID":"55"}
	// ignore-start: {"result":[{"ID":"1"}
	// unsorted: {"result":[{"ID":"103"}
	// moved: true https://moved.b24test.invalid
}

// Secret lets a test check that the secret leaked nowhere, here in the
// error of a failed call.
func ExampleServer_Secret() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	s.FailNext("profile", 1, b24test.FaultEchoBody)
	_, err := s.Hook().V2().Call(context.Background(), "profile", nil)
	fmt.Println(err != nil, strings.Contains(fmt.Sprint(err), s.Secret()))
	// Output:
	// true false
}
