package b24test

import (
	"context"
	"testing"
	"time"

	"github.com/b24go/b24"
)

// TestHookMatchesLimits: a hook from Server.Hook paces itself to the fake's
// bucket, so a burst of 70 calls sees no refusal and takes the time the
// bucket allows.
func TestHookMatchesLimits(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		h := s.Hook()
		if got := h.RestrictionParams().RateLimit; got.Burst != 50 || got.Drain != 20 {
			t.Fatalf("hook rate limit %+v, want 50 and 20/s", got)
		}
		if got := h.RestrictionParams().Operating; got.Limit != 48*time.Second || got.Window != time.Minute {
			t.Fatalf("hook operating %+v", got)
		}
		before := time.Now()
		for i := 0; i < 70; i++ {
			resp, err := h.V2().Call(context.Background(), "profile", nil)
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if resp.Attempts != 1 {
				t.Fatalf("call %d took %d attempts", i, resp.Attempts)
			}
		}
		if el := time.Since(before); el < 950*time.Millisecond {
			t.Errorf("70 calls took %v; the bucket allows no less than 1 s", el)
		}
		if n := s.Audit().ByStatus[503]; n != 0 {
			t.Errorf("%d refusals", n)
		}
	}, WithTimeScale(10), WithLatency(Latency{}))
}

func TestHookOverTLS(t *testing.T) {
	s := newTestServer(t)
	resp, err := s.Hook().V2().Call(context.Background(), "user.current", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := b24.Decode[map[string]any](resp)
	if err != nil || u["ID"] != "1" {
		t.Fatalf("user.current %v %v", u, err)
	}
	if _, ok := resp.Time.OperatingDuration(); !ok {
		t.Error("no operating figure")
	}
}
