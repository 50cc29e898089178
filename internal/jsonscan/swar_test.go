package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// skipStringBytes is skipString a byte at a time, as it was before the
// word-at-a-time scan.
func skipStringBytes(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, ErrBadJSON
}

// TestWordScan: a quote, an escape or a control character at every offset
// from a word boundary, with every byte value around it, ends a string
// where the byte-at-a-time scan and json.Valid say it does.
func TestWordScan(t *testing.T) {
	specials := []string{`"`, `\"`, `\\`, `\\\"`, `\u00e9`, "\x00", "\x1f", " ", "\x7f", "\x80", "\xff", "é"}
	for pre := range 20 {
		for post := range 12 {
			for _, sp := range specials {
				for _, fill := range []byte{'a', 0x20, 0x21, 0x5b, 0x5d, 0x7e, 0x81, 0xfe} {
					s := `"` + strings.Repeat(string(fill), pre) + sp + strings.Repeat("b", post) + `"` + strings.Repeat(" ", post%3)
					b := []byte(s)
					got, gerr := skipString(b, 0)
					want, werr := skipStringBytes(b, 0)
					if got != want || (gerr == nil) != (werr == nil) {
						t.Fatalf("skipString(%q) = %d, %v; want %d, %v", s, got, gerr, want, werr)
					}
					if Valid(b) != json.Valid(b) {
						t.Fatalf("Valid(%q) = %v, json.Valid says %v", s, Valid(b), json.Valid(b))
					}
					// Unterminated: the same text cut before its closing quote.
					cut := b[:strings.LastIndexByte(s, '"')]
					got, gerr = skipString(cut, 0)
					want, werr = skipStringBytes(cut, 0)
					if got != want || (gerr == nil) != (werr == nil) {
						t.Fatalf("skipString(%q) = %d, %v; want %d, %v", cut, got, gerr, want, werr)
					}
					if Valid(cut) != json.Valid(cut) {
						t.Fatalf("Valid(%q) = %v, json.Valid says %v", cut, Valid(cut), json.Valid(cut))
					}
				}
			}
		}
	}
}
