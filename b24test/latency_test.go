package b24test

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// TestLatencySpread: with Spread each call costs its modelled time times a
// log-normal factor of median 1 (σ 0.5: the middle half within ×0.71..×1.40),
// the same sequence for the same seed; without it, exactly the model.
func TestLatencySpread(t *testing.T) {
	base := 100 * time.Millisecond
	draw := func(sigma float64, seed int64) []time.Duration {
		s := newSpreader(sigma, seed)
		out := make([]time.Duration, 1001)
		for i := range out {
			out[i] = s.apply(base)
		}
		return out
	}
	if got := draw(0, 1); slices.ContainsFunc(got, func(d time.Duration) bool { return d != base }) {
		t.Fatal("Spread 0 changed a cost")
	}
	got := draw(0.5, 1)
	if !slices.Equal(got, draw(0.5, 1)) {
		t.Fatal("the same seed drew other costs")
	}
	sorted := slices.Sorted(slices.Values(got))
	med, q1, q3 := sorted[500], sorted[250], sorted[750]
	if med < 90*time.Millisecond || med > 110*time.Millisecond {
		t.Errorf("median %v, want ~%v", med, base)
	}
	if q1 < 62*time.Millisecond || q1 > 80*time.Millisecond || q3 < 125*time.Millisecond || q3 > 160*time.Millisecond {
		t.Errorf("quartiles %v..%v, want ~71..140 ms", q1, q3)
	}
	for _, bad := range []float64{-0.1, 3.1} {
		if _, err := Start(WithLatency(Latency{Spread: bad})); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("Spread %v: %v, want ErrInvalidOption", bad, err)
		}
	}
}
