package b24

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24/internal/php"
)

// batchPortal is an in-memory portal for batch tests: it runs v2 and v3
// batches the way the portal does (commands in order, halt, $result
// references, PHP array shapes of the sections, v3 abort) and answers each
// command with a test's handler. It needs no sockets, so tests can run under
// testing/synctest.
type batchPortal struct {
	t       testing.TB
	handler func(method string, params *php.Array) sub
	// fault, when set, may answer request n (1-based) itself.
	fault func(n int, req *http.Request) (*http.Response, error)

	mu     sync.Mutex
	n      int
	bodies [][]byte
	times  []time.Time
	runs   map[string]int // executions per command, by its "n" param
}

// sub is the answer of one command.
type sub struct {
	json        string // the result as JSON
	total, next *int
	code, desc  string // an error
}

func okSub(js string) sub { return sub{json: js} }

func intp(n int) *int { return &n }

func newBatchPortal(t testing.TB, h func(method string, params *php.Array) sub) *batchPortal {
	return &batchPortal{t: t, handler: h, runs: map[string]int{}}
}

func (p *batchPortal) hook(t testing.TB, opts ...Option) *Hook {
	t.Helper()
	opts = append([]Option{WithHTTPClient(&http.Client{Transport: p}), WithTimeout(30 * time.Second)}, opts...)
	h, err := FromWebhookURL("https://portal.example.com/rest/1/"+testSecret+"/", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (p *batchPortal) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *batchPortal) body(i int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bodies[i]
}

func (p *batchPortal) runCount(n string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs[n]
}

func (p *batchPortal) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	p.mu.Lock()
	p.n++
	n := p.n
	p.bodies = append(p.bodies, body)
	p.times = append(p.times, time.Now())
	p.mu.Unlock()
	if p.fault != nil {
		if r, err := p.fault(n, req); r != nil || err != nil {
			return r, err
		}
	}
	var out []byte
	status := 200
	switch {
	case strings.HasSuffix(req.URL.Path, "/batch") && strings.Contains(req.URL.Path, "/rest/api/"):
		status, out = p.v3(body)
	case strings.HasSuffix(req.URL.Path, "/batch"):
		out = p.v2(body)
	default:
		i := strings.LastIndexByte(req.URL.Path, '/')
		params, _ := php.DecodeJSON(body)
		pa, _ := params.(*php.Array)
		if pa == nil {
			pa = php.NewArray()
		}
		s := p.run(req.URL.Path[i+1:], pa)
		env := php.NewArray()
		if s.code != "" {
			status = 400
			env.Set("error", s.code)
			env.Set("error_description", s.desc)
		} else {
			env.Set("result", mustDecode(p.t, s.json))
			env.Set("time", timeBlock())
		}
		out, _ = php.EncodeJSON(env)
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(out)), Request: req}, nil
}

func (p *batchPortal) run(method string, params *php.Array) sub {
	if v, ok := params.Get("n"); ok {
		if s, ok := v.(string); ok {
			p.mu.Lock()
			p.runs[s]++
			p.mu.Unlock()
		}
		if s, ok := v.(json.Number); ok {
			p.mu.Lock()
			p.runs[string(s)]++
			p.mu.Unlock()
		}
	}
	return p.handler(strings.ToLower(method), params)
}

func mustDecode(t testing.TB, js string) any {
	if js == "" {
		js = "true"
	}
	v, err := php.DecodeJSON([]byte(js))
	if err != nil {
		t.Errorf("bad handler JSON %q: %v", js, err)
	}
	return v
}

func timeBlock() *php.Array {
	a := php.NewArray()
	a.Set("start", json.Number("1724916859.46"))
	a.Set("finish", json.Number("1724916859.47"))
	a.Set("duration", json.Number("0.01"))
	a.Set("processing", json.Number("0.01"))
	a.Set("date_start", "2024-08-29T10:34:19+03:00")
	a.Set("date_finish", "2024-08-29T10:34:19+03:00")
	return a
}

var refRe = regexp.MustCompile(`^\$(result|next|total)\[([^\]]*)\]((?:\[[^\]]*\])*)$`)

// resolve substitutes whole-value references, as the portal does.
func resolve(v any, sections map[string]*php.Array) any {
	switch t := v.(type) {
	case *php.Array:
		out := php.NewArray()
		for k, x := range t.All() {
			out.Set(k, resolve(x, sections))
		}
		return out
	case string:
		m := refRe.FindStringSubmatch(t)
		if m == nil {
			return t
		}
		cur, ok := sections[m[1]].Get(m[2])
		if !ok {
			return t
		}
		for _, seg := range regexp.MustCompile(`\[([^\]]*)\]`).FindAllStringSubmatch(m[3], -1) {
			a, isArr := cur.(*php.Array)
			if !isArr {
				return t
			}
			if cur, ok = a.Get(seg[1]); !ok {
				return t
			}
		}
		return cur
	}
	return v
}

func (p *batchPortal) v2(body []byte) []byte {
	reqv, err := php.DecodeJSON(body)
	if err != nil {
		p.t.Errorf("batch body is not JSON: %v", err)
	}
	req := reqv.(*php.Array)
	hv, _ := req.Get("halt")
	halt := hv == json.Number("1") || hv == true
	cmdv, _ := req.Get("cmd")
	cmds := cmdv.(*php.Array)
	res, errs, total, next, times := php.NewArray(), php.NewArray(), php.NewArray(), php.NewArray(), php.NewArray()
	secs := map[string]*php.Array{"result": res, "total": total, "next": next}
	for k, v := range cmds.All() {
		line := v.(string)
		method, q, _ := strings.Cut(line, "?")
		params, err := php.Parse(q)
		if err != nil {
			p.t.Errorf("command %s: %v", k, err)
		}
		params = resolve(params, secs).(*php.Array)
		s := p.run(method, params)
		if s.code != "" {
			e := php.NewArray()
			e.Set("error", s.code)
			e.Set("error_description", s.desc)
			errs.Set(k, e)
			if halt {
				break
			}
			continue
		}
		res.Set(k, mustDecode(p.t, s.json))
		if s.total != nil {
			total.Set(k, json.Number(strconv.Itoa(*s.total)))
		}
		if s.next != nil {
			next.Set(k, json.Number(strconv.Itoa(*s.next)))
		}
		times.Set(k, timeBlock())
	}
	inner := php.NewArray()
	inner.Set("result", res)
	inner.Set("result_error", errs)
	inner.Set("result_total", total)
	inner.Set("result_next", next)
	inner.Set("result_time", times)
	env := php.NewArray()
	env.Set("result", inner)
	env.Set("time", timeBlock())
	out, err := php.EncodeJSON(env)
	if err != nil {
		p.t.Errorf("encoding: %v", err)
	}
	return out
}

func (p *batchPortal) v3(body []byte) (int, []byte) {
	reqv, err := php.DecodeJSON(body)
	if err != nil {
		p.t.Errorf("v3 batch body is not JSON: %v", err)
	}
	req, ok := reqv.(*php.Array)
	if !ok || !req.IsList() {
		return 400, []byte(`{"error":{"code":"BITRIX_REST_V3_EXCEPTION_INVALIDSELECTEXCEPTION","message":"Batch request must be a JSON array of commands"}}`)
	}
	results := php.NewArray()
	for _, v := range req.All() {
		cmd := v.(*php.Array)
		mv, _ := cmd.Get("method")
		qv, _ := cmd.Get("query")
		q, _ := qv.(*php.Array)
		if q == nil {
			q = php.NewArray()
		}
		s := p.run(mv.(string), q)
		if s.code != "" {
			e := php.NewArray()
			e.Set("code", s.code)
			e.Set("message", s.desc)
			env := php.NewArray()
			env.Set("error", e)
			out, _ := php.EncodeJSON(env)
			return 400, out
		}
		if as, ok := cmd.Get("as"); ok && as != "" {
			results.Set(as.(string), mustDecode(p.t, s.json))
		} else {
			results.Append(mustDecode(p.t, s.json))
		}
	}
	env := php.NewArray()
	env.Set("result", results)
	env.Set("time", timeBlock())
	out, _ := php.EncodeJSON(env)
	return 200, out
}

// param returns a command parameter as text.
func param(a *php.Array, key string) string {
	v, _ := a.Get(key)
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return string(t)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
