package b24test

import (
	"context"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/reconcile"
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

// TestHookCutoffScaled: the hook of a fake running k times faster waits
// the portal's request cut-off divided by k before reconciling a batch
// whose answer was lost, not a real 60 s.
func TestHookCutoffScaled(t *testing.T) {
	tests := []struct {
		scale float64
		want  time.Duration
	}{{1, 60 * time.Second}, {10, 6 * time.Second}, {100, 600 * time.Millisecond}}
	for _, tc := range tests {
		bubble(t, func(t *testing.T, s *Server) {
			h := s.Hook()
			if got := h.RestrictionParams().Retry.RequestCutoff; got != tc.want {
				t.Fatalf("scale %v: hook cut-off %v, want %v", tc.scale, got, tc.want)
			}
			s.FailNext("batch", 1, FaultReset)
			cmds := []b24.Cmd{{Method: "crm.deal.update", Params: map[string]any{"id": 1, "fields": map[string]any{"TITLE": "y"}}}}
			start := time.Now()
			res, err := h.V2().BatchByChunk(t.Context(), cmds, b24.WithReconciler(reconcile.CRMUpdates))
			took := time.Since(start)
			if err != nil || res.Commands[0].State != b24.CommandDone || !res.Commands[0].Reconciled {
				t.Fatalf("scale %v: %v %+v", tc.scale, err, res.Commands[0])
			}
			if took < tc.want || took > tc.want+tc.want/2 {
				t.Errorf("scale %v: reconciled after %v, want about %v", tc.scale, took, tc.want)
			}
		}, WithTimeScale(tc.scale))
	}
}
