package b24

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// echoForms are the ways a portal or a proxy may echo testSecret.
func echoForms() map[string]string {
	pct := func(s, format string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, format, s[i])
		}
		return b.String()
	}
	mixed := []byte(testSecret)
	for i := range mixed {
		if i%2 == 0 {
			mixed[i] = strings.ToUpper(string(mixed[i]))[0]
		}
	}
	return map[string]string{
		"exact":              testSecret,
		"upper case":         strings.ToUpper(testSecret),
		"mixed case":         string(mixed),
		"percent lower hex":  pct(testSecret, "%%%02x"),
		"percent upper hex":  pct(strings.ToUpper(testSecret), "%%%02X"),
		"percent in part":    testSecret[:4] + pct(testSecret[4:9], "%%%02x") + testSecret[9:],
		"json escaped":       pct(testSecret, `\u%04x`),
		"json upper hex":     pct(strings.ToUpper(testSecret), `\u%04X`),
		"json escaped pct":   pct(testSecret, `\u0025%02x`),
		"json in part":       testSecret[:3] + pct(testSecret[3:6], `\u%04x`) + testSecret[6:],
		"json hex of pct":    jsonHexOfPct(testSecret[0]) + testSecret[1:],
		"pct of upper, json": pct(strings.ToUpper(testSecret[:5]), `\u0025%02X`) + testSecret[5:],
	}
}

// jsonHexOfPct percent-encodes c with the first hex digit JSON-escaped.
func jsonHexOfPct(c byte) string {
	h := fmt.Sprintf("%02x", c)
	return fmt.Sprintf(`%%\u%04x%c`, h[0], h[1])
}

// holdsEcho is the test's own reading of an echo: JSON escapes and percent
// encodings decoded, case folded; it also reports a prefix of 8 or more
// characters (what a cut-off echo leaves).
func holdsEcho(s string) bool {
	for range 2 {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+5 < len(s) && s[i+1] == 'u' {
				if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil && n < 0x80 {
					b.WriteByte(byte(n))
					i += 5
					continue
				}
			}
			b.WriteByte(s[i])
		}
		s = b.String()
		b.Reset()
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b.WriteByte(byte(n))
					i += 2
					continue
				}
			}
			b.WriteByte(s[i])
		}
		s = b.String()
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(testSecret[:8]))
}

// assertNoEcho fails when s holds an echo of the secret in any form.
func assertNoEcho(t *testing.T, what, s string) {
	t.Helper()
	if holdsEcho(s) {
		t.Errorf("%s holds the secret: %s", what, s)
	}
}

func TestHoldsEcho(t *testing.T) {
	for name, f := range echoForms() {
		if !holdsEcho("x " + f + " y") {
			t.Errorf("%s: the test's oracle misses %q", name, f)
		}
	}
	if holdsEcho("https://portal.example.com/rest/1/****/ %41 \\u0041") {
		t.Error("the oracle sees an echo in a redacted text")
	}
}

// TestSecretEchoRedacted: each form of an echoed secret, in each place a
// portal or a proxy may put it, is redacted wherever the SDK shows it: the
// error (every verb, JSON, slog), Stats.LastErrors, the raw Result and the
// Response's headers. Before the fix only the exact form in a body was
// redacted, and neither headers nor a redirect's Location at all.
func TestSecretEchoRedacted(t *testing.T) {
	t.Parallel()
	places := []struct {
		name   string
		answer func(echo string) func(*http.Request) (*http.Response, error)
		isErr  bool
	}{
		{"error description", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(400, `{"error":"ERR_`+e+`","error_description":"no access for /rest/1/`+e+`/","argument":"`+e+`"}`)
		}, true},
		{"v3 validation", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(400, `{"error":{"code":"X","message":"at `+e+`","validation":[{"field":"`+e+`","message":"`+e+`"}]}}`)
		}, true},
		{"raw result", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(200, `{"result":{"url":"https:\/\/portal\/rest\/1\/`+e+`\/","`+e+`":["`+e+`"]},"time":{"start":1,"finish":1}}`)
		}, false},
		{"header", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(200, okBody, "X-Echo", "/rest/1/"+e+"/", "Link", "<https://portal/rest/1/"+e+"/>")
		}, false},
		{"header of an error", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(502, "<html>bad gateway</html>", "Content-Type", "text/html; u="+e, "X-"+e, "1")
		}, true},
		{"redirect location", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(302, "", "Location", "https://"+e+".elsewhere.example.net/rest/1/"+e+"/")
		}, true},
		{"html page", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(502, "<html>upstream failed for /rest/1/"+e+"/crm.deal.get</html>", "Content-Type", "text/html")
		}, true},
		{"cut html page", func(e string) func(*http.Request) (*http.Response, error) {
			return answer(502, "<html>"+strings.Repeat("x", 180)+e+"</html>", "Content-Type", "text/html")
		}, true},
	}
	for _, pl := range places {
		for form, echo := range echoForms() {
			if pl.name == "redirect location" && strings.Contains(echo, `\`) {
				continue // a host cannot hold a backslash: the URL does not parse
			}
			t.Run(pl.name+"/"+form, func(t *testing.T) {
				t.Parallel()
				h := scriptedHook(t, &scriptTransport{steps: []func(*http.Request) (*http.Response, error){pl.answer(echo)}},
					WithRestrictionParams(RestrictionParams{Retry: RetryPolicy{MaxAttempts: 1}}))
				resp, err := h.Call(t.Context(), "crm.deal.get", map[string]any{"id": 1})
				if (err != nil) != pl.isErr {
					t.Fatalf("err %v, want an error: %v", err, pl.isErr)
				}
				if err != nil {
					assertNoEcho(t, "error", err.Error())
					assertNoEcho(t, "error %#v", fmt.Sprintf("%#v", err))
					for _, r := range h.Stats().LastErrors {
						assertNoEcho(t, "LastErrors", fmt.Sprintf("%+v", r))
					}
					return
				}
				assertNoEcho(t, "raw result", string(resp.Result))
				var v any
				if err := json.Unmarshal(resp.Result, &v); err != nil {
					t.Fatalf("the redacted result is not JSON: %v: %s", err, resp.Result)
				}
				assertNoEcho(t, "decoded result", fmt.Sprintf("%v", v))
				assertNoEcho(t, "header", fmt.Sprintf("%v", resp.Header))
				assertNoEcho(t, "response", fmt.Sprintf("%+v", resp))
				if !strings.Contains(string(resp.Result)+fmt.Sprint(resp.Header), redacted) {
					t.Errorf("no redaction marker in %s %v: the check would pass vacuously", resp.Result, resp.Header)
				}
			})
		}
	}
}
