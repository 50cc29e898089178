package b24

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats are a Hook's figures since it was built (the JS SDK's getStats).
type Stats struct {
	Requests     int64         // HTTP requests sent (every attempt)
	Successes    int64         // requests answered with a result
	Failures     int64         // requests that failed (errors, refusals, transport)
	Retries      int64         // requests repeated after a refusal or a failure
	Waits        int64         // requests the limiter held back before sending (see WaitReporter)
	WaitTime     time.Duration // total time the limiter held them back
	RateRefusals int64         // 503 QUERY_LIMIT_EXCEEDED answers
	OpRefusals   int64         // 429 answers (OPERATION_TIME_LIMIT, or any other 429)
	// Operating is the last operating time the portal reported per method.
	Operating map[string]time.Duration
	// Limiter holds the limiter's own figures, when it reports them.
	Limiter *LimiterStats
}

type hookStats struct {
	requests, successes, failures, retries, waits, rate503, op429 atomic.Int64
	waitTime                                                      atomic.Int64
	mu                                                            sync.Mutex
	operating                                                     map[string]time.Duration
}

func (s *hookStats) addWait(d time.Duration) {
	s.waits.Add(1)
	s.waitTime.Add(int64(d))
}

func (s *hookStats) record(res attemptResult, o Outcome) {
	s.requests.Add(1)
	if res.err == nil {
		s.successes.Add(1)
	} else {
		s.failures.Add(1)
	}
	switch o.Refused {
	case RefusedRate:
		s.rate503.Add(1)
	case RefusedOperating:
		s.op429.Add(1)
	}
	if len(o.Reports) > 0 {
		s.mu.Lock()
		if s.operating == nil {
			s.operating = map[string]time.Duration{}
		}
		for _, r := range o.Reports {
			s.operating[r.Method] = r.Operating
		}
		s.mu.Unlock()
	}
}

// Stats returns the Hook's figures.
func (h *Hook) Stats() Stats {
	s := &h.stats
	st := Stats{
		Requests: s.requests.Load(), Successes: s.successes.Load(), Failures: s.failures.Load(),
		Retries: s.retries.Load(), Waits: s.waits.Load(), WaitTime: time.Duration(s.waitTime.Load()),
		RateRefusals: s.rate503.Load(), OpRefusals: s.op429.Load(),
		Operating: map[string]time.Duration{},
	}
	s.mu.Lock()
	for k, v := range s.operating {
		st.Operating[k] = v
	}
	s.mu.Unlock()
	if ls, ok := h.limiter.(interface{ Stats() LimiterStats }); ok {
		l := ls.Stats()
		st.Limiter = &l
	}
	return st
}
