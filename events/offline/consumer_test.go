package offline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events/offline"
	"github.com/b24go/b24/internal/php"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// setup starts a fake with ONCRMDEALADD and ONCRMDEALUPDATE bound offline
// and returns it and an application Hook.
func setup(t *testing.T) (*b24test.Server, *b24.Hook) {
	t.Helper()
	s := b24test.NewServer(t, b24test.InMemory(), b24test.WithoutLimits())
	h := s.AppHook("app.offline", "app-secret")
	for _, ev := range []string{"ONCRMDEALADD", "ONCRMDEALUPDATE"} {
		if err := offline.Bind(context.Background(), h, offline.Binding{Event: ev, Offline: true}); err != nil {
			t.Fatal(err)
		}
	}
	return s, h
}

func consumer(t *testing.T, h *b24.Hook, cfg offline.Config) *offline.Consumer {
	t.Helper()
	if cfg.ProcessID == "" {
		cfg.ProcessID = "test-consumer"
	}
	cfg.Logger = quiet
	c, err := offline.New(h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// addDeals adds n deals (ONCRMDEALADD each) and returns their ids.
func addDeals(t *testing.T, h *b24.Hook, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id, _, err := b24.CallAs[b24.ID](context.Background(), h.V2(), "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": fmt.Sprint("d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fmt.Sprint(int64(id)))
	}
	return ids
}

func key(e offline.Event) string { return e.Name + ":" + e.ID }

// TestDrain: every event is handed over once, cleared, and the queue ends
// empty; the fields are decoded.
func TestDrain(t *testing.T) {
	s, h := setup(t)
	ids := addDeals(t, h, 7)
	got := map[string]int{}
	st, err := consumer(t, h, offline.Config{Limit: 3}).Drain(context.Background(), func(_ context.Context, e offline.Event) error {
		if e.Entity != "CRMDEAL" || e.Action != "ADD" || e.RecordID <= 0 || e.MessageID == "" || e.Time.IsZero() || e.UserID != "1" {
			t.Errorf("event fields: %+v", e)
		}
		got[key(e)]++
		return nil
	})
	if err != nil || st.Handled != 7 || st.Failed != 0 {
		t.Fatalf("Drain: %+v %v", st, err)
	}
	for _, id := range ids {
		if got["ONCRMDEALADD:"+id] != 1 {
			t.Errorf("deal %s handled %d times", id, got["ONCRMDEALADD:"+id])
		}
	}
	if n := s.OfflineRecords(""); n != 0 {
		t.Fatalf("records left: %d", n)
	}
}

// TestFailedRetried: a failed event is marked failed (not cleared, not
// lost), offered again with Retry set, and cleared once handled.
func TestFailedRetried(t *testing.T) {
	s, h := setup(t)
	ids := addDeals(t, h, 3)
	tries := map[string]int{}
	var retried []bool
	c := consumer(t, h, offline.Config{})
	fn := func(_ context.Context, e offline.Event) error {
		tries[e.ID]++
		if e.ID == ids[1] {
			retried = append(retried, e.Retry)
			if tries[e.ID] < 3 {
				return errors.New("not yet")
			}
		}
		return nil
	}
	st, err := c.Drain(context.Background(), fn) // fails, then fails again on the failed pass
	if err != nil || st.Handled != 2 || st.Failed != 2 {
		t.Fatalf("first Drain: %+v %v", st, err)
	}
	if n := s.OfflineRecords(""); n != 1 {
		t.Fatalf("records after a failure: %d, want the failed one", n)
	}
	st, err = c.Drain(context.Background(), fn)
	if err != nil || st.Handled != 1 || st.Failed != 0 || fmt.Sprint(retried) != "[false true true]" {
		t.Fatalf("second Drain: %+v %v, retried %v", st, err, retried)
	}
	if n := s.OfflineRecords(""); n != 0 {
		t.Fatalf("records left: %d", n)
	}
}

// TestLostGetAnswer: event.offline.get runs and its answer is lost: the
// call is not resent blindly (ErrAmbiguous), the consumer finds the records
// held by its process id and takes them back; none is lost.
func TestLostGetAnswer(t *testing.T) {
	s, h := setup(t)
	ids := addDeals(t, h, 4)
	s.FailNext("event.offline.get", 1, b24test.FaultReset)
	_, err := h.V2().Call(context.Background(), "event.offline.get", map[string]any{"clear": 0, "process_id": "test-consumer"})
	if !errors.Is(err, b24.ErrAmbiguous) {
		t.Fatalf("a lost get answer: %v, want ErrAmbiguous (never resent)", err)
	}
	s.FailNext("event.offline.get", 1, b24test.FaultReset) // and once more inside Drain
	got := map[string]bool{}
	st, err := consumer(t, h, offline.Config{}).Drain(context.Background(), func(_ context.Context, e offline.Event) error {
		got[e.ID] = true
		return nil
	})
	if err != nil || st.Lost != 1 || st.Recovered != 8 || st.Handled != 4 {
		t.Fatalf("Drain: %+v %v", st, err)
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("deal %s never handled", id)
		}
	}
	if n := s.OfflineRecords(""); n != 0 {
		t.Fatalf("records left: %d", n)
	}
}

// TestCancelKeepsTheRest: a cancelled Drain clears what was handled; the
// rest stays held and the next consumer with the process id takes it back.
func TestCancelKeepsTheRest(t *testing.T) {
	s, h := setup(t)
	addDeals(t, h, 6)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	st, err := consumer(t, h, offline.Config{}).Drain(ctx, func(context.Context, offline.Event) error {
		if n++; n == 3 {
			cancel()
			return errors.New("interrupted")
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || st.Handled != 2 || st.Failed != 0 {
		t.Fatalf("cancelled Drain: %+v %v", st, err)
	}
	if left := s.OfflineRecords(""); left != 4 {
		t.Fatalf("records after the cancel: %d, want 4", left)
	}
	st, err = consumer(t, h, offline.Config{}).Drain(context.Background(), func(context.Context, offline.Event) error { return nil })
	if err != nil || st.Handled != 4 || st.Recovered != 4 {
		t.Fatalf("next Drain: %+v %v", st, err)
	}
}

// TestChangeWhileHandled: a change merged into a record while it is handled
// is not cleared with it: the event comes again.
func TestChangeWhileHandled(t *testing.T) {
	_, h := setup(t)
	ids := addDeals(t, h, 1)
	ctx := context.Background()
	b24.CallAs[bool](ctx, h.V2(), "crm.deal.update", map[string]any{"id": ids[0], "fields": map[string]any{"TITLE": "a"}})
	seen := 0
	st, err := consumer(t, h, offline.Config{}).Drain(ctx, func(_ context.Context, e offline.Event) error {
		if e.Action == "UPDATE" {
			if seen++; seen == 1 {
				b24.CallAs[bool](ctx, h.V2(), "crm.deal.update", map[string]any{"id": ids[0], "fields": map[string]any{"TITLE": "b"}})
			}
		}
		return nil
	})
	if err != nil || seen != 2 || st.Handled != 3 {
		t.Fatalf("Drain: %+v %v, update seen %d times, want 2", st, err, seen)
	}
}

// TestConnector: a consumer of a connector's queue does not see the writes
// made with that connector.
func TestConnector(t *testing.T) {
	_, h := setup(t)
	ctx := context.Background()
	if err := offline.Bind(ctx, h, offline.Binding{Event: "ONCRMDEALUPDATE", Offline: true, Connector: "sync"}); err != nil {
		t.Fatal(err)
	}
	ids := addDeals(t, h, 2)
	b24.CallAs[bool](ctx, h.V2(), "crm.deal.update", map[string]any{"id": ids[0], "fields": map[string]any{"TITLE": "mine"}, "auth_connector": "sync"})
	b24.CallAs[bool](ctx, h.V2(), "crm.deal.update", map[string]any{"id": ids[1], "fields": map[string]any{"TITLE": "theirs"}})
	var got []string
	_, err := consumer(t, h, offline.Config{Connector: "sync"}).Drain(ctx, func(_ context.Context, e offline.Event) error {
		got = append(got, e.ID)
		return nil
	})
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]string{ids[1]}) {
		t.Fatalf("connector's queue: %v %v", got, err)
	}
}

// TestBindings: Bind, Bindings and Unbind, and the arguments they refuse
// before any request.
func TestBindings(t *testing.T) {
	_, h := setup(t)
	ctx := context.Background()
	if err := offline.Bind(ctx, h, offline.Binding{Event: "ONCRMDEALDELETE", Handler: "https://example.com/h"}); err != nil {
		t.Fatal(err)
	}
	bs, err := offline.Bindings(ctx, h)
	if err != nil || fmt.Sprint(bs) != "[{ONCRMDEALADD  true 0 } {ONCRMDEALUPDATE  true 0 } {ONCRMDEALDELETE https://example.com/h false 0 }]" {
		t.Fatalf("Bindings: %v %v", bs, err)
	}
	var apiErr *b24.APIError
	if err := offline.Bind(ctx, h, offline.Binding{Event: "ONCRMDEALADD", Offline: true}); !errors.As(err, &apiErr) {
		t.Fatalf("binding twice: %v", err)
	}
	if n, err := offline.Unbind(ctx, h, offline.Binding{Event: "ONCRMDEALADD", Offline: true}); n != 1 || err != nil {
		t.Fatalf("Unbind: %d %v", n, err)
	}
	for _, b := range []offline.Binding{{}, {Event: "X"}, {Event: "X", Offline: true, Handler: "https://h"},
		{Event: "X", Handler: "https://h", Connector: "c"}, {Event: "X", Offline: true, AuthType: -1}} {
		if err := offline.Bind(ctx, h, b); !errors.Is(err, offline.ErrInvalid) {
			t.Errorf("Bind(%+v): %v", b, err)
		}
	}
}

// TestConfig: the options New refuses.
func TestConfig(t *testing.T) {
	s := b24test.NewServer(t, b24test.InMemory())
	h := s.AppHook("app.offline", "app-secret")
	for _, tc := range []struct {
		cfg  offline.Config
		want string
	}{
		{offline.Config{}, "ProcessID"},
		{offline.Config{ProcessID: "has space"}, "ProcessID"},
		{offline.Config{ProcessID: strings.Repeat("p", 65)}, "ProcessID"},
		{offline.Config{ProcessID: "p", Limit: -1}, "Limit"},
		{offline.Config{ProcessID: "p", Limit: 1001}, "Limit"},
		{offline.Config{ProcessID: "p", Poll: time.Millisecond}, "Poll"},
		{offline.Config{ProcessID: "p", Poll: time.Minute, RetryFailed: time.Second}, "RetryFailed"},
		{offline.Config{ProcessID: "p", Connector: strings.Repeat("c", 129)}, "Connector"},
	} {
		if _, err := offline.New(h, tc.cfg); !errors.Is(err, offline.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want an ErrInvalid about %s", tc.cfg, err, tc.want)
		}
	}
	if _, err := offline.New(nil, offline.Config{ProcessID: "p"}); !errors.Is(err, offline.ErrInvalid) {
		t.Errorf("New(nil): %v", err)
	}
}

// TestFollow: Follow picks up events raised while it runs, offers a failed
// event again only after RetryFailed, and returns the context's error.
func TestFollow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, h := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var mu sync.Mutex // the handler runs in Follow's goroutine
		var handled []string
		tries := 0
		state := func() (string, int) { mu.Lock(); defer mu.Unlock(); return fmt.Sprint(handled), tries }
		done := make(chan error, 1)
		c := consumer(t, h, offline.Config{Poll: time.Second, RetryFailed: 10 * time.Second})
		go func() {
			done <- c.Follow(ctx, func(_ context.Context, e offline.Event) error {
				mu.Lock()
				defer mu.Unlock()
				if e.Action == "UPDATE" {
					if tries++; tries == 1 {
						return errors.New("later")
					}
				}
				handled = append(handled, e.Action)
				return nil
			})
		}()
		time.Sleep(500 * time.Millisecond) // the first pass (and its failed pass) is over
		ids := addDeals(t, h, 2)
		b24.CallAs[bool](ctx, h.V2(), "crm.deal.update", map[string]any{"id": ids[0], "fields": map[string]any{"TITLE": "u"}})
		time.Sleep(1500 * time.Millisecond) // one poll
		synctest.Wait()
		if h, n := state(); h != "[ADD ADD]" || n != 1 {
			t.Fatalf("after a poll: handled %v, update tried %d times", h, n)
		}
		time.Sleep(10 * time.Second) // RetryFailed
		synctest.Wait()
		if h, n := state(); h != "[ADD ADD UPDATE]" || n != 2 || s.OfflineRecords("") != 0 {
			t.Fatalf("after RetryFailed: handled %v, tries %d, records %d", h, n, s.OfflineRecords(""))
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow returned %v", err)
		}
	})
}

// TestHostilePortal: answers the consumer must not trust end the pass with
// an error: a record without a usable ID, a portal that answers the clear
// but does not clear (the same batch comes back), an error read that
// ignores the id filter.
func TestHostilePortal(t *testing.T) {
	for name, tc := range map[string]struct {
		method, result, want string
	}{
		"bad ID":          {"event.offline.get", `{"process_id":"test-consumer","events":[{"ID":"x","MESSAGE_ID":"m","EVENT_NAME":"ONCRMDEALADD"}]}`, "a record with ID"},
		"no message id":   {"event.offline.get", `{"process_id":"test-consumer","events":[{"ID":"5","EVENT_NAME":"ONCRMDEALADD"}]}`, "no usable MESSAGE_ID"},
		"clear ignored":   {"event.offline.clear", `true`, "did not clear"},
		"not an object":   {"event.offline.get", `[1,2]`, "answer"},
		"list not a list": {"event.offline.list", `"x"`, "answer"},
	} {
		t.Run(name, func(t *testing.T) {
			s, h := setup(t)
			addDeals(t, h, 2)
			v, err := php.DecodeJSON([]byte(tc.result))
			if err != nil {
				t.Fatal(err)
			}
			s.OnResult(tc.method, v)
			_, err = consumer(t, h, offline.Config{}).Drain(context.Background(), func(context.Context, offline.Event) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Drain: %v, want an error about %q", err, tc.want)
			}
		})
	}
	t.Run("filter ignored", func(t *testing.T) {
		s, h := setup(t)
		addDeals(t, h, 3)
		c := consumer(t, h, offline.Config{Limit: 1})
		c.Drain(context.Background(), func(context.Context, offline.Event) error { return errors.New("fail all") })
		s.On("event.offline.get", func(call *b24test.Call) (b24test.Result, *b24test.Error) {
			call.Params.Delete("filter") // a portal that ignores it
			return call.Run()
		})
		_, err := c.Drain(context.Background(), func(context.Context, offline.Event) error { return errors.New("fail again") })
		if err == nil || !strings.Contains(err.Error(), "ignored the filter") {
			t.Fatalf("Drain: %v", err)
		}
	})
}

// TestAll: the iterator clears the events the loop went past; a break
// leaves the event it broke on and the rest in the queue; a pass error is
// yielded.
func TestAll(t *testing.T) {
	s, h := setup(t)
	addDeals(t, h, 5)
	c := consumer(t, h, offline.Config{})
	n := 0
	for e, err := range c.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 || e.ID == "" {
			break
		}
	}
	if left := s.OfflineRecords(""); left != 3 {
		t.Fatalf("records after a break at the third: %d, want 3", left)
	}
	n = 0
	for _, err := range c.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 || s.OfflineRecords("") != 0 {
		t.Fatalf("second loop: %d events, %d records left", n, s.OfflineRecords(""))
	}
	s.OnError("event.offline.list", "ACCESS_DENIED", "no")
	n = 0
	for e, err := range c.All(context.Background()) {
		if n++; err == nil || e.RecordID != 0 {
			t.Fatalf("yielded %+v, %v; want the pass's error", e, err)
		}
	}
	if n != 1 {
		t.Fatalf("the pass's error yielded %d times", n)
	}
}
