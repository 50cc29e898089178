package b24

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// keyedTimes decodes a v2 batch's result_time section, which PHP writes as an
// object keyed by command, as a list (keys 0..n-1), or as [] when empty.
func keyedTimes(raw json.RawMessage) map[string]*Timing {
	raw = bytes.TrimSpace(raw)
	out := map[string]*Timing{}
	if len(raw) == 0 {
		return out
	}
	if raw[0] == '[' {
		var list []*Timing
		if json.Unmarshal(raw, &list) == nil {
			for i, t := range list {
				out[strconv.Itoa(i)] = t
			}
		}
		return out
	}
	_ = json.Unmarshal(raw, &out)
	return out
}

// batchTimes returns the per-command time blocks of a v2 batch response.
func batchTimes(r *Response) map[string]*Timing {
	var env struct {
		ResultTime json.RawMessage `json:"result_time"`
	}
	if len(r.Result) == 0 || r.Result[0] != '{' || json.Unmarshal(r.Result, &env) != nil {
		return nil
	}
	return keyedTimes(env.ResultTime)
}

// batchCommandMethods maps each command key of a v2 batch body to its
// method, lower-case.
func batchCommandMethods(body []byte) map[string]string {
	var env struct {
		Cmd json.RawMessage `json:"cmd"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil
	}
	named := map[string]string{}
	var list []string
	if json.Unmarshal(env.Cmd, &list) == nil {
		for i, c := range list {
			named[strconv.Itoa(i)] = c
		}
	} else if json.Unmarshal(env.Cmd, &named) != nil {
		return nil
	}
	out := make(map[string]string, len(named))
	for k, c := range named {
		m, _, _ := strings.Cut(c, "?")
		out[k] = strings.ToLower(strings.Trim(m, "/ "))
	}
	return out
}

// batchReportsPerCommand attributes each sub-result's operating figure to
// its command's method (BatchBilledPerCommand). A method run by several
// commands takes its largest figure. REST 3.0 batches report no per-command
// time, so they yield nothing.
func batchReportsPerCommand(r *Response, v APIVersion, body []byte) []OperatingReport {
	if v != APIv2 {
		return nil
	}
	methods := batchCommandMethods(body)
	best := map[string]OperatingReport{}
	var order []string
	for key, t := range batchTimes(r) {
		m, ok := methods[key]
		if !ok {
			continue
		}
		op, ok := t.OperatingDuration()
		if !ok {
			continue
		}
		reset, _ := t.ResetAt()
		cur, seen := best[m]
		if !seen {
			order = append(order, m)
		}
		if !seen || op > cur.Operating {
			best[m] = OperatingReport{Method: m, Operating: op, ResetAt: reset}
		}
	}
	out := make([]OperatingReport, 0, len(order))
	for _, m := range order {
		out = append(out, best[m])
	}
	return out
}
