package b24test

import (
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/limit"
)

// SlowDelay is how long FaultSlow holds an answer at time scale 1: past the
// SDK's default per-attempt timeout (b24.DefaultTimeout, 90 s).
const SlowDelay = 100 * time.Second

// LateRunDelay is how long FaultLateRun holds a request before running it,
// at time scale 1: 40 s after a client with a 10 s timeout gave up, and
// before the portal's 60 s request cut-off.
const LateRunDelay = 50 * time.Second

// RestrictionParams returns the SDK's restriction parameters that match this
// portal: the Standard plan's retry and adaptive settings with the server's
// bucket and operating budget, time scale applied.
func (s *Server) RestrictionParams() b24.RestrictionParams {
	l := s.cfg.limits
	p := b24.DefaultRestrictionParams()
	p.RateLimit.Burst, p.RateLimit.Drain = l.Burst, l.Drain
	p.Operating.Limit = l.OperatingLimit
	p.Operating.Window = l.OperatingWindow
	if p.Operating.Margin >= p.Operating.Limit {
		p.Operating.Margin = p.Operating.Limit / 100
	}
	if l.BatchPerCommand {
		p.Operating.BatchBilling = limit.BatchBilledPerCommand
	}
	return p.Scaled(s.scale)
}

// Hook returns a ready *b24.Hook for the server's webhook: its HTTP client
// trusts the server (or uses the in-memory Transport for an InMemory
// server), its restriction parameters match the server's limits
// (RestrictionParams), and its per-attempt timeout and the request cut-off
// its batches wait out before reconciling (Retry.RequestCutoff) are
// b24.DefaultTimeout and 60 s divided by the time scale. opts are applied after these and may override
// them. Hooks of a server made by NewServer are closed when the test ends.
// Hook fails the test (or panics, for a server from Start) if the hook
// cannot be built.
func (s *Server) Hook(opts ...b24.Option) *b24.Hook {
	all := append([]b24.Option{
		b24.WithHTTPClient(s.client),
		b24.WithRestrictionParams(s.RestrictionParams()),
		b24.WithTimeout(scaleDur(b24.DefaultTimeout, s.scale)),
	}, opts...)
	h, err := b24.FromWebhookURL(s.WebhookURL(), all...)
	if err != nil {
		if s.tb != nil {
			s.tb.Helper()
			s.tb.Fatalf("b24test: Hook: %v", err)
		}
		panic("b24test: Hook: " + err.Error())
	}
	if s.tb != nil {
		s.tb.Cleanup(func() { h.Close() })
	}
	return h
}

var _ testing.TB = (testing.TB)(nil)
