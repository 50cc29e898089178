package b24

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b24go/b24/internal/batchwire"
	"github.com/b24go/b24/internal/jsonscan"
)

// Response is a successful answer of the portal.
type Response struct {
	// Result is the raw "result" value. Decode it with Decode or CallAs. A
	// successful answer that is not an envelope (rest.documentation.openapi
	// answers with a bare OpenAPI document) is kept whole here.
	Result json.RawMessage
	// Total is the number of matching rows a v2 list reports (nil when
	// absent: not a list, or REST v3, which has no total). It is 0 with start=-1.
	Total *int
	// Next is the start of the next v2 page; nil when there are no more rows
	// (and always on REST v3). Test its presence, not its value.
	Next *int
	// Time is the envelope's time block; nil when the answer had none.
	Time *Timing
	// Status is the HTTP status (200).
	Status int
	// Header holds the response headers (for example Idempotent-Replayed on
	// v3), any echo of the secret redacted.
	Header http.Header
	// Method, API and RequestID identify the call; Attempts counts the HTTP
	// requests it took (refusals and retries included).
	Method    string
	API       APIVersion
	RequestID string
	Attempts  int

	// split is Result split into a v2 batch's sections, made on first use
	// (batchSplit) and shared by the operating report and the batch layer.
	split *v2Split
	// checked is set when Result is part of a body jsonscan.Valid accepted
	// (decodeEnvelope): its sections are split without checking again.
	checked bool
}

// Timing is the "time" block of an envelope. Every field is optional on the
// wire and decoded from an integer, a float or a numeric string (see
// UnmarshalJSON); a block that is not an object is dropped (Time nil).
type Timing struct {
	Start      float64 `json:"start"`      // Unix seconds the request arrived
	Finish     float64 `json:"finish"`     // Unix seconds the answer was built
	Duration   float64 `json:"duration"`   // seconds
	Processing float64 `json:"processing"` // seconds inside the method
	DateStart  string  `json:"date_start,omitempty"`
	DateFinish string  `json:"date_finish,omitempty"`
	// Operating is the method's accumulated server time in the current window
	// (seconds), when the portal's load limiter reports it.
	Operating *float64 `json:"operating,omitempty"`
	// OperatingResetAt is when part of that budget is released (Unix seconds).
	OperatingResetAt *float64 `json:"operating_reset_at,omitempty"`
}

// OperatingDuration returns Operating as a duration, and whether it was
// reported as a number a duration can hold (NaN, negative and over 292
// years are not). A limiter trusts it only through SaneReport.
func (t *Timing) OperatingDuration() (time.Duration, bool) {
	if t == nil || t.Operating == nil || !(*t.Operating >= 0 && *t.Operating < math.MaxInt64/float64(time.Second)) {
		return 0, false
	}
	return time.Duration(*t.Operating * float64(time.Second)), true
}

// startAt returns Start as a time (the portal's clock); zero when absent
// or not a positive number of seconds below 2^53.
func (t *Timing) startAt() time.Time {
	if t == nil {
		return time.Time{}
	}
	return unixTime(t.Start)
}

// finishAt returns Finish as a time (the portal's clock); zero when absent
// or not a positive number of seconds below 2^53.
func (t *Timing) finishAt() time.Time {
	if t == nil {
		return time.Time{}
	}
	return unixTime(t.Finish)
}

// unixTime returns Unix seconds s as a time; zero unless 0 < s < 2^53.
func unixTime(s float64) time.Time {
	if !(s > 0 && s < 1<<53) {
		return time.Time{}
	}
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// ResetAt returns OperatingResetAt as a time, and whether it was reported as
// a positive number of seconds below 2^53. A limiter trusts it only
// through SaneReport, which clamps it to the window.
func (t *Timing) ResetAt() (time.Time, bool) {
	if t == nil || t.OperatingResetAt == nil || !(*t.OperatingResetAt > 0 && *t.OperatingResetAt < 1<<53) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(*t.OperatingResetAt)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// Decode decodes the response's result into a value of type T.
func Decode[T any](r *Response) (T, error) {
	var v T
	if r == nil {
		return v, errors.New("b24: Decode: nil response")
	}
	if len(r.Result) == 0 {
		return v, fmt.Errorf("b24: %s: the response has no result", r.Method)
	}
	if err := json.Unmarshal(r.Result, &v); err != nil {
		return v, fmt.Errorf("b24: %s: decoding result into %T: %w", r.Method, v, err)
	}
	return v, nil
}

// envelope is the wire form of every answer, v2 and v3, success or error.
type envelope struct {
	Result           json.RawMessage `json:"result"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription json.RawMessage `json:"error_description"`
	Argument         json.RawMessage `json:"argument"`
	Total            json.RawMessage `json:"total"`
	Next             json.RawMessage `json:"next"`
	Time             json.RawMessage `json:"time"`
}

type v3Error struct {
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Validation []json.RawMessage `json:"validation"`
}

// decodeEnvelope turns a response body into a Response or an error.
// It never panics on any input. The Response holds no part of body.
func decodeEnvelope(body []byte, status int, header http.Header, method string, v APIVersion, reqID string, redact func(string) string) (*Response, error) {
	return decodeBody(body, false, status, header, method, v, reqID, redact)
}

// decodeBody is decodeEnvelope; when owned is set (body is never reused)
// the Response's result is a part of body rather than a copy, if it is
// most of it.
func decodeBody(body []byte, owned bool, status int, header http.Header, method string, v APIVersion, reqID string, redact func(string) string) (*Response, error) {
	trimmed := bytes.TrimSpace(body)
	respErr := func(truncated bool, err error) *ResponseError {
		return &ResponseError{
			Method: method, RequestID: reqID, Status: status,
			ContentType: header.Get("Content-Type"),
			Snippet:     snippet(trimmed, redact), Truncated: truncated, Err: err,
		}
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, respErr(false, nil)
	}
	if !jsonscan.Valid(trimmed) {
		// Decoded again for the decoder's words. A body cut short (a
		// dropped connection, a proxy's limit) is valid JSON up to its end:
		// the decoder reports the unexpected end.
		var env envelope
		err := json.Unmarshal(trimmed, &env)
		if err == nil {
			err = errors.New("invalid JSON") // unreachable: Valid agrees with json.Valid
		}
		truncated := strings.Contains(err.Error(), "unexpected end of JSON input")
		return nil, respErr(truncated, err)
	}
	var env envelope
	var split *batchwire.Envelope
	if v == APIv2 && isBatch(method) {
		env, split = scanBatchEnvelope(trimmed)
	} else {
		env = scanEnvelope(trimmed)
	}
	if e := apiErrorOf(&env, status, method, v, reqID); e != nil {
		e.redactWith(redact)
		return nil, e
	}
	if status < 200 || status > 299 {
		return nil, respErr(false, nil)
	}
	result := env.Result
	if result == nil {
		// A successful JSON answer that is not an envelope (the OpenAPI
		// document of rest.documentation.openapi) is kept whole rather than
		// lost; a time block alone is not an answer.
		if t := bytes.TrimSpace(env.Time); len(t) > 0 && !bytes.Equal(t, []byte("null")) && !hasKeysBesides(trimmed, "time") {
			return nil, respErr(false, errors.New("no result in the envelope"))
		}
		result = trimmed
	}
	// A pooled body's buffer is reused: the result is the one thing kept as
	// bytes, copied; so is a result that is not most of an owned body.
	kept := result
	if !owned || 4*len(result) < 3*len(body) {
		kept = bytes.Clone(result)
	}
	r := &Response{
		Result: kept, Time: timingOf(env.Time), Status: status, Header: header,
		Method: method, API: v, RequestID: reqID, checked: true,
	}
	if split != nil && env.Result != nil {
		moved, ok := *split, true
		if len(kept) > 0 && &kept[0] != &result[0] {
			moved, ok = split.Rebase(result, kept)
		}
		if ok {
			r.split = &v2Split{env: moved, times: keyedTimes(moved.Time)}
		}
	}
	r.Total = optInt(env.Total)
	r.Next = optInt(env.Next)
	return r, nil
}

// scanEnvelope reads the members of body, a JSON object that
// jsonscan.Valid accepted, in one pass, as json.Unmarshal into an envelope
// would: keys matched whatever their case (strings.EqualFold), the last of
// a repeated key kept. The values are sub-slices of body.
func scanEnvelope(body []byte) envelope {
	var env envelope
	_ = jsonscan.EachMember(body, func(k, v []byte) bool {
		if dst := env.member(jsonscan.Key(k)); dst != nil {
			*dst = v
		}
		return true
	})
	return env
}

// scanBatchEnvelope is scanEnvelope for a v2 batch's answer: a result that
// is an object is split into the batch's sections as it is passed
// (batchwire.SplitAt), instead of being passed once here and again by the
// batch layer; split is nil when the last result member is not an object.
func scanBatchEnvelope(body []byte) (env envelope, split *batchwire.Envelope) {
	_, _ = jsonscan.Members(body, 0, func(k []byte, at int) (int, error) {
		dst := env.member(jsonscan.Key(k))
		if dst == &env.Result {
			split = nil
			if body[at] == '{' {
				s, end, err := batchwire.SplitAt(body, at)
				if err != nil {
					return 0, err
				}
				*dst, split = body[at:end], &s
				return end, nil
			}
		}
		end, err := jsonscan.SkipValue(body, at)
		if err == nil && dst != nil {
			*dst = body[at:end]
		}
		return end, err
	})
	return env, split
}

// member is the field of env that key names (nil for none).
func (env *envelope) member(key string) *json.RawMessage {
	for _, f := range [...]struct {
		name string
		dst  *json.RawMessage
	}{{"result", &env.Result}, {"error", &env.Error}, {"error_description", &env.ErrorDescription}, {"argument", &env.Argument},
		{"total", &env.Total}, {"next", &env.Next}, {"time", &env.Time}} {
		if strings.EqualFold(key, f.name) {
			return f.dst
		}
	}
	return nil
}

// hasKeysBesides reports whether the JSON object obj has a key other than key.
func hasKeysBesides(obj []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return false
	}
	for k := range m {
		if k != key {
			return true
		}
	}
	return false
}

func apiErrorOf(env *envelope, status int, method string, v APIVersion, reqID string) *APIError {
	raw := bytes.TrimSpace(env.Error)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	e := &APIError{Status: status, Method: method, RequestID: reqID, API: v}
	switch raw[0] {
	case '"':
		_ = json.Unmarshal(raw, &e.Code)
		e.Description = jsonText(env.ErrorDescription)
		e.Argument = jsonText(env.Argument)
	case '{':
		var x v3Error
		_ = json.Unmarshal(raw, &x)
		e.Code, e.Description = x.Code, strings.TrimSpace(x.Message)
		for _, row := range x.Validation {
			var ve ValidationError
			if json.Unmarshal(row, &ve) != nil || (ve.Field == "" && ve.Message == "") {
				ve = ValidationError{Message: string(row)}
			}
			e.Validation = append(e.Validation, ve)
		}
		if e.API == 0 {
			e.API = APIv3
		}
	default:
		e.Code = string(raw) // a number or other scalar
		e.Description = jsonText(env.ErrorDescription)
	}
	return e
}

// redactWith removes the secret from the texts the portal sent, which may
// echo the request's URL.
func (e *APIError) redactWith(redact func(string) string) {
	if redact == nil {
		return
	}
	e.Code, e.Description, e.Argument = redact(e.Code), redact(e.Description), redact(e.Argument)
	for i := range e.Validation {
		e.Validation[i].Field, e.Validation[i].Message = redact(e.Validation[i].Field), redact(e.Validation[i].Message)
	}
}

// jsonText returns a JSON string's text, or the raw JSON of any other value.
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// optInt decodes an optional integer sent as a number or a numeric string.
func optInt(raw json.RawMessage) *int {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
	}
	if n, err := strconv.Atoi(s); err == nil {
		return &n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		n := int(f)
		return &n
	}
	return nil
}

// snippet returns the start of a body for an error message: printable, at
// most 200 bytes, with the secret removed.
func snippet(body []byte, redact func(string) string) string {
	const max = 200
	// Redacted before the cut, so that no prefix of an echo is left at the
	// end; the window holds any echo that starts within max.
	const window = max + 18*256
	if len(body) > window {
		body = body[:window]
	}
	s := string(body)
	if redact != nil {
		s = redact(s)
	}
	if len(s) > max {
		s = s[:max]
	}
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 && r != ' ' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// UnmarshalJSON decodes a time block leniently: each number may come as a
// JSON number or a numeric string, and one that is neither or not finite
// ("NaN", "INF", 1e400) is taken as absent, so that a garbled figure never
// costs the answer it came with. A value that is not an object is an error.
func (t *Timing) UnmarshalJSON(b []byte) error {
	var w timingWire
	if err := w.read(b); err != nil {
		return err
	}
	t.set(&w)
	return nil
}

// set sets t from the members of a time block as sent.
func (t *Timing) set(w *timingWire) {
	*t = Timing{DateStart: jsonString(w.DateStart), DateFinish: jsonString(w.DateFinish),
		Operating: finiteNumber(w.Operating), OperatingResetAt: finiteNumber(w.OperatingResetAt)}
	for _, f := range []struct {
		dst *float64
		raw json.RawMessage
	}{{&t.Start, w.Start}, {&t.Finish, w.Finish}, {&t.Duration, w.Duration}, {&t.Processing, w.Processing}} {
		if v, ok := finite(f.raw); ok {
			*f.dst = v
		}
	}
}

// timingWire is a time block's members as sent.
type timingWire struct {
	Start            json.RawMessage `json:"start"`
	Finish           json.RawMessage `json:"finish"`
	Duration         json.RawMessage `json:"duration"`
	Processing       json.RawMessage `json:"processing"`
	DateStart        json.RawMessage `json:"date_start"`
	DateFinish       json.RawMessage `json:"date_finish"`
	Operating        json.RawMessage `json:"operating"`
	OperatingResetAt json.RawMessage `json:"operating_reset_at"`
}

// read reads b as json.Unmarshal into w would (FuzzTimingWire): an object
// in one jsonscan pass (keys in any case, the last of a repeated key
// kept), anything else through json.Unmarshal.
func (w *timingWire) read(b []byte) error {
	o := jsonscan.Trim(b)
	if len(o) == 0 || o[0] != '{' || !jsonscan.Valid(o) {
		return json.Unmarshal(b, w)
	}
	return w.readValid(o)
}

// readValid is read for an object a jsonscan.Valid text holds: not
// checked again, and a plain key matched without a copy.
func (w *timingWire) readValid(o []byte) error {
	return jsonscan.EachMember(o, func(k, v []byte) bool {
		if dst := w.member(k); dst != nil {
			*dst = v
		}
		return true
	})
}

// member is the member of w the raw key (with its quotes) names, in any
// letter case as json.Unmarshal matches it; nil for none.
func (w *timingWire) member(k []byte) *json.RawMessage {
	fields := [...]struct {
		name string
		dst  *json.RawMessage
	}{{"start", &w.Start}, {"finish", &w.Finish}, {"duration", &w.Duration}, {"processing", &w.Processing},
		{"date_start", &w.DateStart}, {"date_finish", &w.DateFinish}, {"operating", &w.Operating}, {"operating_reset_at", &w.OperatingResetAt}}
	if in := k[1 : len(k)-1]; jsonscan.IsPlainASCII(in) {
		for _, f := range fields {
			if jsonscan.EqualFoldASCII(in, f.name) {
				return f.dst
			}
		}
		return nil
	}
	key := jsonscan.Key(k) // escapes or bytes past ASCII: Unicode folding
	for _, f := range fields {
		if strings.EqualFold(key, f.name) {
			return f.dst
		}
	}
	return nil
}

// finiteNumber decodes a finite number sent as a JSON number or a numeric
// string; nil for anything else.
func finiteNumber(raw json.RawMessage) *float64 {
	if f, ok := finite(raw); ok {
		return &f
	}
	return nil
}

// finite is finiteNumber's value; ok is false for nil.
func finite(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	switch {
	case raw[0] == '"':
		var q string
		if json.Unmarshal(raw, &q) != nil {
			return 0, false
		}
		s = strings.TrimSpace(q)
	case raw[0] != '-' && (raw[0] < '0' || raw[0] > '9'):
		return 0, false // null, true, an object, a list
	default:
		s = string(raw) // not kept: no copy on the heap
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// jsonString returns a JSON string's text; "" for any other value.
func jsonString(raw json.RawMessage) string {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		if in := raw[1 : len(raw)-1]; jsonscan.IsPlainASCII(in) && !hasControl(in) && bytes.IndexByte(in, '"') < 0 {
			return string(in)
		}
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// hasControl reports whether b holds a control character (not valid
// inside a JSON string).
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// timingOf decodes an envelope's time block, a part of a body
// jsonscan.Valid accepted (not checked again); nil when absent or not an
// object.
func timingOf(raw json.RawMessage) *Timing {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var w timingWire
	if w.readValid(raw) != nil {
		return nil
	}
	t := new(Timing)
	t.set(&w)
	return t
}
