package b24

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestOnTheWire(t *testing.T) {
	t.Parallel()
	type seen struct {
		path, query string
		header      http.Header
		body        map[string]any
	}
	var mu sync.Mutex
	var got []seen
	big := strings.Repeat("x", 4096)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		mu.Lock()
		got = append(got, seen{r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/big") {
			io.WriteString(w, `{"result":"`+big+`"}`)
			return
		}
		io.WriteString(w, `{"result":{"ok":true},"time":{"start":1,"finish":2,"duration":1,"processing":0,"date_start":"","date_finish":""}}`)
	}))
	defer srv.Close()
	user := srv.Client()
	h, err := FromWebhookURL(srv.URL+"/rest/9/"+testSecret, WithHTTPClient(user), WithUserAgent("my-app/1.2"), WithMaxResponseSize(2048))
	if err != nil {
		t.Fatal(err)
	}
	if user.CheckRedirect != nil {
		t.Fatal("the caller's client was modified")
	}
	ctx := t.Context()
	if _, err := h.Call(ctx, "crm.deal.get", map[string]any{"id": 5}, WithRequestID("req-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.V3().Call(ctx, "tasks.task.update", map[string]any{"id": 5, "fields": map[string]any{"title": "x"}}, WithIdempotencyKey("key-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.V3().Call(ctx, "tasks.task.add", nil); err != nil {
		t.Fatal(err)
	}
	_, err = h.Call(ctx, "big", nil)
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("oversized body: %v", err)
	}
	if len(got) != 4 {
		t.Fatalf("%d requests", len(got))
	}
	g := got[0]
	if g.path != "/rest/9/"+testSecret+"/crm.deal.get" || g.query != "" {
		t.Errorf("v2 request to %q ? %q", g.path, g.query)
	}
	if g.header.Get("X-Request-ID") != "req-1" || g.header.Get("User-Agent") != "my-app/1.2" ||
		g.header.Get("Content-Type") != "application/json" || g.header.Get("Idempotency-Key") != "" {
		t.Errorf("v2 headers %v", g.header)
	}
	if g.body["id"] != float64(5) {
		t.Errorf("body %v", g.body)
	}
	g = got[1]
	if g.path != "/rest/api/9/"+testSecret+"/tasks.task.update" || g.header.Get("Idempotency-Key") != "key-1" {
		t.Errorf("v3 request %q %v", g.path, g.header)
	}
	if !uuidV7.MatchString(got[2].header.Get("Idempotency-Key")) || !uuidV7.MatchString(got[2].header.Get("X-Request-ID")) {
		t.Errorf("generated ids %q %q are not UUIDv7", got[2].header.Get("Idempotency-Key"), got[2].header.Get("X-Request-ID"))
	}
	if got[2].header.Get("User-Agent") != "my-app/1.2" {
		t.Error("user agent")
	}

	if !h.IsInit() {
		t.Fatal("IsInit false before Close")
	}
	h.Close()
	if _, err := h.Call(ctx, "profile", nil); !errors.Is(err, ErrClosed) || h.IsInit() {
		t.Fatalf("after Close: %v", err)
	}
}

func TestAuthData(t *testing.T) {
	t.Parallel()
	h, err := New(HookParams{PortalURL: "https://Portal.Example.com:443", UserID: 3, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	a := h.Auth()
	if a.AccessToken.Reveal() != testSecret || a.RefreshToken != "hook" || a.Expires != 0 || a.ExpiresIn != 0 ||
		a.Domain != "portal.example.com" || a.MemberID != "portal.example.com" || !a.IsAdmin {
		t.Fatalf("auth %+v", a)
	}
	if a.Unique("app") != "app_portal.example.com" || h.TargetOrigin() != "https://portal.example.com" {
		t.Fatal("unique or origin")
	}
	if len(h.CredentialHash()) != 32 || strings.Contains(h.CredentialHash(), testSecret) {
		t.Fatal("credential hash")
	}
	other, _ := New(HookParams{PortalURL: "https://portal.example.com", UserID: 3, Secret: "othersecret"})
	if other.CredentialHash() == h.CredentialHash() {
		t.Fatal("different secrets share a credential hash")
	}
}

// TestReadLimitedLargeBuffer: a buffer larger than the limit (a pooled one
// from an earlier, larger answer) must not let a body past the limit.
func TestReadLimitedLargeBuffer(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 3000)
	for _, c := range []int{0, 100, 2048, 4096, 1 << 20} {
		b, over, err := readLimited(strings.NewReader(body), make([]byte, 0, c), 2048)
		if err != nil || !over || len(b) > 2048 {
			t.Errorf("buffer cap %d: len %d over %v err %v", c, len(b), over, err)
		}
		b, over, err = readLimited(strings.NewReader(body[:2048]), make([]byte, 0, c), 2048)
		if err != nil || over || len(b) != 2048 {
			t.Errorf("buffer cap %d, body at the limit: len %d over %v err %v", c, len(b), over, err)
		}
	}
}

// TestOwnedAnswersKept: a large answer of announced length is read into a
// buffer its Response keeps (no copy of its result), so the next answers,
// large or small, pooled or owned, never write into an earlier Response;
// an answer that echoes the secret is masked all the same.
func TestOwnedAnswersKept(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		size := 100 << 10 // owned
		if i%2 == 0 {
			size = 1 << 10 // pooled
		}
		fill := strings.Repeat(string(rune('a'+i%26)), size)
		if i == 3 {
			fill = fill[:size/2] + testSecret + fill[size/2+len(testSecret):]
		}
		body := `{"result":"` + fill + `","time":{"start":1,"finish":2}}`
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		io.WriteString(w, body)
	}))
	defer srv.Close()
	h, err := FromWebhookURL(srv.URL+"/rest/9/"+testSecret, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	var kept []*Response
	var want []string
	for range 6 {
		r, err := h.Call(t.Context(), "m", nil)
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, r)
		want = append(want, string(r.Result))
	}
	for i, r := range kept {
		if string(r.Result) != want[i] {
			t.Fatalf("answer %d changed after later requests", i+1)
		}
		if i == 2 && (strings.Contains(want[i], testSecret) || !strings.Contains(want[i], "****")) {
			t.Fatal("the secret echoed in a large answer was not masked")
		}
		if c := want[i][1]; c != byte('a'+(i+1)%26) {
			t.Fatalf("answer %d holds %q, not its own text", i+1, c)
		}
	}
}

// TestDecodeOwnedBody: an owned body's result is kept in place when it is
// most of the body, copied when it is not; a pooled body's is copied.
func TestDecodeOwnedBody(t *testing.T) {
	t.Parallel()
	big := []byte(`{"result":{"result":{"p0":[{"ID":"1"},{"ID":"2"}]},"result_time":{"p0":{"start":1}}},"time":{}}`)
	small := []byte(`{"result":[1],"pad":"` + strings.Repeat("x", 200) + `"}`)
	for _, tc := range []struct {
		name    string
		body    []byte
		owned   bool
		inPlace bool
	}{
		{"owned, most of the body", big, true, true},
		{"pooled", big, false, false},
		{"owned, a small part", small, true, false},
	} {
		r, err := decodeBody(tc.body, tc.owned, 200, http.Header{}, "batch", APIv2, "", nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		start := bytes.Index(tc.body, r.Result)
		in := start >= 0 && &tc.body[start] == &r.Result[0]
		if in != tc.inPlace {
			t.Fatalf("%s: result in the body: %v, want %v", tc.name, in, tc.inPlace)
		}
		if tc.body[2] == 'r' && r.split != nil {
			sec, err := decodeV2Sections(r)
			if err != nil || string(sec.Result["p0"]) != `[{"ID":"1"},{"ID":"2"}]` || len(sec.Spans["p0"]) != 4 {
				t.Fatalf("%s: sections %+v, %v", tc.name, sec, err)
			}
		}
	}
}
