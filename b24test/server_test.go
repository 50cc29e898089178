package b24test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	return NewServer(t, append([]Option{WithFamily(testFamily), WithLatency(Latency{})}, opts...)...)
}

func TestRoutes(t *testing.T) {
	s := newTestServer(t, WithWebhook(7, "s3cr3tKey0123456"))
	base := s.URL()
	tests := []struct {
		name     string
		path     string
		status   int
		errCode  string // "" for success
		plain404 bool
	}{
		{"v2", "/rest/7/s3cr3tKey0123456/profile", 200, "", false},
		{"v2 trailing slash", "/rest/7/s3cr3tKey0123456/profile/", 200, "", false},
		{"v2 .json", "/rest/7/s3cr3tKey0123456/profile.json", 200, "", false},
		{"v2 .json and slash", "/rest/7/s3cr3tKey0123456/server.time.json/", 200, "", false},
		{"v2 case", "/rest/7/s3cr3tKey0123456/PROFILE", 200, "", false},
		{"v2 xml", "/rest/7/s3cr3tKey0123456/profile.xml", 400, "INVALID_REQUEST", false},
		{"v2 unknown method before auth", "/rest/7/wrong/no.such.method", 404, "ERROR_METHOD_NOT_FOUND", false},
		{"v2 wrong secret", "/rest/7/wrongsecret/profile", 401, "INVALID_CREDENTIALS", false},
		{"v2 wrong user", "/rest/8/s3cr3tKey0123456/profile", 401, "INVALID_CREDENTIALS", false},
		{"v2 secret only", "/rest/s3cr3tKey0123456/profile", 404, "ERROR_METHOD_NOT_FOUND", false},
		{"v2 oauth form", "/rest/profile", 401, "NO_AUTH_FOUND", false},
		{"v3 method", "/rest/api/7/s3cr3tKey0123456/test.echo", 200, "", false},
		{"v3 no suffix stripping", "/rest/api/7/s3cr3tKey0123456/test.echo.json", 404, "BITRIX_REST_V3_EXCEPTION_METHODNOTFOUNDEXCEPTION", false},
		{"v3 v2-only method", "/rest/api/7/s3cr3tKey0123456/profile", 404, "BITRIX_REST_V3_EXCEPTION_METHODNOTFOUNDEXCEPTION", false},
		{"v3 wrong secret", "/rest/api/7/nope/test.echo", 401, "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION", false},
		{"other path", "/foo", 404, "", true},
		{"rest root", "/restx/7/s3cr3tKey0123456/profile", 404, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, "POST", base+tt.path, "application/json", "{}")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if tt.plain404 {
				if strings.Contains(r.header.Get("Content-Type"), "json") {
					t.Fatalf("want a plain 404, got JSON %s", r.raw)
				}
				return
			}
			if got := r.errCode(); got != tt.errCode {
				t.Fatalf("error %q, want %q: %s", got, tt.errCode, r.raw)
			}
		})
	}
}

func TestScope(t *testing.T) {
	s := newTestServer(t, WithScopes("user"))
	r := v2(t, s, "test.add", `{}`)
	if r.status != 401 || r.errCode() != "insufficient_scope" {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	r = v3(t, s, "test.add", `{}`)
	if r.status != 403 || r.errCode() != "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION" {
		t.Fatalf("v3 got %d %s", r.status, r.raw)
	}
	if r := v2(t, s, "user.current", ""); r.status != 200 {
		t.Fatalf("user.current: %d", r.status)
	}
	// Inside a batch the scope error has an empty description.
	r = v2(t, s, "batch", `{"cmd":{"a":"test.add"}}`)
	if got := path(r.body, "result", "result_error", "a", "error"); got != "insufficient_scope" {
		t.Fatalf("batch: %s", r.raw)
	}
	if got := path(r.body, "result", "result_error", "a", "error_description"); got != "" {
		t.Fatalf("batch description %q", got)
	}
}

func TestEnvelope(t *testing.T) {
	s := newTestServer(t)
	r := v2(t, s, "test.list", `{"start":50}`)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if got, want := orderedKeys(t, r.raw), []string{"result", "next", "total", "time"}; !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	if n := num(t, r.obj()["next"]); n != 100 {
		t.Errorf("next %v", n)
	}
	if n := num(t, r.obj()["total"]); n != 120 {
		t.Errorf("total %v", n)
	}
	tm := r.obj()["time"].(map[string]any)
	var keys []string
	for _, k := range orderedKeys(t, mustJSON(t, r.raw, "time")) {
		keys = append(keys, k)
	}
	if want := []string{"start", "finish", "duration", "processing", "date_start", "date_finish", "operating_reset_at", "operating"}; !slices.Equal(keys, want) {
		t.Errorf("time keys %v, want %v", keys, want)
	}
	if ds, _ := tm["date_start"].(string); len(ds) != 25 || ds[19] != '+' {
		t.Errorf("date_start %q", ds)
	}
	// Last page: no next.
	r = v2(t, s, "test.list", `{"start":100}`)
	if _, ok := r.obj()["next"]; ok {
		t.Errorf("next on the last page: %s", r.raw)
	}
	// start=-1: total 0, no next.
	r = v2(t, s, "test.list", `{"start":-1}`)
	if _, ok := r.obj()["next"]; ok || num(t, r.obj()["total"]) != 0 {
		t.Errorf("start=-1: %s", r.raw[:80])
	}
	for k, want := range map[string]string{
		"Content-Type":                 "application/json; charset=utf-8",
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Headers": "origin, content-type, accept",
		"X-Content-Type-Options":       "nosniff",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// v3 envelope: result and time only.
	r = v3(t, s, "test.list", `{}`)
	if got := orderedKeys(t, r.raw); !slices.Equal(got, []string{"result", "time"}) {
		t.Errorf("v3 keys %v", got)
	}
	// v3 error shape.
	r = v3(t, s, "test.fail", `{}`)
	if r.status != 400 || !slices.Equal(orderedKeys(t, r.raw), []string{"error"}) ||
		!slices.Equal(orderedKeys(t, mustJSON(t, r.raw, "error")), []string{"code", "message"}) {
		t.Errorf("v3 error %d %s", r.status, r.raw)
	}
	// v2 error shape of the same error.
	r = v2(t, s, "test.fail", ``)
	if r.status != 400 || !slices.Equal(orderedKeys(t, r.raw), []string{"error", "error_description"}) {
		t.Errorf("v2 error %d %s", r.status, r.raw)
	}
}

// TestTimeBlockForms: current portals write "start" and "processing" as
// integers truncated to the second, and "duration" as "finish" less that
// truncated start (../docs/protocol.md §2); WithLegacyTime writes the
// older floats. "finish", "duration" and "operating" are floats in both. PHP writes an
// integral float without a fraction, so the calls start and end inside a
// second: the first 250 ms after the epoch, each taking 1.5 s.
func TestTimeBlockForms(t *testing.T) {
	type times struct{ start, processing, finish, duration string } // the JSON literals
	tests := []struct {
		name        string
		opts        []Option
		integers    bool // start and processing are JSON integers
		call, batch times
	}{
		{"current", nil, true,
			times{"946684800", "1", "946684801.75", "1.75"}, times{"946684801", "1", "946684803.25", "2.25"}},
		{"legacy", []Option{WithLegacyTime()}, false,
			times{"946684800.25", "1.5", "946684801.75", "1.5"}, times{"946684801.75", "1.5", "946684803.25", "1.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T, s *Server) {
				if now := time.Now().Unix(); now != 946684800 {
					t.Fatalf("the bubble starts at %d, want 946684800", now)
				}
				check := func(where string, tm any, want times) {
					t.Helper()
					for k, w := range map[string]string{"start": want.start, "processing": want.processing,
						"finish": want.finish, "duration": want.duration, "operating": "1.5"} {
						n, ok := path(tm, k).(json.Number)
						if !ok || string(n) != w {
							t.Errorf("%s.%s = %#v, want %s", where, k, path(tm, k), w)
						}
						integer := ok && !strings.ContainsAny(string(n), ".eE")
						if wantInt := tt.integers && (k == "start" || k == "processing"); integer != wantInt {
							t.Errorf("%s.%s = %s: integer %v, want %v", where, k, n, integer, wantInt)
						}
					}
				}
				time.Sleep(250 * time.Millisecond)
				r := v2(t, s, "profile", "")
				check("time", path(r.body, "time"), tt.call)
				r = v2(t, s, "batch", `{"cmd":{"a":"profile"}}`)
				check("batch time", path(r.body, "time"), tt.batch)
				check("result_time.a", path(r.body, "result", "result_time", "a"), tt.batch)
			}, append([]Option{WithLatency(Latency{Request: 1500 * time.Millisecond})}, tt.opts...)...)
		})
	}
}

// mustJSON returns the raw JSON of a top-level key.
func mustJSON(t testing.TB, raw []byte, key string) []byte {
	t.Helper()
	v, err := phpDecode(raw)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := v.Get(key)
	b, err := phpEncode(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPHPEscaping(t *testing.T) {
	s := newTestServer(t)
	r := v2(t, s, "test.echo", `{"x":"a/b <é> & 'q' \"d\""}`)
	want := `"x":"a\/b \u003C\u00e9\u003E \u0026 \u0027q\u0027 \u0022d\u0022"`
	if !bytes.Contains(r.raw, []byte(want)) {
		t.Fatalf("body %s does not contain %s", r.raw, want)
	}
}

func TestParams(t *testing.T) {
	s := newTestServer(t)
	multipartBody := func() (string, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("fields[TITLE]", "M")
		w.WriteField("select[]", "ID")
		w.WriteField("select[]", "TITLE")
		fw, _ := w.CreateFormFile("file", "a.txt")
		fw.Write([]byte("ignored"))
		w.Close()
		return w.FormDataContentType(), b.String()
	}
	mct, mbody := multipartBody()
	tests := []struct {
		name, query, ctype, body string
		want                     string // JSON of the params
		start                    int
	}{
		{"query", "?filter[>ID]=5&select[]=ID&select[]=TITLE", "", "", `{"filter":{"\u003EID":"5"},"select":["ID","TITLE"]}`, 0},
		{"multifield", "?fields[PHONE][0][VALUE]=1&fields[PHONE][0][VALUE_TYPE]=WORK", "", "", `{"fields":{"PHONE":[{"VALUE":"1","VALUE_TYPE":"WORK"}]}}`, 0},
		{"json over query", "?a=1&b=2", "application/json", `{"a":3,"c":[true,null]}`, `{"a":3,"b":"2","c":[true,null]}`, 0},
		{"json charset", "", "application/json; charset=utf-8", `{"a":"x"}`, `{"a":"x"}`, 0},
		{"malformed json", "?a=1", "application/json", `{"a":`, `[]`, 0},
		{"form", "?a=1", "application/x-www-form-urlencoded", "a=2&fields%5BTITLE%5D=T+1", `{"a":"2","fields":{"TITLE":"T 1"}}`, 0},
		{"multipart", "", mct, mbody, `{"fields":{"TITLE":"M"},"select":["ID","TITLE"]}`, 0},
		{"start pulled", "?start=50&auth=x&state=y&k=v", "", "", `{"k":"v"}`, 50},
		{"start json", "", "application/json", `{"start":-1}`, `[]`, -1},
		{"start intval", "?start=12abc", "", "", `[]`, 12},
		{"start garbage", "?start=abc", "", "", `[]`, 0},
		{"text body ignored", "?a=1", "text/plain", `a=2`, `{"a":"1"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if tt.body == "" {
				method = "GET"
			}
			r := do(t, s, method, s.WebhookURL()+"test.echo"+tt.query, tt.ctype, tt.body)
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			res := mustJSON(t, r.raw, "result")
			got := string(mustJSON(t, res, "params"))
			if got != tt.want {
				t.Errorf("params %s, want %s", got, tt.want)
			}
			if st := num(t, path(r.body, "result", "start")); int(st) != tt.start {
				t.Errorf("start %v, want %d", st, tt.start)
			}
		})
	}
	// v3 reads the JSON body only, and refuses a body that is not JSON.
	r := do(t, s, "POST", s.WebhookV3URL()+"test.echo?a=1", "application/json", `{"b":2}`)
	if got := string(mustJSON(t, mustJSON(t, r.raw, "result"), "params")); got != `{"b":2}` {
		t.Errorf("v3 params %s", got)
	}
	r = do(t, s, "POST", s.WebhookV3URL()+"test.echo", "application/json", `{"b":`)
	if r.status != 400 || r.errCode() != "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION" {
		t.Errorf("v3 bad json: %d %s", r.status, r.raw)
	}
}

func TestSystemMethods(t *testing.T) {
	s := newTestServer(t, WithSeed(Seed{Users: 120}))
	r := v2(t, s, "profile", "")
	if path(r.body, "result", "ID") != "1" || path(r.body, "result", "ADMIN") != true {
		t.Errorf("profile %s", r.raw)
	}
	r = v2(t, s, "app.info", "")
	if got := orderedKeys(t, mustJSON(t, r.raw, "result")); !slices.Equal(got, []string{"SCOPE", "LICENSE"}) {
		t.Errorf("app.info keys %v", got)
	}
	r = v2(t, s, "server.time", "")
	if st, _ := path(r.body, "result").(string); len(st) != 25 {
		t.Errorf("server.time %s", r.raw)
	}
	r = v2(t, s, "method.get", `{"name":"CRM.nope"}`)
	if path(r.body, "result", "isExisting") != false {
		t.Errorf("method.get %s", r.raw)
	}
	r = v2(t, s, "method.get", `{"name":"user.get"}`)
	if path(r.body, "result", "isExisting") != true || path(r.body, "result", "isAvailable") != true {
		t.Errorf("method.get %s", r.raw)
	}
	r = v2(t, s, "methods", "")
	if ms, _ := path(r.body, "result").([]any); !slices.Contains(ms, any("user.get")) || !slices.Contains(ms, any("batch")) {
		t.Errorf("methods %s", r.raw)
	}
	// user.get pages by 50 over 120 users.
	seen := 0
	start := 0
	for page := 0; page < 5; page++ {
		r = v2(t, s, "user.get", `{"start":`+strconv.Itoa(start)+`}`)
		rows, _ := path(r.body, "result").([]any)
		seen += len(rows)
		nx, ok := r.obj()["next"]
		if !ok {
			break
		}
		start = int(num(t, nx))
	}
	if seen != 120 {
		t.Errorf("user.get paged %d users, want 120", seen)
	}
	r = v2(t, s, "user.get", `{"FILTER":{"ID":"7"}}`)
	if rows, _ := path(r.body, "result").([]any); len(rows) != 1 || path(rows[0], "ID") != "7" {
		t.Errorf("user.get filter %s", r.raw)
	}
	r = v2(t, s, "user.current", "")
	if path(r.body, "result", "ID") != "1" || path(r.body, "result", "ACTIVE") != true {
		t.Errorf("user.current %s", r.raw)
	}
}

func TestCertificateAndClient(t *testing.T) {
	s := newTestServer(t)
	block, _ := pem.Decode(s.CertificatePEM())
	if block == nil {
		t.Fatal("no PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Errorf("URL %s", s.URL())
	}
	// A client that does not trust the certificate is refused.
	if _, err := http.Get(s.WebhookURL() + "profile"); err == nil {
		t.Error("default client accepted the self-signed certificate")
	}
}
