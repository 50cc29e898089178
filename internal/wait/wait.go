// Package wait holds the one cancellable sleep every limiter and the fake
// portal use.
package wait

import (
	"context"
	"time"
)

// For waits d, or until wake is closed or receives (a nil wake never does),
// or until ctx ends; only the last returns an error, the context's. A d <= 0
// returns at once with ctx.Err().
func For(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
