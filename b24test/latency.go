package b24test

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Latency is the server-time model: how long a call takes, before the time
// scale divides it. The server really waits that long on its clock, reports
// it as the call's "processing" time and charges it to the operating budget.
// A batch takes the sum of its commands.
type Latency struct {
	Request     time.Duration // every call (default 20 ms)
	RowReturned time.Duration // each row returned (default 50 µs)
	RowCounted  time.Duration // each row counted for "total" when start >= 0 (default 20 µs)
	RowSkipped  time.Duration // each row skipped to reach an offset (default 2 µs)
	Write       time.Duration // each record written (default 5 ms)
	// Spread, above 0, multiplies each call's time by a log-normal factor
	// of median 1 and this σ, drawn from the seed: request costs that vary
	// as on a real portal (0.5: a quarter of the calls cost 1.4× or more).
	Spread float64
}

// DefaultLatency returns the default latency model, fixed so that every
// benchmark against the fake means the same thing.
func DefaultLatency() Latency {
	return Latency{Request: 20 * time.Millisecond, RowReturned: 50 * time.Microsecond,
		RowCounted: 20 * time.Microsecond, RowSkipped: 2 * time.Microsecond, Write: 5 * time.Millisecond}
}

// cost returns the modelled time of a call that charged c, at time scale k.
func (l Latency) cost(c callCost, k float64) time.Duration {
	d := l.Request +
		time.Duration(c.returned)*l.RowReturned +
		time.Duration(c.counted)*l.RowCounted +
		time.Duration(c.skipped)*l.RowSkipped +
		time.Duration(c.writes)*l.Write
	return scaleDur(d, k)
}

// spreader draws the log-normal factors of Latency.Spread.
type spreader struct {
	mu    sync.Mutex
	rng   *rand.Rand
	sigma float64
}

func newSpreader(sigma float64, seed int64) *spreader {
	return &spreader{rng: rand.New(rand.NewPCG(uint64(seed), 16)), sigma: sigma}
}

// apply returns d times the next factor (d itself without a spread).
func (s *spreader) apply(d time.Duration) time.Duration {
	if s == nil || s.sigma <= 0 {
		return d
	}
	s.mu.Lock()
	f := math.Exp(s.sigma * s.rng.NormFloat64())
	s.mu.Unlock()
	return time.Duration(float64(d) * f)
}
