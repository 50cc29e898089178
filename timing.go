package b24

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// UnmarshalJSON decodes a time block leniently: each number may come as a
// JSON number or a numeric string, and one that is neither or not finite
// ("NaN", "INF", 1e400) is taken as absent, so that a garbled figure never
// costs the answer it came with. A value that is not an object is an error.
func (t *Timing) UnmarshalJSON(b []byte) error {
	var w struct {
		Start            json.RawMessage `json:"start"`
		Finish           json.RawMessage `json:"finish"`
		Duration         json.RawMessage `json:"duration"`
		Processing       json.RawMessage `json:"processing"`
		DateStart        json.RawMessage `json:"date_start"`
		DateFinish       json.RawMessage `json:"date_finish"`
		Operating        json.RawMessage `json:"operating"`
		OperatingResetAt json.RawMessage `json:"operating_reset_at"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Timing{DateStart: jsonString(w.DateStart), DateFinish: jsonString(w.DateFinish),
		Operating: finiteNumber(w.Operating), OperatingResetAt: finiteNumber(w.OperatingResetAt)}
	for _, f := range []struct {
		dst *float64
		raw json.RawMessage
	}{{&t.Start, w.Start}, {&t.Finish, w.Finish}, {&t.Duration, w.Duration}, {&t.Processing, w.Processing}} {
		if v := finiteNumber(f.raw); v != nil {
			*f.dst = *v
		}
	}
	return nil
}

// finiteNumber decodes a finite number sent as a JSON number or a numeric
// string; nil for anything else.
func finiteNumber(raw json.RawMessage) *float64 {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		s = strings.TrimSpace(s)
	} else if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return nil // null, true, an object, a list
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// jsonString returns a JSON string's text; "" for any other value.
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// timingOf decodes an envelope's time block; nil when absent or not an object.
func timingOf(raw json.RawMessage) *Timing {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	t := new(Timing)
	if t.UnmarshalJSON(raw) != nil {
		return nil
	}
	return t
}
