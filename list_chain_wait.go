package b24

import (
	"context"
	"fmt"
	"time"

	"github.com/b24go/b24/limit"
)

// chainWait paces the resends of chained and probe commands that the portal
// refused inside a batch that ran (OPERATION_TIME_LIMIT, QUERY_LIMIT_EXCEEDED):
// they did not run, so they are sent again, for at most
// RetryPolicy.MaxRefusalWait in total since the first refusal (the
// limiter's holds included, as for a Call).
type chainWait struct {
	p     RestrictionParams
	delay time.Duration
	first time.Time // the first refusal; zero before it
}

func (w *walk[T]) newChainWait() *chainWait {
	p := w.api.h.RestrictionParams()
	return &chainWait{p: p, delay: p.Retry.BaseDelay}
}

// wait sleeps before the resend: until the method's operating_reset_at when
// a command of res reported one (clamped by SaneReport), else the backoff
// delay. The limiter has already learned the block from the batch. It fails
// with what, wrapping failure, once MaxRefusalWait is spent.
func (c *chainWait) wait(ctx context.Context, method, what string, res *BatchResult, failure error) error {
	now := time.Now()
	if c.first.IsZero() {
		c.first = now
	}
	waited := now.Sub(c.first)
	left := c.p.Retry.MaxRefusalWait - waited
	if left <= 0 {
		return fmt.Errorf("b24: %s: %s still refused after %v: %w", method, what, waited.Round(time.Millisecond), failure)
	}
	d := c.delay
	if reset, ok := chainResetAt(res, method, now, c.p.Operating.Window); ok && reset.After(now) {
		d = reset.Sub(now)
	}
	d = min(d, left)
	if err := sleepCtx(ctx, d); err != nil {
		return err
	}
	c.delay = min(2*c.delay, c.p.Retry.MaxDelay)
	return nil
}

// chainResetAt is the latest sane operating_reset_at that res's commands of
// method reported.
func chainResetAt(res *BatchResult, method string, now time.Time, window time.Duration) (time.Time, bool) {
	var best time.Time
	if res == nil {
		return best, false
	}
	for i := range res.Commands {
		cr := &res.Commands[i]
		if cr.Method != method {
			continue
		}
		at, ok := cr.Time.ResetAt()
		if !ok {
			continue
		}
		r, ok := limit.SaneReport(limit.OperatingReport{Method: method, ResetAt: at}, now, window)
		if ok && r.ResetAt.After(best) {
			best = r.ResetAt
		}
	}
	return best, !best.IsZero()
}
