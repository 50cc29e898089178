package wait

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := For(t.Context(), 3*time.Second, nil); err != nil || time.Since(start) != 3*time.Second {
			t.Fatalf("timer: %v after %v", err, time.Since(start))
		}
		wake := make(chan struct{})
		go func() { time.Sleep(time.Second); close(wake) }()
		start = time.Now()
		if err := For(t.Context(), time.Hour, wake); err != nil || time.Since(start) != time.Second {
			t.Fatalf("wake: %v after %v", err, time.Since(start))
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { time.Sleep(2 * time.Second); cancel() }()
		start = time.Now()
		if err := For(ctx, time.Hour, nil); !errors.Is(err, context.Canceled) || time.Since(start) != 2*time.Second {
			t.Fatalf("cancel: %v after %v", err, time.Since(start))
		}
		if err := For(ctx, 0, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("d = 0 with an ended context: %v", err)
		}
		if err := For(t.Context(), -time.Second, nil); err != nil {
			t.Fatalf("d < 0: %v", err)
		}
	})
}
