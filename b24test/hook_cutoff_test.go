package b24test

import (
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/reconcile"
)

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
			if err != nil || res.Commands[0].State != b24.Done || !res.Commands[0].Reconciled {
				t.Fatalf("scale %v: %v %+v", tc.scale, err, res.Commands[0])
			}
			if took < tc.want || took > tc.want+tc.want/2 {
				t.Errorf("scale %v: reconciled after %v, want about %v", tc.scale, took, tc.want)
			}
		}, WithTimeScale(tc.scale))
	}
}
