package b24test

import (
	"context"
	"fmt"
	"time"

	"github.com/b24go/b24/internal/wait"
)

// Clock is the server's time source. The default is the time package, which
// testing/synctest fakes inside a bubble; inject another with WithClock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits d, or until ctx ends (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error { return wait.For(ctx, d, nil) }

// offsetClock is a portal clock set off the host's by a fixed offset
// (WithClockOffset): every date the portal writes and reports is shifted.
type offsetClock struct {
	Clock
	off time.Duration
}

func (c offsetClock) Now() time.Time { return c.Clock.Now().Add(c.off) }

// maxClockOffset bounds WithClockOffset: a portal a day off is a portal
// whose administrator has noticed.
const maxClockOffset = 24 * time.Hour

// WithClockOffset sets the portal's clock d ahead of the server's clock
// (behind when negative; at most a day either way): DATE_MODIFY and the
// other dates writes set, server.time and the time block are all in this
// portal time, as a portal whose clock is off the client's.
func WithClockOffset(d time.Duration) Option {
	return func(cfg *config) error {
		if d < -maxClockOffset || d > maxClockOffset {
			return fmt.Errorf("%w: WithClockOffset: %v is beyond ±24h", ErrInvalidOption, d)
		}
		cfg.clockOffset = d
		return nil
	}
}
