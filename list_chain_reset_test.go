package b24

import (
	"testing"
	"time"
)

// TestChainResetAt: the wait before resending refused chained commands runs
// to the latest operating_reset_at of the walk's method, sanitised by
// SaneReport (a reset in milliseconds is read as such, one far ahead is
// clamped to the window), and ignores other methods and absent figures.
func TestChainResetAt(t *testing.T) {
	now := time.Unix(1_769_500_000, 0)
	window := 10 * time.Minute
	at := func(sec float64) *Timing { return &Timing{OperatingResetAt: &sec} }
	for _, tc := range []struct {
		name string
		cmds []CommandResult
		want time.Time // zero: none
	}{
		{"none", nil, time.Time{}},
		{"no figure", []CommandResult{{Method: "crm.deal.list"}, {Method: "crm.deal.list", Time: &Timing{}}}, time.Time{}},
		{"latest", []CommandResult{{Method: "crm.deal.list", Time: at(1_769_500_030)}, {Method: "crm.deal.list", Time: at(1_769_500_090)}}, now.Add(90 * time.Second)},
		{"other method", []CommandResult{{Method: "crm.lead.list", Time: at(1_769_500_090)}}, time.Time{}},
		{"milliseconds", []CommandResult{{Method: "crm.deal.list", Time: at(1_769_500_060_000)}}, now.Add(time.Minute)},
		{"far ahead", []CommandResult{{Method: "crm.deal.list", Time: at(1_769_600_000)}}, now.Add(window)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := chainResetAt(&BatchResult{Commands: tc.cmds}, "crm.deal.list", now, window)
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Fatalf("got %v %v, want %v", got, ok, tc.want)
			}
		})
	}
}
