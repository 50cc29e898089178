package limit_test

import (
	"context"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

// Hooks of one portal share its request bucket through one Limiter: here
// two hooks (say, two webhooks of one portal) against a bucket of 5. Each
// with a limiter of its own would let 2 × 4 requests go at once.
func ExampleNew() {
	limits := b24test.StandardLimits()
	limits.Burst = 5
	s, err := b24test.Start(b24test.WithLimits(limits), b24test.WithTimeScale(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	p := b24.DefaultRestrictionParams()
	p.RateLimit.Burst = 5
	p = p.Scaled(100) // the fake portal's clock runs 100 times faster
	lim, err := limit.New(p.Params)
	if err != nil {
		fmt.Println(err)
		return
	}
	a := s.Hook(b24.WithLimiter(lim), b24.WithRestrictionParams(p))
	b := s.Hook(b24.WithLimiter(lim), b24.WithRestrictionParams(p))
	ctx := context.Background()
	for range 6 {
		for _, h := range []*b24.Hook{a, b} {
			if _, err := h.Call(ctx, "server.time", nil); err != nil {
				fmt.Println(err)
				return
			}
		}
	}
	audit := s.Audit()
	fmt.Println(audit.Requests, "requests,", audit.ByStatus[503], "refused")
	// Output:
	// 12 requests, 0 refused
}
