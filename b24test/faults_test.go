package b24test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawDo sends a request and returns the response (body unread) or the error.
func rawDo(s *Server, method, url, body string, hdr ...string) (*http.Response, error) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := *s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c.Do(req)
}

func TestFaultsInMemory(t *testing.T) {
	tests := []struct {
		fault   Fault
		status  int    // 0: RoundTrip fails
		code    string // v2 error code, if JSON
		ran     bool   // the write was applied
		readErr error  // reading the body fails with this
	}{
		{FaultUnavailable, 503, "QUERY_LIMIT_EXCEEDED", false, nil},
		{FaultOverload, 503, "OVERLOAD_LIMIT", false, nil},
		{FaultBadGateway, 502, "", false, nil},
		{FaultMoved, 302, "", false, nil},
		{FaultInternal, 500, "INTERNAL_SERVER_ERROR", true, nil},
		{FaultReset, 0, "", true, nil},
		{FaultStreamReset, 0, "", true, nil}, // HTTP/2 only: a reset elsewhere
		{FaultGoAway, 0, "", true, nil},
		{FaultTruncated, 200, "", true, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			bubble(t, func(t *testing.T, s *Server) {
				s.FailNext("TEST.ADD", 1, tt.fault)
				hr, err := rawDo(s, "POST", s.WebhookURL()+"test.add", `{}`)
				if tt.status == 0 {
					if !errors.Is(err, syscall.ECONNRESET) {
						t.Fatalf("err = %v, want ECONNRESET", err)
					}
				} else {
					if err != nil {
						t.Fatal(err)
					}
					body, rerr := io.ReadAll(hr.Body)
					hr.Body.Close()
					if hr.StatusCode != tt.status {
						t.Fatalf("status %d, want %d", hr.StatusCode, tt.status)
					}
					if !errors.Is(rerr, tt.readErr) && rerr != tt.readErr {
						t.Fatalf("read error %v, want %v", rerr, tt.readErr)
					}
					if tt.code != "" && !strings.Contains(string(body), `"error":"`+tt.code+`"`) {
						t.Fatalf("body %s, want %s", body, tt.code)
					}
					if tt.code == "" && hr.StatusCode != 200 && !strings.HasPrefix(hr.Header.Get("Content-Type"), "text/html") {
						t.Fatalf("content type %q", hr.Header.Get("Content-Type"))
					}
					if tt.fault == FaultMoved && !strings.HasPrefix(hr.Header.Get("Location"), "https://moved.b24test.invalid/rest/") {
						t.Fatalf("Location %q", hr.Header.Get("Location"))
					}
				}
				if got := s.Audit().WriteCount("thing", 101); got != map[bool]int{true: 1}[tt.ran] {
					t.Errorf("writes %d, ran %v", got, tt.ran)
				}
				// The script is used up: the next call is normal.
				if r := v2(t, s, "test.add", `{}`); r.status != 200 {
					t.Errorf("next call %d", r.status)
				}
			}, WithLatency(Latency{}))
		})
	}
}

func TestFaultSlow(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		s.FailNext("", 1, FaultSlow)
		c := &http.Client{Transport: s.Transport(), Timeout: 9 * time.Second}
		before := time.Now()
		req, _ := http.NewRequest("GET", s.WebhookURL()+"test.add", nil)
		_, err := c.Do(req)
		if err == nil {
			t.Fatal("slow answer arrived before the client's timeout")
		}
		if el := time.Since(before); el != 9*time.Second {
			t.Errorf("gave up after %v", el)
		}
		// Without a client timeout it arrives after SlowDelay / K.
		s.FailNext("", 1, FaultSlow)
		before = time.Now()
		if r := v2(t, s, "test.add", ""); r.status != 200 || time.Since(before) != 10*time.Second {
			t.Errorf("slow answer %d after %v", r.status, time.Since(before))
		}
		if got := s.Audit().WriteCount("thing", 101); got != 1 {
			t.Errorf("first slow write applied %d times", got)
		}
	}, WithLatency(Latency{}), WithTimeScale(10))
}

func TestFaultsOnTheNetwork(t *testing.T) {
	s := newTestServer(t)
	s.FailNext("test.add", 1, FaultReset)
	if _, err := rawDo(s, "POST", s.WebhookURL()+"test.add", `{}`); err == nil {
		t.Error("reset: no error")
	}
	s.FailNext("test.add", 1, FaultTruncated)
	hr, err := rawDo(s, "POST", s.WebhookURL()+"test.add", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(hr.Body)
	hr.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: read error %v", err)
	}
	if r := v2(t, s, "test.add", ""); r.status != 200 {
		t.Errorf("after faults: %d", r.status)
	}
	a := s.Audit()
	if a.ByStatus[0] != 1 || a.ByMethod["test.add"][200] != 2 {
		t.Errorf("audit by status %v, by method %v", a.ByStatus, a.ByMethod)
	}
	if a.Log[0].Fault != "reset" || a.Log[1].Fault != "truncated" || strings.Contains(a.Log[0].Path, *s.cfg.secret) {
		t.Errorf("log %+v", a.Log)
	}
}

func TestFaultRates(t *testing.T) {
	statuses := func(seed uint64) []int {
		var out []int
		bubble(t, func(t *testing.T, s *Server) {
			for i := 0; i < 200; i++ {
				hr, err := rawDo(s, "GET", s.WebhookURL()+"test.echo", "")
				if err != nil {
					out = append(out, 0)
					continue
				}
				io.Copy(io.Discard, hr.Body)
				hr.Body.Close()
				out = append(out, hr.StatusCode)
			}
		}, WithoutLimits(), WithLatency(Latency{}),
			WithFaults(FaultRates{Seed: seed, Rates: map[Fault]float64{FaultUnavailable: 0.2, FaultReset: 0.1}}))
		return out
	}
	a, b, c := statuses(7), statuses(7), statuses(8)
	count := map[int]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different faults at %d", i)
		}
		count[a[i]]++
	}
	if slicesEqual(a, c) {
		t.Error("different seeds gave the same faults")
	}
	if count[503] < 20 || count[503] > 60 || count[0] < 8 || count[0] > 35 || count[200] < 110 {
		t.Errorf("counts %v for rates 0.2 and 0.1 of 200", count)
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFailEndpoint(t *testing.T) {
	s := newTestServer(t)
	hr, err := s.Client().Post(s.URL()+FailPath+"?method=test.echo&n=2&fault=overload", "", nil)
	if err != nil || hr.StatusCode != 204 {
		t.Fatalf("fail endpoint: %v %v", err, hr)
	}
	for i, want := range []int{503, 503, 200} {
		if r := v2(t, s, "test.echo", ""); r.status != want {
			t.Errorf("call %d: %d, want %d", i, r.status, want)
		}
	}
	hr, _ = s.Client().Post(s.URL()+FailPath+"?fault=nope&n=1", "", nil)
	if hr.StatusCode != 400 {
		t.Errorf("bad fault: %d", hr.StatusCode)
	}
}

func TestIdempotency(t *testing.T) {
	s := newTestServer(t)
	key := "Idempotency-Key"
	r1 := v3(t, s, "test.add", `{"x":1}`, key, "k-1")
	if r1.status != 200 || r1.header.Get(key) != "k-1" {
		t.Fatalf("first: %d %v", r1.status, r1.header)
	}
	r2 := v3(t, s, "test.add", `{"x":1}`, key, "k-1")
	if r2.status != 200 || r2.header.Get("Idempotent-Replayed") != "true" || string(r2.raw) != string(r1.raw) {
		t.Fatalf("replay: %d %v %s", r2.status, r2.header, r2.raw)
	}
	if r := v3(t, s, "test.add", `{"x":2}`, key, "k-1"); r.status != 422 || r.errCode() != "BITRIX_REST_V3_EXCEPTION_IDEMPOTENCYKEYREUSEDEXCEPTION" {
		t.Fatalf("reuse: %d %s", r.status, r.raw)
	}
	for _, bad := range []string{strings.Repeat("a", 256), "tab\there", "é"} {
		if r := v3(t, s, "test.add", `{}`, key, bad); r.status != 400 || r.errCode() != "BITRIX_REST_V3_EXCEPTION_INVALIDIDEMPOTENCYKEYEXCEPTION" {
			t.Errorf("bad key %q: %d %s", bad, r.status, r.raw)
		}
	}
	// The answer is stored before a fault that strikes after execution.
	for _, f := range []Fault{FaultInternal, FaultReset, FaultTruncated} {
		s.FailNext("test.add", 1, f)
		k := "k-" + f.String()
		hr, err := rawDo(s, "POST", s.WebhookV3URL()+"test.add", `{}`, key, k)
		if err == nil {
			io.Copy(io.Discard, hr.Body)
			hr.Body.Close()
		}
		r := v3(t, s, "test.add", `{}`, key, k)
		if r.status != 200 || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%v: retry %d %v", f, r.status, r.header)
		}
	}
	// Same key on another method is another record; v2 ignores the header.
	if r := v3(t, s, "test.echo", `{}`, key, "k-1"); r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("read replayed")
	}
	a := s.Audit()
	for id := 101; id <= 104; id++ {
		if n := a.WriteCount("thing", id); n != 1 {
			t.Errorf("thing %d written %d times", id, n)
		}
	}
	if a.WriteCount("thing", 105) != 0 {
		t.Errorf("an extra write happened: %v", a.Writes)
	}
}

// TestFaultLateRun: the write runs LateRunDelay / K after the request
// arrived, though the client gave up long before: a search right after the
// client's timeout finds nothing, one after the delay finds the write.
func TestFaultLateRun(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		s.FailNext("", 1, FaultLateRun)
		c := &http.Client{Transport: s.Transport(), Timeout: time.Second}
		before := time.Now()
		req, _ := http.NewRequest("GET", s.WebhookURL()+"test.add", nil)
		if _, err := c.Do(req); err == nil {
			t.Fatal("the late answer arrived before the client's timeout")
		}
		if got := s.Audit().WriteCount("thing", 101); got != 0 {
			t.Fatalf("written %d times when the client gave up", got)
		}
		time.Sleep(scaleDur(LateRunDelay, 10) - time.Since(before) - time.Millisecond)
		if got := s.Audit().WriteCount("thing", 101); got != 0 {
			t.Fatalf("written %d times before LateRunDelay", got)
		}
		time.Sleep(2 * time.Millisecond)
		if got := s.Audit().WriteCount("thing", 101); got != 1 {
			t.Errorf("written %d times after LateRunDelay, want 1", got)
		}
		// A client that waits gets the normal answer, late.
		s.FailNext("", 1, FaultLateRun)
		before = time.Now()
		if r := v2(t, s, "test.add", ""); r.status != 200 || time.Since(before) != scaleDur(LateRunDelay, 10) {
			t.Errorf("late answer %d after %v", r.status, time.Since(before))
		}
	}, WithLatency(Latency{}), WithTimeScale(10))
}
