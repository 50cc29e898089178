package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFind: echoes are found in every form; near misses, escapes the
// secret's first character hides in, and other text are left alone.
func TestFind(t *testing.T) {
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
		got := string(Bytes([]byte(tt.in), sec))
		if got != tt.want {
			t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if s := String(tt.in, sec); s != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"a1B2c3", `\u0061%31B2c3`, `x\u00a1\\%`, ""} {
		f.Add(s)
	}
	const sec = "a1B2c3"
	f.Fuzz(func(t *testing.T, s string) {
		r := Bytes([]byte(s), sec)
		if holdsFullEcho(string(r), sec) {
			t.Fatalf("%q redacts to %q, which still holds the secret", s, r)
		}
		if json.Valid([]byte(`"`+s+`"`)) && !json.Valid([]byte(`"`+string(r)+`"`)) {
			t.Fatalf("%q is a valid JSON string, its redaction %q is not", s, r)
		}
		if String(s, sec) != string(r) {
			t.Fatalf("the string and byte forms differ on %q", s)
		}
	})
}

// holdsFullEcho is holdsEcho for any secret, without the prefix rule.
func holdsFullEcho(s, sec string) bool {
	if i, _ := Find([]byte(s), sec, 0); i >= 0 {
		return true
	}
	var v string
	if json.Unmarshal([]byte(`"`+s+`"`), &v) == nil && strings.Contains(strings.ToLower(v), strings.ToLower(sec)) {
		return true
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(sec))
}
