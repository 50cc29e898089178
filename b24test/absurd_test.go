package b24test

import (
	"strconv"
	"strings"
	"testing"
)

// TestFaultAbsurdFigures: NumAbsurdFigures faults in a row give each class
// once, in order, in the envelope's time block or as a refusal; a v2
// batch's result_time is rewritten too; the next call is normal.
func TestFaultAbsurdFigures(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		s.FailNext("test.add", int(NumAbsurdFigures), FaultAbsurdFigures)
		far := s.clock.Now().Add(tenYears).Unix()
		for a := range NumAbsurdFigures {
			r := v2(t, s, "test.add", `{}`)
			body := string(r.raw)
			var want []string
			switch a {
			case AbsurdResetFarAhead, AbsurdOperatingHuge:
				want = []string{`"operating_reset_at":` + itoa(far)}
			case AbsurdResetMillis:
				want = []string{`000,"operating":475.2`}
			case AbsurdResetNegative:
				want = []string{`"operating_reset_at":-`}
			case AbsurdNaNStrings:
				want = []string{`"operating_reset_at":"NaN","operating":"NaN"`}
			case AbsurdOperatingMillis:
				want = []string{`"operating":475200`}
			case AbsurdOperatingNegative:
				want = []string{`"operating":-480`}
			case AbsurdTimes:
				want = []string{`"start":"x"`, `"finish":1e400`, `"processing":"NaN"`}
			case AbsurdRetryAfterHuge, AbsurdRetryAfterDate:
				if r.status != 429 || r.errCode() != "OPERATION_TIME_LIMIT" || r.header.Get("Retry-After") == "" {
					t.Fatalf("%v: status %d %s, Retry-After %q", a, r.status, body, r.header.Get("Retry-After"))
				}
				continue
			}
			if r.status != 200 {
				t.Fatalf("%v: status %d %s", a, r.status, body)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%v: body %s, want %s", a, body, w)
				}
			}
		}
		au := s.Audit()
		if got := au.ByMethod["test.add"]; got[200] != int(NumAbsurdFigures)-2 || got[429] != 2 {
			t.Errorf("answers by status %v, want every call run but the 2 refusals", got)
		}
		faulted := 0
		for _, rec := range au.Log {
			if rec.Fault == "absurd-figures" {
				faulted++
			}
		}
		if faulted != int(NumAbsurdFigures) {
			t.Errorf("%d requests audited with the fault, want %d", faulted, NumAbsurdFigures)
		}
		s.FailNext("batch", 1, FaultAbsurdFigures) // the class after the last: the first again
		r := v2(t, s, "batch", `{"cmd":{"a":"test.add","b":"test.add"}}`)
		if n := strings.Count(string(r.raw), `"operating_reset_at":`+itoa(far)); r.status != 200 || n != 3 {
			t.Errorf("batch: %d time blocks with the far reset, want 3: %s", n, r.raw)
		}
		if r := v2(t, s, "test.add", `{}`); r.status != 200 || strings.Contains(string(r.raw), itoa(far)) {
			t.Errorf("next call: %d %s", r.status, r.raw)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
