package b24

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestSaneResetAt: the reset time a refused chained walk waits for is the
// command's operating_reset_at sanitised by SaneReport: a reset in
// milliseconds is read as such, one far ahead is clamped to the window, an
// absent figure gives none.
func TestSaneResetAt(t *testing.T) {
	now := time.Unix(1_769_500_000, 0)
	window := 10 * time.Minute
	at := func(sec float64) *Timing { return &Timing{OperatingResetAt: &sec} }
	for _, tc := range []struct {
		name string
		time *Timing
		want time.Time // zero: none
	}{
		{"no block", nil, time.Time{}},
		{"no figure", &Timing{}, time.Time{}},
		{"seconds", at(1_769_500_090), now.Add(90 * time.Second)},
		{"milliseconds", at(1_769_500_060_000), now.Add(time.Minute)},
		{"far ahead", at(1_769_600_000), now.Add(window)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := saneResetAt(tc.time, "crm.deal.list", now, window); !got.Equal(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestChainWalkRefusalWaitBounded: a chained walk whose batch requests are
// all refused waits at most Retry.MaxRefusalWait in all: the call's own
// refusal handling has waited it out, and the walk must not wait it again as
// if the portal had refused commands inside a batch that ran.
func TestChainWalkRefusalWaitBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		refused := `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`
		tr := &scriptTransport{}
		// The probe runs: a full first page (ids 1-50) and the far end's (1000-951).
		page := func(from, step int) string {
			b := "["
			for i := range 50 {
				if i > 0 {
					b += ","
				}
				b += fmt.Sprintf(`{"ID":"%d"}`, from+i*step)
			}
			return b + "]"
		}
		tr.steps = append(tr.steps, answer(http.StatusOK, `{"result":{"result":{"first":`+page(1, 1)+`,"last":`+page(1000, -1)+
			`},"result_error":[],"result_total":[],"result_next":[],"result_time":[]},"time":{"start":1,"finish":1.5,"duration":0.5,"processing":0,"date_start":"","date_finish":""}}`))
		for range 10000 {
			tr.steps = append(tr.steps, answer(http.StatusServiceUnavailable, refused))
		}
		const most = 20 * time.Second
		h := scriptedHook(t, tr, WithRestrictionParams(RestrictionParams{Retry: RetryPolicy{MaxRefusalWait: most}}))
		start := time.Now()
		_, err := CallList[map[string]any](t.Context(), h.V2(), "crm.deal.list", nil)
		if !errors.Is(err, ErrQueryLimitExceeded) {
			t.Fatalf("err %v, want the refusal", err)
		}
		t.Log(time.Since(start), err)
		if d := time.Since(start); d > most+5*time.Second {
			t.Fatalf("the walk gave up after %v, want about MaxRefusalWait (%v)", d, most)
		}
	})
}
