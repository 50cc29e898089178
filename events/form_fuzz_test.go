package events

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseForm: ParseForm never panics, errors wrap ErrForm, every key it
// accepts is within the limits and re-encodes to a body that parses back to
// the same form.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D=5&ts=1&auth%5Bdomain%5D=x.bitrix24.com",
		"a[b][c][d][e]=1", "a[]=1", "a=1&a=2", "=x", "a[b=1", "a]b=1", "%zz=1", "&&&", "a[b]c=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := ParseForm(body)
		if err != nil {
			if !errors.Is(err, ErrForm) {
				t.Fatalf("error %v does not wrap ErrForm", err)
			}
			return
		}
		if len(form) > MaxKeys {
			t.Fatalf("%d keys", len(form))
		}
		var parts []string
		for k, v := range form {
			if strings.Count(k, "[") > MaxDepth {
				t.Fatalf("key %q too deep", k)
			}
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
		enc := strings.Join(parts, "&")
		if len(enc) > MaxBody {
			return // escaping grew it past the cap
		}
		again, err := ParseForm(enc)
		if err != nil || len(again) != len(form) {
			t.Fatalf("re-encoded form: %v, %d keys want %d", err, len(again), len(form))
		}
		for k, v := range form {
			if again[k] != v {
				t.Fatalf("key %q: %q, want %q", k, again[k], v)
			}
		}
	})
}
