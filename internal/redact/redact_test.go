package redact

import (
	"encoding/json"
	"fmt"
	"slices"
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

// findEach is Find by trying every position in turn: the reference
// FuzzFind holds Find's anchor search to.
func findEach(b []byte, sec string, from int) (start, end int) {
	for from < len(b) {
		if e := matchSecret(b, from, sec); e > 0 {
			return from, e
		}
		if b[from] == '\\' {
			from += escapeLen(b, from)
		} else {
			from++
		}
	}
	return -1, -1
}

// echoes lists every echo find finds in b, one after the other as Bytes
// takes them.
func echoes(b []byte, sec string, find func([]byte, string, int) (int, int)) [][2]int {
	var out [][2]int
	for i, e := find(b, sec, 0); i >= 0; i, e = find(b, sec, e) {
		out = append(out, [2]int{i, e})
	}
	return out
}

// FuzzFind: Find and findDense find the echoes and skip the escapes that
// trying every position does (Find turns to findDense part-way on a text
// with many candidates, as some seeds are), for secrets of one and more characters, starting with a
// digit or a letter.
func FuzzFind(f *testing.F) {
	for _, s := range []string{"a1B2c3", `\u0061%31B2c3`, `x\u00a1\\%`, "", "112 12 %31%32 \\u00312 a1a1B2c3",
		`{"ID":"1","TITLE":"Deal 12"}`, `a%\u0031`, `1\u00252`, "Q9q9 q%39Q9", "xX\\u0078",
		strings.Repeat("1 12 x%\\u0031", 40) + "12 a1B2c3 x Q9q9", strings.Repeat(`\u0031\u0032`, 30) + `\u00312`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sec := range []string{"a1B2c3", "12", "x", "Q9q9"} {
			want := echoes([]byte(s), sec, findEach)
			if got := echoes([]byte(s), sec, Find); !slices.Equal(got, want) {
				t.Fatalf("%q, secret %q: Find finds %v, every position %v", s, sec, got, want)
			}
			if got := echoes([]byte(s), sec, findDense); !slices.Equal(got, want) {
				t.Fatalf("%q, secret %q: findDense finds %v, every position %v", s, sec, got, want)
			}
		}
	})
}

// BenchmarkFind: a list answer's text with no echo, for a secret whose
// first character is a digit (frequent in the text) and a letter.
func BenchmarkFind(b *testing.B) {
	var sb strings.Builder
	for i := range 2500 {
		fmt.Fprintf(&sb, `{"ID":"%d","TITLE":"Deal %d","STAGE_ID":"NEW","OPPORTUNITY":"%d.00"},`, 100000+i, i, 1000+i)
	}
	text := []byte(sb.String())
	for _, sec := range []string{"1k2j3h4g5f6d7s8a", "kq2j3h4g5f6d7s8a"} {
		b.Run(sec[:2], func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if i, _ := Find(text, sec, 0); i >= 0 {
					b.Fatal("an echo")
				}
			}
		})
	}
}
