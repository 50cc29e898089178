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
			mixed[i] = upperASCII(mixed[i])
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

// TestFindSecret: echoes are found in every form; near misses, escapes the
// secret's first character hides in, and other text are left alone.
func TestFindSecret(t *testing.T) {
	const sec = "a1B2c3"
	tests := []struct {
		in, want string
	}{
		{"x a1B2c3 y", "x **** y"},
		{"A1b2C3", "****"},
		{"%61%31%42%32%63%33", "****"},
		{"%41%31%62%32%43%33.", "****."},
		{`"\u0061\u0031\u0042\u0032\u0063\u0033"`, `"****"`},
		{`\u00251\u0031B2c3`, `\u00251\u0031B2c3`}, // "%11": no echo
		{`\u0025611B2c3`, `****`},                  // "%61" JSON-escaped '%'
		{`%\u00361\u00312c3`, `%\u00361\u00312c3`}, // "%61" then "12c3": no echo
		{`a1B2c`, `a1B2c`},                         // cut short
		{`a1B2c4 a1B2c3a1b2c3`, `a1B2c4 ********`},
		{`\u00a1B2c3`, `\u00a1B2c3`}, // 'a' inside an escape is no echo
		{`\\a1B2c3`, `\\****`},       // an escaped backslash, then the echo
		{`\a1B2c3`, `\****`},         // not a JSON escape
		{`%6`, `%6`},
		{`\u006`, `\u006`},
		{`%%61%31%42%32%63%33`, `%****`},
		{"", ""},
	}
	for _, tt := range tests {
		got := string(redactSecret([]byte(tt.in), sec))
		if got != tt.want {
			t.Errorf("redactSecret(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if s := redactSecretString(tt.in, sec); s != tt.want {
			t.Errorf("redactSecretString(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func FuzzRedactSecret(f *testing.F) {
	for _, s := range []string{"a1B2c3", `\u0061%31B2c3`, `x\u00a1\\%`, ""} {
		f.Add(s)
	}
	const sec = "a1B2c3"
	f.Fuzz(func(t *testing.T, s string) {
		r := redactSecret([]byte(s), sec)
		if holdsFullEcho(string(r), sec) {
			t.Fatalf("%q redacts to %q, which still holds the secret", s, r)
		}
		if json.Valid([]byte(`"`+s+`"`)) && !json.Valid([]byte(`"`+string(r)+`"`)) {
			t.Fatalf("%q is a valid JSON string, its redaction %q is not", s, r)
		}
		if redactSecretString(s, sec) != string(r) {
			t.Fatalf("the string and byte forms differ on %q", s)
		}
	})
}

// holdsFullEcho is holdsEcho for any secret, without the prefix rule.
func holdsFullEcho(s, sec string) bool {
	if i, _ := findSecret([]byte(s), sec, 0); i >= 0 {
		return true
	}
	var v string
	if json.Unmarshal([]byte(`"`+s+`"`), &v) == nil && strings.Contains(strings.ToLower(v), strings.ToLower(sec)) {
		return true
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(sec))
}
