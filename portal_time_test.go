package b24

import (
	"math"
	"testing"
	"time"
)

// TestPortalTime: the portal's own time for a request, a lower bound the
// limiter dates the request's arrival by (issue 16): a whole-second start
// may hide up to a second, processing is a floor, absurd figures give 0.
func TestPortalTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		tm   *Timing
		want time.Duration
	}{
		{"no time block", nil, 0},
		{"legacy start with a fraction", &Timing{Start: 100.25, Finish: 100.75}, 500 * time.Millisecond},
		{"whole-second start hides up to a second", &Timing{Start: 100, Finish: 101.5}, 500 * time.Millisecond},
		{"whole-second start, short request", &Timing{Start: 100, Finish: 100.4}, 0},
		{"processing is a floor", &Timing{Start: 100, Finish: 102.5, Processing: 2}, 2 * time.Second},
		{"finish before start", &Timing{Start: 100.5, Finish: 99}, 0},
		{"NaN", &Timing{Start: math.NaN(), Finish: 100}, 0},
		{"infinite finish is capped", &Timing{Start: 100, Finish: math.Inf(1)}, 1e6 * time.Second},
		{"infinite processing is capped", &Timing{Processing: math.Inf(1)}, 1e6 * time.Second},
	} {
		if got := portalTime(tc.tm); got != tc.want {
			t.Errorf("%s: portalTime = %v, want %v", tc.name, got, tc.want)
		}
	}
}
