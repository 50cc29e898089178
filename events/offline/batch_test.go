package offline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events/offline"
)

// TestDrainBatch: each get's records are handed together and settled
// together: all cleared in one event.offline.clear when fn returns nil;
// all marked failed on an error (none lost: offered again); only the
// rejected ones marked failed on a *Rejected; nothing settled when ctx
// ends inside fn (held, taken back); a lost clear answer is resent (the
// clear is idempotent) and nothing is lost or cleared unhandled.
func TestDrainBatch(t *testing.T) {
	for name, tc := range map[string]struct {
		fail     func(s *b24test.Server)
		fn       func(calls int, evs []offline.Event) error
		handled  int // Stats.Handled of the first DrainBatch
		failed   int
		left     int // records after it
		clears   int // event.offline.clear requests it sent (200 answers)
		attempts int // of them, attempts in all (resets included)
	}{
		"all handled": {fn: func(int, []offline.Event) error { return nil }, handled: 7, left: 0, clears: 3, attempts: 3},
		"error fails the batch": {fn: func(calls int, evs []offline.Event) error {
			if calls == 1 {
				return errors.New("db down")
			}
			return nil
		}, handled: 7, failed: 3, left: 0, clears: 3, attempts: 3}, // retried in the failed pass
		"rejected": {fn: func(calls int, evs []offline.Event) error {
			if evs[0].Retry {
				return &offline.Rejected{Index: []int{0}} // still not ours
			}
			return &offline.Rejected{Index: []int{0}, Err: errors.New("another entity")}
		}, handled: 6, failed: 4, left: 1, clears: 3, attempts: 3}, // 3 rejected, 1 of them again on the failed pass
		"bad index fails all": {fn: func(int, []offline.Event) error { return &offline.Rejected{Index: []int{9}} },
			handled: 0, failed: 14, left: 7, clears: 0}, // twice: both passes
		"lost clear answer": {fail: func(s *b24test.Server) { s.FailNext("event.offline.clear", 1, b24test.FaultReset) },
			fn: func(int, []offline.Event) error { return nil }, handled: 7, left: 0, clears: 3, attempts: 4},
	} {
		t.Run(name, func(t *testing.T) {
			s, h := setup(t)
			addDeals(t, h, 7)
			if tc.fail != nil {
				tc.fail(s)
			}
			calls, seen := 0, map[string]int{}
			st, err := consumer(t, h, offline.Config{Limit: 3}).DrainBatch(context.Background(), func(_ context.Context, evs []offline.Event) error {
				calls++
				if len(evs) == 0 || len(evs) > 3 {
					t.Errorf("a batch of %d events", len(evs))
				}
				for _, e := range evs {
					seen[e.ID]++
				}
				return tc.fn(calls, evs)
			})
			if err != nil || st.Handled != tc.handled || st.Failed != tc.failed {
				t.Fatalf("DrainBatch: %+v %v", st, err)
			}
			if n := s.OfflineRecords(""); n != tc.left {
				t.Fatalf("records left: %d, want %d", n, tc.left)
			}
			a := s.Audit().ByMethod["event.offline.clear"]
			if a[200] != tc.clears || sum(a) != tc.attempts {
				t.Fatalf("event.offline.clear requests %v, want %d answered of %d", a, tc.clears, tc.attempts)
			}
			if len(seen) != 7 {
				t.Fatalf("%d events handed over, want 7", len(seen))
			}
		})
	}
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestDrainBatchCancel: ctx ending inside fn settles nothing: the batch
// stays held under the process id and the next DrainBatch takes it back.
func TestDrainBatchCancel(t *testing.T) {
	s, h := setup(t)
	addDeals(t, h, 5)
	ctx, cancel := context.WithCancel(context.Background())
	c := consumer(t, h, offline.Config{Limit: 3})
	_, err := c.DrainBatch(ctx, func(ctx context.Context, evs []offline.Event) error {
		cancel()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("DrainBatch: %v", err)
	}
	if n := s.OfflineRecords(""); n != 5 {
		t.Fatalf("records after a cancel: %d, want 5", n)
	}
	got := 0
	st, err := c.DrainBatch(context.Background(), func(_ context.Context, evs []offline.Event) error {
		got += len(evs)
		return nil
	})
	if err != nil || got != 5 || st.Recovered != 3 || s.OfflineRecords("") != 0 {
		t.Fatalf("second DrainBatch: %+v %v, %d events, %d left", st, err, got, s.OfflineRecords(""))
	}
}
