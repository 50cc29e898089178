package main

import (
	"io"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestRestrictionFlags: the global flags become the limiter's parameters.
func TestRestrictionFlags(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		burst         int
		drain         float64
		opLimit       time.Duration
		adaptive      bool
		wantUsageFail bool
	}{
		{nil, 50, 2, 480 * time.Second, false, false},
		{[]string{"--plan", "enterprise"}, 250, 5, 480 * time.Second, false, false},
		{[]string{"--adaptive"}, 50, 2, 480 * time.Second, true, false},
		{[]string{"--burst", "10", "--drain", "0.5", "--op-limit", "60s"}, 10, 0.5, 60 * time.Second, false, false},
		{[]string{"--time-scale", "10", "--adaptive"}, 50, 20, 48 * time.Second, true, false},
		{[]string{"--drain", "2e6"}, 0, 0, 0, false, true},
	} {
		var g globals
		fs := pflag.NewFlagSet("b24", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		g.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		p, err := g.restriction()
		if tc.wantUsageFail {
			if _, ok := err.(*usageError); !ok {
				t.Errorf("%v: err %v, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if p.RateLimit.Burst != tc.burst || p.RateLimit.Drain != tc.drain || p.Operating.Limit != tc.opLimit || p.Adaptive.Enabled != tc.adaptive {
			t.Errorf("%v: %+v", tc.args, p)
		}
	}
}
