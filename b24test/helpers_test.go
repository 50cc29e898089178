package b24test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/b24go/b24/internal/php"
)

// testFamily adds methods the tests need besides the system ones: an echo
// of the parameters (v2 and v3), a write that records an add, a list of N
// rows, and a v3 item method.
func testFamily(d *Data) []Method {
	var mu sync.Mutex
	nextID := 100
	return []Method{
		{Name: "test.echo", API: Both, Handler: func(c *Call) (Result, *Error) {
			a := php.NewArray()
			a.Set("params", c.Params)
			a.Set("start", c.Start)
			return Value(a), nil
		}},
		{Name: "test.add", API: Both, Write: true, Scope: "crm", Handler: func(c *Call) (Result, *Error) {
			mu.Lock()
			nextID++
			id := nextID
			mu.Unlock()
			c.Wrote("thing", id)
			if c.API == V3 {
				it := php.NewArray()
				it.Set("id", id)
				r := php.NewArray()
				r.Set("item", it)
				return Value(r), nil
			}
			return Value(id), nil
		}},
		{Name: "test.fail", API: Both, Handler: func(c *Call) (Result, *Error) {
			return Result{}, V3Errorf(400, "ENTITYNOTFOUNDEXCEPTION", "Record with ID = `2` not found")
		}},
		{Name: "test.list", API: Both, Handler: func(c *Call) (Result, *Error) {
			// 120 rows with ID 1..120, 50 a page.
			const total = 120
			start := max(c.Start, 0)
			rows := php.NewArray()
			for id := start + 1; id <= min(start+50, total); id++ {
				r := php.NewArray()
				r.Set("ID", strconv.Itoa(id))
				rows.Append(r)
			}
			c.Returned(rows.Len())
			c.Skipped(start)
			if c.API == V3 {
				r := php.NewArray()
				r.Set("items", rows)
				return Value(r), nil
			}
			if c.Start < 0 {
				return Page(rows, 0, -1), nil
			}
			c.Counted(total)
			return Page(rows, total, NextStart(start, rows.Len(), total)), nil
		}},
		{Name: "test.heavy", API: Both, Handler: func(c *Call) (Result, *Error) {
			// Counts a million rows: 20 s at the default latency.
			c.Counted(1_000_000)
			return Value(true), nil
		}},
	}
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   any // encoding/json decoding of raw (nil if not JSON)
}

func (r resp) obj() map[string]any {
	m, _ := r.body.(map[string]any)
	return m
}

// errCode returns the v2 "error" or the v3 "error.code".
func (r resp) errCode() string {
	m := r.obj()
	switch e := m["error"].(type) {
	case string:
		return e
	case map[string]any:
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// do sends a request to the server through its client.
func do(t testing.TB, s *Server, method, url, ctype, body string, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hr, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, redactURL(s, url), err)
	}
	defer hr.Body.Close()
	raw, err := io.ReadAll(hr.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := resp{status: hr.StatusCode, header: hr.Header, raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&r.body) != nil {
		r.body = nil
	}
	return r
}

func redactURL(s *Server, u string) string {
	return strings.ReplaceAll(u, *s.cfg.secret, "***")
}

// v2 calls a v2 method with a JSON body.
func v2(t testing.TB, s *Server, method, jsonBody string) resp {
	t.Helper()
	if jsonBody == "" {
		return do(t, s, "GET", s.WebhookURL()+method, "", "")
	}
	return do(t, s, "POST", s.WebhookURL()+method, "application/json", jsonBody)
}

// v3 calls a v3 method with a JSON body.
func v3(t testing.TB, s *Server, method, jsonBody string, hdr ...string) resp {
	t.Helper()
	return do(t, s, "POST", s.WebhookV3URL()+method, "application/json", jsonBody, hdr...)
}

// keys returns the keys of a JSON object in the order the raw text has them.
func orderedKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	v, err := php.DecodeJSON(raw)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	a, ok := v.(*php.Array)
	if !ok {
		t.Fatalf("not an object: %s", raw)
	}
	return a.Keys()
}

func num(t testing.TB, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("not a number: %#v", v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func phpDecode(raw []byte) (*php.Array, error) {
	v, err := php.DecodeJSON(raw)
	if err != nil {
		return nil, err
	}
	a, _ := v.(*php.Array)
	if a == nil {
		a = php.NewArray()
	}
	return a, nil
}

func phpEncode(v any) ([]byte, error) { return php.EncodeJSON(v) }
