package b24test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/b24go/b24/internal/php"
)

// FuzzV2Params feeds the parameter parser arbitrary query strings, content
// types and bodies: it must not panic, must take start, auth and state out,
// must let a JSON object body's keys win, and must give parameters that PHP
// could encode again.
func FuzzV2Params(f *testing.F) {
	f.Add("filter[>ID]=5&select[]=ID&start=50", "", "")
	f.Add("a=1", "application/json", `{"a":2,"start":"-1"}`)
	f.Add("", "application/x-www-form-urlencoded", "fields[PHONE][0][VALUE]=1&cmd[a]=crm.deal.list%3Fstart%3D0")
	f.Add("x[", "multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"a[]\"\r\n\r\nv\r\n--zz--\r\n")
	f.Add("auth=1&state=2", "application/json; charset=utf-8", `{"a":`)
	f.Fuzz(func(t *testing.T, query, ctype, body string) {
		req, err := http.NewRequest("POST", "https://h/rest/1/s/m", strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", ctype)
		p := v2Params(req)
		if p == nil {
			t.Fatal("nil params")
		}
		start := pullStart(p)
		_ = start
		for _, k := range []string{"start", "auth", "state"} {
			if _, ok := p.Get(k); ok {
				t.Fatalf("%s left in the parameters", k)
			}
		}
		if strings.HasPrefix(ctype, "application/json") {
			if v, err := php.DecodeJSON([]byte(body)); err == nil {
				if b, ok := v.(*php.Array); ok {
					for k, want := range b.All() {
						if k == "start" || k == "auth" || k == "state" {
							continue
						}
						if got, ok := p.Get(k); !ok || (isScalar(want) && got != want) {
							t.Fatalf("body key %q: got %v, want %v", k, got, want)
						}
					}
				}
			}
		}
		if utf8.ValidString(query) && utf8.ValidString(body) && !strings.Contains(query, "%") && !strings.Contains(body, "%") && !strings.Contains(body, `\u`) {
			if _, err := php.EncodeJSON(p); err != nil {
				t.Fatalf("parameters cannot be encoded: %v", err)
			}
		}
	})
}

func isScalar(v any) bool {
	_, arr := v.(*php.Array)
	return !arr
}
