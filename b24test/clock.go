package b24test

import (
	"context"
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
