package b24test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/b24go/b24/internal/php"
)

// maxBody bounds a request body.
const maxBody = 64 << 20

// v2Params reads the parameters of a REST v2 request as the portal does:
// the query string merged with the body (JSON keys replace query keys), PHP
// bracket keys nested, each of query string and form body cut at PHP's
// max_input_vars; a malformed JSON body gives no parameters at all.
func v2Params(r *http.Request) *php.Array {
	q, _ := php.ParseInput(r.URL.RawQuery)
	if r.Body == nil {
		return q
	}
	ct, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	ct = strings.ToLower(ct)
	switch ct {
	case "application/json":
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if len(bytes.TrimSpace(body)) == 0 {
			return q
		}
		v, err := php.DecodeJSON(body)
		b, ok := v.(*php.Array)
		if err != nil || !ok {
			return php.NewArray()
		}
		return replace(q, b)
	case "application/x-www-form-urlencoded":
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
		b, _ := php.ParseInput(string(body))
		return replace(q, b)
	case "multipart/form-data":
		b := php.NewArray()
		mr, err := multipartReader(r, mparams["boundary"])
		if err != nil {
			return q
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			name := p.FormName()
			if name == "" || p.FileName() != "" {
				p.Close()
				continue // files go to $_FILES, not to the parameters
			}
			val, _ := io.ReadAll(io.LimitReader(p, maxBody))
			b.SetPath(name, string(val))
			p.Close()
		}
		return replace(q, b)
	}
	return q
}

// replace is PHP's array_replace(a, b) on the top level.
func replace(a, b *php.Array) *php.Array {
	for k, v := range b.All() {
		a.Set(k, v)
	}
	return a
}

// pullStart removes start, auth and state from p and returns start as
// PHP's intval casts it.
func pullStart(p *php.Array) int {
	v, _ := p.Get("start")
	p.Delete("start")
	p.Delete("auth")
	p.Delete("state")
	return phpInt(v)
}

// phpInt is PHP's intval.
func phpInt(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case bool:
		if x {
			return 1
		}
		return 0
	case int:
		return x
	case int64:
		return int(x)
	case float64:
		return int(x)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return int(n)
		}
		if f, err := x.Float64(); err == nil {
			return int(f)
		}
		return 0
	case string:
		return intPrefix(x)
	case *php.Array:
		if x.Len() > 0 {
			return 1
		}
		return 0
	}
	return 0
}

// intPrefix reads a PHP numeric-string prefix (php.NumericPrefix): a
// fraction or exponent (PHP 7.1+) is truncated toward zero, and out of range
// is 0; an integer saturates.
func intPrefix(s string) int {
	p := php.NumericPrefix(s)
	if p == "" {
		return 0
	}
	if strings.ContainsAny(p, ".eE") {
		f := php.FloatVal(p)
		if f > 9.2e18 || f < -9.2e18 {
			return 0
		}
		return int(f)
	}
	n, err := strconv.ParseInt(p, 10, 64)
	if err != nil {
		if p[0] == '-' {
			return -1 << 63
		}
		return 1<<63 - 1
	}
	return int(n)
}

// v3Params reads the JSON body of a REST v3 request. The query string is
// not read. An empty body gives no parameters; a body that is not a JSON
// object or array is INVALIDJSONEXCEPTION.
func v3Params(r *http.Request) (*php.Array, []byte, *Error) {
	if r.Body == nil {
		return php.NewArray(), nil, nil
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if len(bytes.TrimSpace(body)) == 0 {
		return php.NewArray(), body, nil
	}
	v, err := php.DecodeJSON(body)
	a, ok := v.(*php.Array)
	if err != nil || !ok {
		return nil, body, errInvalidJSON
	}
	return a, body, nil
}

// getCI returns the value of key in p, matching the key case-insensitively
// (batch's CMD/cmd, HALT/halt).
func getCI(p *php.Array, key string) (any, bool) {
	if v, ok := p.Get(key); ok {
		return v, true
	}
	for k, v := range p.All() {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// phpTruthy is PHP's boolean cast of a request value.
func phpTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != "" && x != "0"
	case json.Number:
		f, err := x.Float64()
		return err == nil && f != 0
	case *php.Array:
		return x.Len() > 0
	case int:
		return x != 0
	}
	return true
}

var _ = url.Values{}
