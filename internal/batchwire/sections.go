package batchwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/b24go/b24/internal/jsonscan"
)

// Envelope is a v2 batch result split into its five sections as sent.
type Envelope struct {
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"result_error"`
	Total  json.RawMessage `json:"result_total"`
	Next   json.RawMessage `json:"result_next"`
	Time   json.RawMessage `json:"result_time"`
	// Checked is set when the sections are parts of a text jsonscan.Valid
	// accepted (SplitEnvelope): Keyed then splits them without checking again.
	Checked bool `json:"-"`
	// results is Result already keyed (SplitAt), nil when it was not.
	results map[string]json.RawMessage
	// spans are where the elements of each result that is a list start and
	// end, as offsets into it (SplitAt; jsonscan.SkipArray).
	spans map[string][]uint32
}

// SplitAt splits the v2 batch result that starts at b[i] (an object in a
// text jsonscan.Valid accepted) as SplitEnvelope does, and keys its result
// section (an object: the commands' results by name) in the same pass, so
// that the hundreds of kilobytes of a batch of list pages are passed once,
// not once for the sections and again for the commands (Keyed returns the
// keyed results). It returns the index after the object.
func SplitAt(b []byte, i int) (Envelope, int, error) {
	env := Envelope{Checked: true}
	names := [...]string{"result", "result_error", "result_total", "result_next", "result_time"}
	dsts := [...]*json.RawMessage{&env.Result, &env.Error, &env.Total, &env.Next, &env.Time}
	end, err := jsonscan.Members(b, i, func(k []byte, at int) (int, error) {
		key := jsonscan.Key(k)
		var keyed map[string]json.RawMessage
		var spans map[string][]uint32
		vEnd := -1
		if b[at] == '{' && strings.EqualFold(key, "result") {
			var err error
			keyed, spans, vEnd, err = splitResults(b, at)
			if err != nil {
				return 0, err
			}
		} else if e, err := jsonscan.SkipValue(b, at); err != nil {
			return 0, err
		} else {
			vEnd = e
		}
		for n, name := range names {
			if strings.EqualFold(key, name) {
				*dsts[n] = b[at:vEnd]
				if n == 0 {
					env.results, env.spans = keyed, spans
				}
			}
		}
		return vEnd, nil
	})
	return env, end, err
}

// splitResults keys the commands' results of the object at b[at], and
// splits each that is a list into its elements as it passes it (the rows
// of a list page: not passed again to be split). It returns the index
// after the object.
func splitResults(b []byte, at int) (map[string]json.RawMessage, map[string][]uint32, int, error) {
	keyed := map[string]json.RawMessage{}
	type mark struct {
		key        string
		start, end int
	}
	var all []uint32
	var marks []mark
	end, err := jsonscan.Members(b, at, func(k []byte, at int) (int, error) {
		key := jsonscan.Key(k)
		var e int
		var err error
		if b[at] == '[' {
			n := len(all)
			e, all, err = jsonscan.SkipArray(b, at, all)
			marks = append(marks, mark{key, n, len(all)})
			if n == 0 && err == nil && e > at {
				// Room for the rest at the first list's density: the
				// pages of a batch are alike, and growing by doubling
				// would allocate twice what they need.
				// (At most half the rest's size in bytes: a first list
				// of tiny elements does not size the rest.)
				all = slices.Grow(all, min((len(b)-e)/(e-at)*len(all), (len(b)-e)/8))
			}
		} else {
			e, err = jsonscan.SkipValue(b, at)
			marks = append(marks, mark{key, -1, -1})
		}
		if err == nil {
			keyed[key] = b[at:e]
		}
		return e, err
	})
	if err != nil {
		return nil, nil, 0, err
	}
	spans := make(map[string][]uint32, len(marks))
	for _, m := range marks { // a key named twice: its last value's, as keyed
		if m.start < 0 {
			delete(spans, m.key)
		} else {
			spans[m.key] = all[m.start:m.end:m.end]
		}
	}
	return keyed, spans, end, nil
}

// Rebase returns env with every section moved from old, the text it was
// split from, to the same offsets of new, a copy of old (the keyed results
// too); ok is false when a section is not a part of old.
func (env Envelope) Rebase(old, new []byte) (Envelope, bool) {
	move := func(v json.RawMessage) (json.RawMessage, bool) {
		if v == nil {
			return nil, true
		}
		off := cap(old) - cap(v)
		if off < 0 || off+len(v) > len(old) || len(new) != len(old) || len(v) > 0 && &old[off] != &v[0] {
			return nil, false
		}
		return new[off : off+len(v)], true
	}
	out := env
	ok := true
	for _, p := range [...]*json.RawMessage{&out.Result, &out.Error, &out.Total, &out.Next, &out.Time} {
		var good bool
		*p, good = move(*p)
		ok = ok && good
	}
	if env.results != nil {
		out.results = make(map[string]json.RawMessage, len(env.results))
		for k, v := range env.results {
			var good bool
			out.results[k], good = move(v)
			ok = ok && good
		}
	}
	return out, ok
}

// SplitEnvelope splits a v2 batch result into its sections in one pass,
// without copying: each section is a sub-slice of raw. raw must be a text
// jsonscan.Valid accepted (the Response's result is); its members are
// matched as json.Unmarshal into an Envelope matches them (any case, the
// last of a repeated key kept). null is an empty envelope; any value but an
// object or null is an error, as for json.Unmarshal.
func SplitEnvelope(raw json.RawMessage) (Envelope, error) {
	env := Envelope{Checked: true}
	r := jsonscan.Trim(raw)
	if string(r) == "null" {
		return env, nil
	}
	if len(r) == 0 || r[0] != '{' {
		var e Envelope
		if err := json.Unmarshal(r, &e); err != nil {
			return env, err
		}
		return env, errors.New("batch result is not an object")
	}
	err := jsonscan.EachMember(r, func(k, v []byte) bool {
		key := jsonscan.Key(k)
		for _, f := range [...]struct {
			name string
			dst  *json.RawMessage
		}{{"result", &env.Result}, {"result_error", &env.Error}, {"result_total", &env.Total}, {"result_next", &env.Next}, {"result_time", &env.Time}} {
			if strings.EqualFold(key, f.name) {
				*f.dst = v
			}
		}
		return true
	})
	return env, err
}

// Sections are the four keyed sections of a v2 batch result (result_time
// is read by the caller, which knows its time blocks).
type Sections struct {
	Result, Errors, Total, Next map[string]json.RawMessage
	// Spans are where the elements of each result that is a list start
	// and end, two offsets into it an element, when SplitAt split it.
	Spans map[string][]uint32
}

// IsEmptyList reports whether raw is a JSON list: PHP writes an empty batch
// result as []. A list with entries is an error: a result is an object.
func IsEmptyList(raw json.RawMessage) (bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return false, nil
	}
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil || len(l) != 0 {
		return true, errors.New("batch result is not an object")
	}
	return true, nil
}

// Keyed decodes the envelope's sections, each a PHP array (see PHPKeyed).
func (env *Envelope) Keyed() (*Sections, error) {
	s := &Sections{}
	var err error
	for _, p := range []struct {
		dst  *map[string]json.RawMessage
		raw  json.RawMessage
		name string
	}{{&s.Result, env.Result, "result"}, {&s.Errors, env.Error, "result_error"}, {&s.Total, env.Total, "result_total"}, {&s.Next, env.Next, "result_next"}} {
		switch {
		case p.name == "result" && env.results != nil:
			*p.dst, s.Spans = env.results, env.spans
		case env.Checked:
			*p.dst, err = phpKeyed(p.raw)
		default:
			*p.dst, err = PHPKeyed(p.raw)
		}
		if err != nil {
			return nil, fmt.Errorf("batch %s: %w", p.name, err)
		}
	}
	return s, nil
}

// PHPKeyed decodes a PHP array written by json_encode: [] when empty, a
// JSON list when its keys are 0..n-1 (then keyed "0", "1", ...), an object
// otherwise. A v2 batch writes each of its five sections this way, so the
// same section of one batch can be a list or an object depending on which
// commands failed. An absent value or null is an empty map.
//
// The values are sub-slices of raw, not copies.
func PHPKeyed(raw json.RawMessage) (map[string]json.RawMessage, error) {
	r := bytes.TrimSpace(raw)
	if len(r) > 0 && (r[0] == '[' || r[0] == '{') && !jsonscan.Valid(r) {
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			return nil, err // the decoder's words
		}
		return nil, errors.New("invalid JSON") // unreachable: Valid agrees with json.Valid
	}
	return phpKeyed(r)
}

// phpKeyed is PHPKeyed on a text jsonscan.Valid accepted, in one pass: keys
// unescaped as json.Unmarshal into a map unescapes them, the last of a
// repeated key kept.
func phpKeyed(raw json.RawMessage) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]json.RawMessage{}, nil
	}
	switch raw[0] {
	case '[':
		list, err := jsonscan.Elements(raw)
		if err != nil {
			return nil, err
		}
		out := make(map[string]json.RawMessage, len(list))
		for i, v := range list {
			out[strconv.Itoa(i)] = v
		}
		return out, nil
	case '{':
		out := map[string]json.RawMessage{}
		err := jsonscan.EachMember(raw, func(k, v []byte) bool {
			out[jsonscan.Key(k)] = v
			return true
		})
		return out, err
	}
	return nil, fmt.Errorf("a PHP array must be a JSON list or object, got %.20s", raw)
}

// CommandMethods maps each command key of a v2 batch body (cmd as a list
// or a named map of "method?query" strings) to its method, lower-case; nil
// when the body has no cmd of either form.
func CommandMethods(body []byte) map[string]string {
	named, ok := commandLines(body)
	if !ok {
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

// commandLines reads a batch body's cmd in one pass, as json.Unmarshal
// into a []string, else a map[string]string, reads it: a member named cmd
// in any case (the last one), whose entries are strings or null; ok is
// false when neither reading would succeed.
func commandLines(body []byte) (map[string]string, bool) {
	if !jsonscan.Valid(body) {
		return nil, false
	}
	b := jsonscan.Trim(body)
	if len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	var cmd []byte
	_ = jsonscan.EachMember(b, func(k, v []byte) bool {
		if strings.EqualFold(jsonscan.Key(k), "cmd") {
			cmd = v
		}
		return true
	})
	if len(cmd) == 0 || string(cmd) == "null" {
		return map[string]string{}, cmd != nil
	}
	out := map[string]string{}
	text := func(v []byte) (string, bool) {
		switch v[0] {
		case 'n':
			return "", true
		case '"':
			return jsonscan.Key(v), true
		}
		return "", false
	}
	ok := true
	switch cmd[0] {
	case '[':
		list, _ := jsonscan.Elements(cmd)
		for i, v := range list {
			out[strconv.Itoa(i)], ok = text(v)
			if !ok {
				return nil, false
			}
		}
	case '{':
		_ = jsonscan.EachMember(cmd, func(k, v []byte) bool {
			out[jsonscan.Key(k)], ok = text(v)
			return ok
		})
	default:
		ok = false
	}
	return out, ok
}

// V3Results maps a REST 3.0 batch result onto a chunk's commands (names[j]
// is the alias of the chunk's j-th command, "" if none): a JSON array by
// position; an object by alias, an unaliased command taking the next
// integer key (PHP's append). A command without an entry gets nil.
func V3Results(raw json.RawMessage, names []string) ([]json.RawMessage, error) {
	m, err := PHPKeyed(raw)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(names))
	byPos := len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '['
	next := 0
	for j, key := range names {
		if byPos || key == "" {
			key = strconv.Itoa(next)
			if byPos {
				key = strconv.Itoa(j)
			}
			next++
		}
		if v, ok := m[key]; ok {
			out[j] = v
		}
	}
	return out, nil
}
