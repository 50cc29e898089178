package b24

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// phpKeyed decodes a PHP array written by json_encode: [] when empty, a
// JSON list when its keys are 0..n-1 (then keyed "0", "1", ...), an object
// otherwise. A v2 batch writes each of its five sections this way, so the
// same section of one batch can be a list or an object depending on which
// commands failed. An absent value or null is an empty map.
func phpKeyed(raw json.RawMessage) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]json.RawMessage{}, nil
	}
	switch raw[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make(map[string]json.RawMessage, len(list))
		for i, v := range list {
			out[strconv.Itoa(i)] = v
		}
		return out, nil
	case '{':
		out := map[string]json.RawMessage{}
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("a PHP array must be a JSON list or object, got %.20s", raw)
}

// keyedTimes decodes a v2 batch's result_time section (a PHP array, see
// phpKeyed). Entries that are not time blocks are skipped.
func keyedTimes(raw json.RawMessage) map[string]*Timing {
	m, _ := phpKeyed(raw)
	out := make(map[string]*Timing, len(m))
	for k, v := range m {
		var t *Timing
		if json.Unmarshal(v, &t) == nil && t != nil {
			out[k] = t
		}
	}
	return out
}

// batchTimes returns the per-command time blocks of a v2 batch response.
func batchTimes(r *Response) map[string]*Timing {
	if len(r.Result) == 0 || r.Result[0] != '{' {
		return nil
	}
	return r.batchSplit().times
}

// batchCommandMethods maps each command key of a v2 batch body (cmd as a
// list or a named map of "method?query" strings) to its method, lower-case;
// nil when the body has no cmd of either form.
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
		if u, err := url.PathUnescape(m); err == nil {
			m = u
		}
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
	slices.Sort(order)
	out := make([]OperatingReport, 0, len(order))
	for _, m := range order {
		out = append(out, best[m])
	}
	return out
}
