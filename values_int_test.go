package b24

import (
	"testing"

	"github.com/b24go/b24/internal/jsonscan"
)

// FuzzPlainInt: wherever plainInt reads an integer, the long way reads the
// same one.
func FuzzPlainInt(f *testing.F) {
	for _, s := range []string{`12`, `"12"`, `-5`, `"-0"`, `0`, `"007"`, `123456789012345678`, `"9223372036854775807"`, `""`, `"`, `-`, `"1"2"`, `1e3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = jsonscan.Trim(b)
		n, ok := plainInt(b)
		if !ok {
			return
		}
		m, err := parseInt64Long(b, "b24.ID")
		if err != nil || m != n {
			t.Fatalf("plainInt(%q) = %d; the long way: %d, %v", b, n, m, err)
		}
	})
}
