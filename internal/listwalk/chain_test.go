package listwalk

import (
	"testing"
	"time"
)

// TestChainResetAt: the wait before resending refused chained commands runs
// to the latest reset of the walk's method (the Caller has sanitised each),
// and ignores other methods and commands without one.
func TestChainResetAt(t *testing.T) {
	now := time.Unix(1_769_500_000, 0)
	for _, tc := range []struct {
		name string
		cmds []Answer
		want time.Time // zero: none
	}{
		{"none", nil, time.Time{}},
		{"no figure", []Answer{{Method: "crm.deal.list"}}, time.Time{}},
		{"latest", []Answer{{Method: "crm.deal.list", ResetAt: now.Add(30 * time.Second)}, {Method: "crm.deal.list", ResetAt: now.Add(90 * time.Second)}, {Method: "crm.deal.list"}}, now.Add(90 * time.Second)},
		{"other method", []Answer{{Method: "crm.lead.list", ResetAt: now.Add(90 * time.Second)}}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := chainResetAt(tc.cmds, "crm.deal.list")
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Fatalf("got %v %v, want %v", got, ok, tc.want)
			}
		})
	}
}
