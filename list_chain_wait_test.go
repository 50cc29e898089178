package b24_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// TestListChainRefusalBound has the portal refuse the list method's batch
// commands with OPERATION_TIME_LIMIT (no reset time given) a few times, or
// for good. A few refusals are waited out: every row, complete. Refusals for
// good end the walk failed within RetryPolicy.MaxRefusalWait (plus the
// limiter's hold), with an error that is ErrOperationTimeLimit, never
// complete with rows missing.
func TestListChainRefusalBound(t *testing.T) {
	const maxWait = 3 * time.Minute
	for _, tc := range []struct {
		refusals, shards int
		fails            bool
	}{{3, 1, false}, {3, 3, false}, {1000, 1, true}, {1000, 3, true}} {
		t.Run(strconv.Itoa(tc.refusals)+" refusals, shards "+strconv.Itoa(tc.shards), func(t *testing.T) {
			portal(t, b24test.Seed{Deals: 3000}, func(t *testing.T, s *b24test.Server, h0 *b24.Hook) {
				p := h0.RestrictionParams()
				p.Retry.MaxRefusalWait = maxWait
				rt := &countRefusals{next: s.Client().Transport}
				h := s.Hook(b24.WithHTTPClient(&http.Client{Transport: rt}), b24.WithRestrictionParams(p))
				want := truth(t, h, deals, nil)
				s.FailNext("crm.deal.list", tc.refusals, b24test.FaultOperating)
				start := time.Now()
				got, rep, err := collect(t, h, deals, nil, b24.WithConcurrency(tc.shards))
				took := time.Since(start)
				if rt.n.Load() == 0 {
					t.Fatal("the portal refused no command: the test proves nothing")
				}
				if !tc.fails {
					if err != nil || rep.End != b24.ListComplete || len(got) != len(want) {
						t.Fatalf("err %v, %d of %d rows, report %+v", err, len(got), len(want), rep)
					}
					return
				}
				if !errors.Is(err, b24.ErrOperationTimeLimit) || rep.End == b24.ListComplete || rep.Err == nil || len(got) == len(want) {
					t.Fatalf("err %v (want ErrOperationTimeLimit), %d rows, report %+v", err, len(got), rep)
				}
				if limit := maxWait + p.Operating.Window; took > limit { // plus one hold of the limiter
					t.Fatalf("the walk took %v, want at most %v", took, limit)
				}
				t.Logf("%d refused, %d requests, took %v: %v", rt.n.Load(), rep.Requests, took, err)
			})
		})
	}
}
