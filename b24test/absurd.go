package b24test

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/b24go/b24/internal/php"
)

// AbsurdFigure is one class of absurd figures FaultAbsurdFigures sends. The
// n-th answer the fault strikes (counted per server, from 0) gets class n
// modulo NumAbsurdFigures, so that a run of NumAbsurdFigures faults covers
// every class.
type AbsurdFigure int

const (
	// AbsurdResetFarAhead: operating just under the limit, and
	// operating_reset_at ten years ahead.
	AbsurdResetFarAhead AbsurdFigure = iota
	// AbsurdResetMillis: operating just under the limit, and the real
	// operating_reset_at in milliseconds.
	AbsurdResetMillis
	// AbsurdRetryAfterHuge: the call is refused before running (429
	// OPERATION_TIME_LIMIT) with Retry-After: 999999999.
	AbsurdRetryAfterHuge
	// AbsurdResetNegative: operating just under the limit, and a negative
	// operating_reset_at.
	AbsurdResetNegative
	// AbsurdNaNStrings: "NaN" for operating and operating_reset_at.
	AbsurdNaNStrings
	// AbsurdOperatingHuge: operating 1e300, reset ten years ahead.
	AbsurdOperatingHuge
	// AbsurdRetryAfterDate: refused as AbsurdRetryAfterHuge, with an HTTP
	// date in the year 9999. (The two refusals are apart: consecutive
	// faults never refuse one call twice.)
	AbsurdRetryAfterDate
	// AbsurdOperatingMillis: operating just under the limit, in milliseconds.
	AbsurdOperatingMillis
	// AbsurdOperatingNegative: operating minus the limit.
	AbsurdOperatingNegative
	// AbsurdTimes: start, finish, duration and processing that are not
	// numbers or out of range ("x", 1e400, -1, "NaN").
	AbsurdTimes
	// NumAbsurdFigures is the number of classes.
	NumAbsurdFigures
)

var absurdNames = [...]string{"reset-far-ahead", "reset-millis", "retry-after-huge", "reset-negative", "nan-strings",
	"operating-huge", "retry-after-date", "operating-millis", "operating-negative", "times"}

func (a AbsurdFigure) String() string {
	if a >= 0 && a < NumAbsurdFigures {
		return absurdNames[a]
	}
	return "absurd(?)"
}

// nextAbsurd returns the class of the next answer FaultAbsurdFigures strikes.
func (f *faults) nextAbsurd() AbsurdFigure {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := AbsurdFigure(f.absurd % int(NumAbsurdFigures))
	f.absurd++
	return a
}

const tenYears = 10 * 365 * 24 * time.Hour

// absurdRefusal is the refusal of a Retry-After class (nil for the others).
func (s *Server) absurdRefusal(api APIVersions, a AbsurdFigure) *reply {
	var ra string
	switch a {
	case AbsurdRetryAfterHuge:
		ra = "999999999"
	case AbsurdRetryAfterDate:
		ra = "Fri, 31 Dec 9999 23:59:59 GMT"
	default:
		return nil
	}
	rep := s.errorReply(api, errOperating)
	if rep.header == nil {
		rep.header = http.Header{}
	}
	rep.header.Set("Retry-After", ra)
	rep.after = FaultAbsurdFigures
	return &rep
}

// absurdAnswer rewrites every time block of a JSON answer (the envelope's,
// and a v2 batch's result_time) with the figures of class a.
func (s *Server) absurdAnswer(rep reply, a AbsurdFigure, now time.Time) reply {
	rep.after = FaultAbsurdFigures
	v, err := php.DecodeJSON(rep.body)
	env, ok := v.(*php.Array)
	if err != nil || !ok {
		return rep
	}
	s.absurdTime(env, a, now)
	if res, ok := env.Get("result"); ok {
		if res, ok := res.(*php.Array); ok {
			if times, ok := res.Get("result_time"); ok {
				if times, ok := times.(*php.Array); ok {
					for _, t := range times.All() {
						if t, ok := t.(*php.Array); ok {
							s.absurdFigures(t, a, now)
						}
					}
				}
			}
		}
	}
	if b, err := php.EncodeJSON(env); err == nil {
		rep.body = b
	}
	return rep
}

// absurdTime rewrites env's time block, if it has one.
func (s *Server) absurdTime(env *php.Array, a AbsurdFigure, now time.Time) {
	if t, ok := env.Get("time"); ok {
		if t, ok := t.(*php.Array); ok {
			s.absurdFigures(t, a, now)
		}
	}
}

// absurdFigures writes the figures of class a into the time block t.
func (s *Server) absurdFigures(t *php.Array, a AbsurdFigure, now time.Time) {
	nearLimit := (s.limits.OperatingLimit - s.limits.OperatingLimit/100).Seconds()
	farAhead := now.Add(tenYears).Unix()
	reset := now.Add(s.limits.OperatingWindow).Unix()
	if v, ok := t.Get("operating_reset_at"); ok {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				reset = i
			}
		}
	}
	set := func(op, at any) {
		t.Set("operating_reset_at", at)
		t.Set("operating", op)
	}
	switch a {
	case AbsurdResetFarAhead:
		set(nearLimit, farAhead)
	case AbsurdResetMillis:
		set(nearLimit, reset*1000)
	case AbsurdResetNegative:
		set(nearLimit, -reset)
	case AbsurdNaNStrings:
		set("NaN", "NaN")
	case AbsurdOperatingHuge:
		set(1e300, farAhead)
	case AbsurdOperatingMillis:
		set(nearLimit*1000, reset)
	case AbsurdOperatingNegative:
		set(-s.limits.OperatingLimit.Seconds(), reset)
	case AbsurdTimes:
		t.Set("start", "x")
		t.Set("finish", json.Number("1e400"))
		t.Set("duration", -1)
		t.Set("processing", "NaN")
	}
}
