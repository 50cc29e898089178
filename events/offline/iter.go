package offline

import (
	"context"
	"errors"
	"iter"
)

// errStop ends a pass when the loop over All breaks.
var errStop = errors.New("offline: the loop stopped")

// All reads the queue as Drain does and yields its events. An event is
// handled, and its record cleared, once the loop body returns for it and
// asks for the next; breaking out of the loop leaves the event it broke on
// (and those after it) held under the process id, taken back by the next
// read. An error that ends the pass is yielded once with a zero Event.
// There is no way to mark one event failed from a loop: use Drain with a
// Func for that.
//
//	for e, err := range c.All(ctx) {
//		if err != nil {
//			return err
//		}
//		if err := refresh(ctx, e); err != nil {
//			return err // e stays in the queue
//		}
//	}
func (c *Consumer) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		_, err := c.Drain(ctx, func(_ context.Context, e Event) error {
			if !yield(e, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(Event{}, err)
		}
	}
}
