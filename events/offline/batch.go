package offline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// BatchFunc handles the records of one get at once (up to Config.Limit
// events, in queue order). Return nil once all are handled: their records
// are then cleared together, in one event.offline.clear. An error marks
// every record of the batch failed (event.offline.error; offered again on a
// later pass), except a *Rejected, which marks only the events it names.
// When ctx ends before fn returns an error, nothing is settled: the records
// stay held under the process id and come back on the next pass. As with
// Func, an event may come more than once: make fn idempotent.
type BatchFunc func(ctx context.Context, evs []Event) error

// Rejected, returned by a BatchFunc, marks the events at the indexes Index
// of the batch failed and clears the others: an event the function does not
// handle (another entity's) need not hold back the batch.
type Rejected struct {
	Index []int
	Err   error // why (logged); may be nil
}

func (r *Rejected) Error() string {
	return fmt.Sprintf("offline: %d events of the batch rejected: %v", len(r.Index), r.Err)
}

func (r *Rejected) Unwrap() error { return r.Err }

// DrainBatch is Drain with a BatchFunc: each get's records are handed to fn
// together and settled together (one clear for the handled ones), so a
// handler that can apply many events at once (one fetch of many rows, one
// transaction) costs a few requests per batch rather than one per event.
func (c *Consumer) DrainBatch(ctx context.Context, fn BatchFunc) (Stats, error) {
	return c.drain(ctx, c.batch(fn), true)
}

// FollowBatch is Follow with a BatchFunc (see DrainBatch).
func (c *Consumer) FollowBatch(ctx context.Context, fn BatchFunc) error {
	return c.follow(ctx, c.batch(fn))
}

// batch is the handler that hands the whole batch to fn and settles it.
func (c *Consumer) batch(fn BatchFunc) handler {
	return func(ctx context.Context, pid string, evs []Event, st *Stats) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn(ctx, evs)
		failed := make([]bool, len(evs))
		var rej *Rejected
		switch {
		case err == nil:
		case errors.As(err, &rej) && validIndexes(rej.Index, len(evs)):
			for _, i := range rej.Index {
				failed[i] = true
			}
		case ctx.Err() != nil:
			return ctx.Err() // nothing settled: held, taken back by the next pass
		default:
			for i := range failed {
				failed[i] = true
			}
		}
		var done, bad []string
		for i, e := range evs {
			if failed[i] {
				bad = append(bad, e.MessageID)
			} else {
				done = append(done, strconv.FormatInt(e.RecordID, 10))
			}
		}
		if len(bad) > 0 {
			c.log.Warn("offline: batch handler failed; records marked failed", "failed", len(bad), "of", len(evs), "err", err)
		}
		if err := c.settleBatch(ctx, pid, done, bad, st); err != nil {
			return err
		}
		return ctx.Err()
	}
}

// validIndexes reports whether every index is in [0, n).
func validIndexes(idx []int, n int) bool {
	for _, i := range idx {
		if i < 0 || i >= n {
			return false
		}
	}
	return true
}
