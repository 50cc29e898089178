package b24

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
