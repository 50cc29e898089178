package main

import (
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestCallHTTP2ResetSentOnce: one "b24 call crm.deal.add" against a portal
// that runs it and then resets the stream or sends GOAWAY over HTTP/2 sends
// exactly one request and reports the outcome as unknown. Before the SDK
// cleared GetBody, Go's transport resent it (2 requests here, about 2,000
// over a whole run against a portal that always resets) and the call
// "succeeded".
func TestCallHTTP2ResetSentOnce(t *testing.T) {
	tests := []struct {
		name   string
		fault  b24test.Fault
		code   uint32
		always bool // every request fails so, not only the first
	}{
		{"PROTOCOL_ERROR", b24test.FaultStreamReset, 0x1, false},
		{"REFUSED_STREAM", b24test.FaultStreamReset, 0x7, false},
		{"CANCEL", b24test.FaultStreamReset, 0x8, false},
		{"GOAWAY", b24test.FaultGoAway, 0, false},
		// Before the fix: 1,887 requests and 1,573 deals created by one call.
		{"always PROTOCOL_ERROR", b24test.FaultStreamReset, 0x1, true},
		{"always GOAWAY", b24test.FaultGoAway, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []b24test.Option{b24test.WithHTTP2(), b24test.WithResetCode(tt.code)}
			if tt.always {
				opts = append(opts, b24test.WithFaults(b24test.FaultRates{Seed: 1, Rates: map[b24test.Fault]float64{tt.fault: 1}}))
			}
			p := newPortal(t, opts...)
			p.s.FailNext("crm.deal.add", 1, tt.fault)
			r := p.run(t, "", "call", "crm.deal.add", "fields[TITLE]=once")
			if r.code == exitOK || !strings.Contains(r.stderr, "outcome unknown") {
				t.Errorf("exit %d, stderr %q: want a failure that says the outcome is unknown", r.code, r.stderr)
			}
			a := p.s.Audit()
			n := 0
			for _, c := range a.ByMethod["crm.deal.add"] {
				n += c
			}
			if n != 1 || len(a.Writes) != 1 {
				t.Errorf("the portal received %d crm.deal.add requests and created %d deals, want 1 and 1", n, len(a.Writes))
			}
		})
	}
}

func TestParseH2Code(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"PROTOCOL_ERROR", 1, true}, {"refused_stream", 7, true}, {"ENHANCE_YOUR_CALM", 0xb, true},
		{"HTTP_1_1_REQUIRED", 0xd, true}, {"0x8", 8, true}, {"42", 42, true}, {"", 0, false}, {"NOPE", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseH2Code(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseH2Code(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	var p *portal
	if r := p.run(t, "", "fake", "-reset-code", "NOPE"); r.code != exitUsage || !strings.Contains(r.stderr, "reset-code") {
		t.Errorf("fake -reset-code NOPE: exit %d, %q", r.code, r.stderr)
	}
}
