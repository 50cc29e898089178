package b24

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/b24go/b24/limit"
)

// FuzzTiming: any time block decodes without panicking to finite figures,
// and a limiter's view of them (SaneReport) stays within the window.
func FuzzTiming(f *testing.F) {
	for _, s := range []string{
		`{"start":1769499930,"finish":1769499931.07,"operating":1.5,"operating_reset_at":1769500530}`,
		`{"operating":"NaN","operating_reset_at":"1769500530000"}`,
		`{"operating":1e400,"operating_reset_at":-1,"start":"x"}`,
		`[]`, `null`, `{"operating":[1],"date_start":5}`,
	} {
		f.Add(s)
	}
	now := time.Unix(1769500000, 0)
	const w = 600 * time.Second
	f.Fuzz(func(t *testing.T, s string) {
		var tm Timing
		if json.Unmarshal([]byte(s), &tm) != nil {
			return
		}
		for _, v := range []float64{tm.Start, tm.Finish, tm.Duration, tm.Processing} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%q: non-finite %v", s, v)
			}
		}
		op, ok := tm.OperatingDuration()
		if !ok {
			return
		}
		reset, _ := tm.ResetAt()
		r, ok := limit.SaneReport(limit.OperatingReport{Operating: op, ResetAt: reset}, now, w)
		if ok && (r.Operating < 0 || r.Operating > 2*w || r.ResetAt.After(now.Add(w))) {
			t.Fatalf("%q: %+v passed as sane", s, r)
		}
	})
}
