package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/limit"
)

// vectorsDir holds real response bodies (testdata/vectors/README.md gives
// each one's source and HTTP status).
const vectorsDir = "testdata/vectors"

func loadVectors(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorsDir, "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("vectors missing at %s (%d files, %v)", vectorsDir, len(files), err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// TestDecodeVectors decodes every vector as the portal would send it.
func TestDecodeVectors(t *testing.T) {
	t.Parallel()
	// Fragments that are not whole envelopes: a time block alone, and a batch
	// result without its time block (decodes, but is checked separately).
	fragments := map[string]bool{"time.full.json": true}
	for name, body := range loadVectors(t) {
		t.Run(name, func(t *testing.T) {
			var probe struct {
				Error json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(body, &probe); err != nil {
				t.Fatalf("vector is not JSON: %v", err)
			}
			status := 200
			if len(probe.Error) > 0 {
				status = 400
			}
			v := APIv2
			if strings.HasPrefix(name, "v3.") {
				v = APIv3
			}
			resp, err := decodeEnvelope(body, status, http.Header{}, "m", v, "rid", nil)
			switch {
			case fragments[name]:
				var re *ResponseError
				if !errors.As(err, &re) {
					t.Fatalf("fragment decoded without error: %v %+v", err, resp)
				}
			case len(probe.Error) > 0:
				var ae *APIError
				if !errors.As(err, &ae) {
					t.Fatalf("error vector gave %v", err)
				}
				if ae.Code == "" && ae.Description == "" {
					t.Fatalf("error vector decoded empty: %+v", ae)
				}
				if ae.Status != 400 || ae.Method != "m" || ae.RequestID != "rid" {
					t.Fatalf("error context lost: %+v", ae)
				}
				if !strings.Contains(string(body), ae.Code) {
					t.Fatalf("code %q not from the body", ae.Code)
				}
			default:
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if len(resp.Result) == 0 {
					t.Fatal("no result")
				}
				if !json.Valid(resp.Result) {
					t.Fatal("result is not valid JSON")
				}
			}
		})
	}
}

func TestDecodeEnvelopeDetails(t *testing.T) {
	t.Parallel()
	vec := loadVectors(t)
	r, err := decodeEnvelope(vec["success.with-operating.json"], 200, http.Header{}, "crm.deal.add", APIv2, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if op, ok := r.Time.OperatingDuration(); !ok || op.Round(time.Millisecond) != 3308*time.Millisecond {
		t.Errorf("operating = %v %v", op, ok)
	}
	if at, ok := r.Time.ResetAt(); !ok || at.Unix() != 1705765533 {
		t.Errorf("reset = %v %v", at, ok)
	}
	if n, err := Decode[int](r); err != nil || n != 3465 {
		t.Errorf("result = %v %v", n, err)
	}
	if r.Total != nil || r.Next != nil {
		t.Error("total/next on a non-list")
	}

	r, err = decodeEnvelope(vec["crm.deal.list.json"], 200, http.Header{}, "crm.deal.list", APIv2, "", nil)
	if err != nil || r.Total == nil {
		t.Fatalf("list: %v %+v", err, r)
	}
	// Integer start/processing (current portals), no operating (older ones).
	r, err = decodeEnvelope([]byte(`{"result":true,"time":{"start":1769499930,"finish":1769499931.07,"duration":1.07,"processing":1,"date_start":"x","date_finish":"y"},"total":"12","next":50}`), 200, http.Header{}, "m", APIv2, "", nil)
	if err != nil || r.Time.Start != 1769499930 || r.Time.Processing != 1 || *r.Total != 12 || *r.Next != 50 {
		t.Fatalf("ints: %v %+v", err, r)
	}
	if _, ok := r.Time.OperatingDuration(); ok {
		t.Error("operating reported though absent")
	}

	r, err = decodeEnvelope(vec["v3.rest.documentation.openapi.json"], 200, http.Header{}, "documentation", APIv3, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := Decode[map[string]any](r); err != nil || doc["openapi"] != "3.0.0" {
		t.Fatalf("bare document lost: %v %v", doc, err)
	}
	_, err = decodeEnvelope(vec["v3.error.validation.json"], 400, http.Header{}, "tasks.task.get", APIv3, "", nil)
	var ae *APIError
	if !errors.As(err, &ae) || len(ae.Validation) != 1 || ae.Validation[0].Field != "id" || !errors.Is(err, ErrValidation) {
		t.Fatalf("validation: %v", err)
	}
	if !strings.Contains(err.Error(), "id: Required field") {
		t.Errorf("validation rows not in the message: %v", err)
	}
	_, err = decodeEnvelope(vec["tasks.task.list.error.json"], 400, http.Header{}, "tasks.task.list", APIv2, "", nil)
	if !errors.As(err, &ae) || ae.Code != "0" || ae.Description != "Invalid sorting key (internal error)" {
		t.Fatalf("numeric code: %v", err)
	}
}

func TestDecodeBadBodies(t *testing.T) {
	t.Parallel()
	redact := func(s string) string { return strings.ReplaceAll(s, testSecret, redacted) }
	tests := []struct {
		name      string
		body      string
		status    int
		truncated bool
	}{
		{"empty", "", 502, false},
		{"html 502", "<html><h1>502 Bad Gateway</h1>" + testSecret + "</html>", 502, false},
		{"plain text", "Service Unavailable", 503, false},
		{"json array", `[1,2]`, 200, false},
		{"truncated", `{"result":[{"ID":"1"},{"ID":"2"`, 200, true},
		{"truncated string", `{"result":"abc`, 200, true},
		{"garbage after", `{"result":1} trailing`, 200, false},
		{"time block only", `{"time":{}}`, 200, false},
		{"5xx json without error", `{"result":null}`, 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeEnvelope([]byte(tt.body), tt.status, http.Header{"Content-Type": {"text/html"}}, "crm.deal.list", APIv2, "rid", redact)
			var re *ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *ResponseError", err)
			}
			if re.Status != tt.status || re.Truncated != tt.truncated || re.Method != "crm.deal.list" {
				t.Fatalf("got %+v", re)
			}
			assertNoSecret(t, "snippet", err.Error())
		})
	}
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, desc string
		target     error
		want       bool
	}{
		{"QUERY_LIMIT_EXCEEDED", "", ErrQueryLimitExceeded, true},
		{"query_limit_exceeded", "", ErrQueryLimitExceeded, true},
		{"OVERLOAD_LIMIT", "", ErrQueryLimitExceeded, false},
		{"OPERATION_TIME_LIMIT", "", ErrOperationTimeLimit, true},
		{"BITRIX_REST_V3_EXCEPTION_RATELIMITEXCEPTION", "", ErrOperationTimeLimit, true},
		{"BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION", "", ErrNotFound, true},
		{"BITRIX_REST_V3_EXCEPTION_METHODNOTFOUNDEXCEPTION", "", ErrMethodNotFound, true},
		{"BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION", "", ErrAccessDenied, true},
		{"BITRIX_REST_V3_EXCEPTION_INSUFFICIENTSCOPEEXCEPTION", "", ErrInsufficientScope, true},
		{"INSUFFICIENT_SCOPE", "", ErrInsufficientScope, true},
		{"ERROR_ENTITY_NOT_FOUND", "", ErrNotFound, true},
		{"NOT_FOUND", "Item not found", ErrNotFound, true},
		{"", "Not found", ErrNotFound, true},
		{"", "Contact is not found", ErrNotFound, true},
		{"0", "Deal not found.", ErrNotFound, true},
		{"", "ID is not defined or invalid.", ErrNotFound, false},
		{"ERROR_CORE", "Element not found", ErrNotFound, false},
		{"", "Access denied.", ErrAccessDenied, true},
		{"ACCESS_DENIED", "REST is available only on commercial plans.", ErrAccessDenied, true},
		{"ERROR_CORE", "", Code("error_core"), true},
		{"ERROR_CORE", "", Code("ERROR_ARGUMENT"), false},
		{"INVALID_CREDENTIALS", "", ErrInvalidCredentials, true},
		{"INVALID_CREDENTIALS", "", ErrAmbiguous, false},
	}
	for _, tt := range tests {
		err := error(&APIError{Code: tt.code, Description: tt.desc, Status: 400, Method: "m"})
		if got := errors.Is(err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%q/%q, %v) = %v, want %v", tt.code, tt.desc, tt.target, got, tt.want)
		}
	}
}

func TestIsReadMethod(t *testing.T) {
	t.Parallel()
	for m, want := range map[string]bool{
		"crm.deal.get": true, "crm.deal.list": true, "CRM.DEAL.LIST": true, "crm.item.fields": true,
		"server.time": true, "profile": true, "app.info": true, "user.current": true, "scope": true,
		"tasks.task.list": true, "main.eventlog.tail": true, "tasks.task.field.list": true, "tasks.task.get": true,
		"crm.deal.add": false, "crm.deal.update": false, "crm.deal.delete": false, "tasks.task.add": false,
		"batch": false, "im.message.add": false, "crm.documentgenerator.document.add": false, "": false,
		// Every name and suffix IsReadMethod's doc lists.
		"scopes": true, "methods": true, "method.get": true, "user.get": true, "user.search": true,
		"user.access": true, "access.name": true, "feature.get": true, "documentation": true,
		"rest.documentation.openapi": true, "rest.scope.list": true, " Profile ": true,
		"crm.deal.aggregate": true, "entity.item.search": true, "crm.deal.userfield.getlist": true,
		"crm.item.getfields": true, "tasks.task.count": true,
		"user.add": false, "documentation.add": false, "get": false, "list": false,
		// A get that deletes or holds what it returns: never repeated.
		"event.offline.get": false, "Event.Offline.Get": false, "event.offline.list": true, "event.get": true,
	} {
		if got := IsReadMethod(m); got != want {
			t.Errorf("IsReadMethod(%q) = %v", m, got)
		}
	}
	for _, tc := range []struct {
		v    APIVersion
		body string
		want bool
	}{
		{APIv2, `{"halt":1,"cmd":{"a":"crm.deal.list?filter%5B%3EID%5D=0","b":"crm.deal.get?id=1"}}`, true},
		{APIv2, `{"cmd":["crm.deal.list","crm.deal.update?id=1&fields[TITLE]=x"]}`, false},
		{APIv2, `{"CMD":["user.current"]}`, true},
		{APIv2, `{"cmd":[]}`, false},
		{APIv2, `{}`, false},
		{APIv3, `[{"method":"tasks.task.get","query":{"id":1}},{"method":"tasks.task.list"}]`, true},
		{APIv3, `[{"method":"tasks.task.add","query":{}}]`, false},
	} {
		if got := batchIsRead(tc.v, []byte(tc.body)); got != tc.want {
			t.Errorf("batchIsRead(%s) = %v", tc.body, got)
		}
	}
}

func TestEncodeParams(t *testing.T) {
	t.Parallel()
	type deal struct {
		ID int `json:"id"`
	}
	for _, tc := range []struct {
		in   any
		want string
		bad  bool
	}{
		{nil, `{}`, false},
		{map[string]any{"id": 1}, `{"id":1}`, false},
		{deal{ID: 5}, `{"id":5}`, false},
		{json.RawMessage(`{"a":[1]}`), `{"a":[1]}`, false},
		{[]byte(` [{"method":"x"}] `), `[{"method":"x"}]`, false},
		{json.RawMessage(`null`), `{}`, false},
		{json.RawMessage(`{"a":`), "", true},
		{"a string", "", true},
		{42, "", true},
		{map[string]any{"f": func() {}}, "", true},
	} {
		got, err := encodeParams("m", tc.in)
		if tc.bad != (err != nil) || !tc.bad && !bytes.Equal(got, []byte(tc.want)) {
			t.Errorf("encodeParams(%v) = %s, %v", tc.in, got, err)
		}
	}
	for _, m := range []string{"crm.deal.list", "tasks.flow.Flow.create", "a_b-c"} {
		if checkMethod(m) != nil {
			t.Errorf("checkMethod(%q) rejected", m)
		}
	}
	for _, m := range []string{"", "crm.deal.list?x=1", "../../x", "a/b", "a b", "crm%2e"} {
		if checkMethod(m) == nil {
			t.Errorf("checkMethod(%q) accepted", m)
		}
	}
}

// FuzzDecodeEnvelope: no input panics; every outcome is a Response or one of
// the typed errors.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, b := range loadVectors(f) {
		f.Add(b, 200)
	}
	f.Add([]byte(`{"result":{"result":{"a":1},"result_error":[],"result_time":{"a":{"operating":1}}}}`), 200)
	f.Add([]byte(`<html>`), 502)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		resp, err := decodeEnvelope(body, status, http.Header{}, "m", APIv2, "", nil)
		if err == nil {
			if resp == nil || resp.Result == nil {
				t.Fatal("nil response without error")
			}
			_ = batchTimes(resp)
			_, _ = resp.Time.OperatingDuration()
			_, _ = resp.Time.ResetAt()
			return
		}
		var ae *APIError
		var re *ResponseError
		if !errors.As(err, &ae) && !errors.As(err, &re) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}

// TestTimingLenient: a garbled figure of the time block is taken as absent;
// it never costs the answer it came with.
func TestTimingLenient(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		block     string
		op, reset *float64
		start     float64
	}{
		{`{"start":1,"operating":1.5,"operating_reset_at":1769500530}`, f(1.5), f(1769500530), 1},
		{`{"start":"1769499930","operating":"480.5","operating_reset_at":" 1769500530 "}`, f(480.5), f(1769500530), 1769499930},
		{`{"operating":"NaN","operating_reset_at":"NaN"}`, nil, nil, 0},
		{`{"operating":"Inf","operating_reset_at":"-Infinity"}`, nil, nil, 0},
		{`{"operating":1e400,"operating_reset_at":-1e400}`, nil, nil, 0},
		{`{"operating":true,"operating_reset_at":{},"start":[]}`, nil, nil, 0},
		{`{"operating":null,"operating_reset_at":"soon","start":"x","finish":1e999}`, nil, nil, 0},
		{`{"operating":-5,"operating_reset_at":-1}`, f(-5), f(-1), 0},
		{`[]`, nil, nil, 0},
		{`"garbage"`, nil, nil, 0},
	} {
		t.Run(tc.block, func(t *testing.T) {
			body := `{"result":{"ID":"1"},"time":` + tc.block + `}`
			r, err := decodeEnvelope([]byte(body), 200, http.Header{}, "crm.deal.get", APIv2, "r", nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if string(r.Result) != `{"ID":"1"}` {
				t.Fatalf("result %s", r.Result)
			}
			if !strings.HasPrefix(tc.block, "{") {
				if r.Time != nil {
					t.Fatalf("time %+v from a block that is not an object", *r.Time)
				}
				return
			}
			same := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
			if !same(r.Time.Operating, tc.op) || !same(r.Time.OperatingResetAt, tc.reset) || r.Time.Start != tc.start {
				t.Fatalf("time %+v", *r.Time)
			}
		})
	}
}

// TestTimingOverflow: figures a duration or a time cannot hold are not reported.
func TestTimingOverflow(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	for _, v := range []float64{1e10, 1e300, -1} {
		if d, ok := (&Timing{Operating: f(v)}).OperatingDuration(); ok {
			t.Errorf("operating %v reported as %v", v, d)
		}
	}
	for _, v := range []float64{1 << 53, 1e300, 0, -5} {
		if at, ok := (&Timing{OperatingResetAt: f(v)}).ResetAt(); ok {
			t.Errorf("reset %v reported as %v", v, at)
		}
	}
	if d, ok := (&Timing{Operating: f(480.5)}).OperatingDuration(); !ok || d != 480500*time.Millisecond {
		t.Errorf("480.5 s read as %v, %v", d, ok)
	}
}

// TestAbsurdFiguresUsableWithinWindow: after one answer with absurd figures
// for a method whose budget is nearly spent, the method is called again
// within the window, and the answer itself is delivered.
func TestAbsurdFiguresUsableWithinWindow(t *testing.T) {
	t.Parallel()
	const w = 600 * time.Second
	tenYears := func(now time.Time) string { return fmt.Sprint(now.Add(10 * 365 * 24 * time.Hour).Unix()) }
	for _, tc := range []struct {
		name  string
		block func(now time.Time) string // the time block of the first answer
		next  time.Duration              // when the next call goes
	}{
		// A reset on a whole second may have been truncated: the call waits
		// one second more (opbudget.ResetSlackOf), never less.
		{"sane reset in 30 s", func(now time.Time) string {
			return fmt.Sprintf(`{"operating":479,"operating_reset_at":%d}`, now.Add(30*time.Second).Unix())
		}, 31 * time.Second},
		{"reset ten years ahead", func(now time.Time) string {
			return `{"operating":479,"operating_reset_at":` + tenYears(now) + `}`
		}, w},
		{"reset in milliseconds", func(now time.Time) string {
			return fmt.Sprintf(`{"operating":479,"operating_reset_at":%d}`, now.Add(30*time.Second).UnixMilli())
		}, 31 * time.Second},
		{"reset in milliseconds, as a string", func(now time.Time) string {
			return fmt.Sprintf(`{"operating":"479","operating_reset_at":"%d"}`, now.Add(30*time.Second).UnixMilli())
		}, 31 * time.Second},
		{"reset 1e300", func(time.Time) string { return `{"operating":479,"operating_reset_at":1e300}` }, 0},
		{"reset NaN", func(time.Time) string { return `{"operating":479,"operating_reset_at":"NaN"}` }, 0},
		{"reset negative", func(time.Time) string { return `{"operating":479,"operating_reset_at":-1769500530}` }, 0},
		{"operating NaN", func(now time.Time) string {
			return `{"operating":"NaN","operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"operating huge", func(now time.Time) string {
			return `{"operating":1e300,"operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"operating in milliseconds", func(now time.Time) string {
			return `{"operating":479000,"operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"operating negative", func(now time.Time) string {
			return `{"operating":-479,"operating_reset_at":` + tenYears(now) + `}`
		}, 0},
		{"start and finish absurd", func(now time.Time) string {
			return fmt.Sprintf(`{"start":"x","finish":1e400,"duration":-1,"operating":1,"operating_reset_at":%d}`, now.Unix())
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ts := &timedSteps{start: time.Now()}
				first := func(req *http.Request) (*http.Response, error) {
					return answer(200, `{"result":{"ID":"1"},"time":`+tc.block(time.Now())+`}`)(req)
				}
				tr := &scriptTransport{steps: ts.wrap([]func(*http.Request) (*http.Response, error){first, answer(200, okBody)})}
				h := scriptedHook(t, tr)
				ctx, cancel := context.WithTimeout(t.Context(), 2*w)
				defer cancel()
				for i := range 2 {
					resp, err := h.Call(ctx, "crm.deal.get", nil)
					if err != nil || resp.Attempts != 1 || string(resp.Result) != `{"ID":"1"}` {
						t.Fatalf("call %d: %v, %+v", i, err, resp)
					}
				}
				if ts.at[1] != tc.next {
					t.Fatalf("second call at %v, want %v", ts.at[1], tc.next)
				}
			})
		})
	}
}

// TestRetryAfterAbsurd: a refusal's Retry-After is honoured up to the
// window, and ignored when it is not a number of seconds or a date.
func TestRetryAfterAbsurd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		next  time.Duration // when the retry goes, after a 429 (Window/60 without a usable header)
	}{
		{"30", 30 * time.Second},
		{"86400", time.Minute},
		{"9223372036854775807", time.Minute},
		{"99999999999999999999", time.Second},
		{"-5", time.Second},
		{"1e9", time.Second},
		{"NaN", time.Second},
		{"Fri, 31 Dec 9999 23:59:59 GMT", time.Minute},
		{"Sat, 01 Jan 2000 00:00:20 GMT", 20 * time.Second},
	} {
		t.Run(tc.value, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ts := &timedSteps{start: time.Now()}
				refused := answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"x"}`, "Retry-After", tc.value)
				tr := &scriptTransport{steps: ts.wrap([]func(*http.Request) (*http.Response, error){refused, answer(200, okBody)})}
				h := scriptedHook(t, tr, WithLimiter(foreignLimiter{}), WithRestrictionParams(RestrictionParams{Params: limit.Params{Operating: limit.OperatingLimit{Limit: 48 * time.Second, Window: time.Minute, Margin: time.Second}}}))
				resp, err := h.Call(t.Context(), "crm.deal.get", nil)
				if err != nil || resp.Attempts != 2 {
					t.Fatalf("%v, %+v", err, resp)
				}
				if ts.at[1] != tc.next {
					t.Fatalf("retried at %v, want %v", ts.at[1], tc.next)
				}
			})
		})
	}
}
