package limit

import (
	"context"
	"math"
	"time"

	"github.com/b24go/b24/internal/wait"
)

// The portal-side bound of a request bucket (issue 16, docs/limits.md): the
// token bucket counts a request when it admits it, the portal when it
// arrives, and a request held on its way while the portal's bucket was empty
// lands on top of the next burst. So a bucket also keeps an upper bound on
// the portal's own level: a leaky bucket fed by each answered request at the
// latest time it can have arrived (the answer less the portal's own time for
// it), plus every request in flight counted as arrived and not drained.

// portalLevel returns the bound on the portal's level at now from the
// answered requests. The caller holds localLimiter.mu.
func (b *bucket) portalLevel(now time.Time) float64 {
	if b.level <= 0 {
		return 0
	}
	return max(0, b.level-b.drain*max(0, now.Sub(b.levelAt).Seconds()))
}

// arrived adds a request that reached the portal at the latest at at. An
// estimate before the last one is moved to it: a later arrival never lowers
// the level, so the bound stays sound. The caller holds localLimiter.mu.
func (b *bucket) arrived(at time.Time) {
	if at.Before(b.levelAt) {
		at = b.levelAt
	}
	b.level = b.portalLevel(at) + 1
	b.levelAt = at
}

// landedLocked settles one request of the flight: when it was sent, it
// arrived at the latest at now less the portal's own time for it (the
// answer's finish − start, trusted only within the request's wall time).
// The caller holds localLimiter.mu.
func (b *bucket) landedLocked(now time.Time, o Outcome) {
	if b.flying > 0 {
		b.flying--
	}
	if o.Sent {
		b.arrived(now.Add(-min(max(o.Processing, 0), max(o.Elapsed, 0))))
	}
	if b.landed != nil {
		close(b.landed)
		b.landed = nil
	}
}

// waitArrivals waits until the portal's bucket, bounded as above, has room
// for one more request below the headroom the token bucket keeps, and counts
// the request in flight. It reports whether it waited.
func (l *localLimiter) waitArrivals(ctx context.Context, b *bucket) (bool, error) {
	waited := false
	for {
		l.mu.Lock()
		room := float64(b.lim.Burst())
		excess := b.portalLevel(time.Now()) + float64(b.flying+1) - room
		if excess <= 0 {
			b.flying++
			l.mu.Unlock()
			return waited, nil
		}
		if b.landed == nil {
			b.landed = make(chan struct{})
		}
		wake := b.landed
		d := time.Duration(math.MaxInt64) // only an answer makes room
		if float64(b.flying+1) <= room {
			d = time.Duration(math.Ceil(excess / b.drain * float64(time.Second)))
		}
		l.mu.Unlock()
		waited = true
		if err := wait.For(ctx, max(d, 1), wake); err != nil {
			return waited, err
		}
	}
}
