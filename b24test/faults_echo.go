package b24test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The echo faults (FaultEchoHeader, FaultEchoBody, FaultMovedEcho) play a
// portal or a proxy that quotes the request URL back, secret included, and
// not only byte for byte: a client must redact every form.

// echoForms returns the request path with the secret as sent, in upper
// case, percent-encoded (lower and upper hex) and JSON-escaped (\u00xx, and
// a percent-encoding whose '%' is \u0025): the last two are raw JSON, which
// a JSON decoder turns back into the secret.
func (s *Server) echoForms(r *http.Request) []string {
	sec := s.requestSecret(r)
	path := r.URL.Path
	with := func(form string) string { return strings.Replace(path, sec, form, 1) }
	enc := func(format string) string {
		var b strings.Builder
		for i := 0; i < len(sec); i++ {
			fmt.Fprintf(&b, format, sec[i])
		}
		return b.String()
	}
	return []string{
		path,
		strings.ToUpper(path),
		with(enc("%%%02x")),
		with(enc("%%%02X")),
		with(enc(`\u%04x`)),
		with(enc(`\u0025%02X`)),
	}
}

// echoHeader adds headers that echo the request URL in every form.
func (s *Server) echoHeader(r *http.Request, h http.Header) http.Header {
	if h == nil {
		h = http.Header{}
	}
	for i, f := range s.echoForms(r) {
		h.Set(fmt.Sprintf("X-Echo-%d", i), f)
	}
	h.Set("Link", "<https://"+r.Host+s.echoForms(r)[2]+">; rel=self")
	return h
}

// echoReply is the answer of FaultEchoBody (400, the forms in the error
// description) or FaultMovedEcho (302 to a host named after the secret).
func (s *Server) echoReply(r *http.Request, fault Fault) reply {
	if fault == FaultMovedEcho {
		sec := s.requestSecret(r)
		u, err := url.Parse(s.cfg.movedTo)
		if err != nil || u.Host == "" {
			u = &url.URL{Scheme: "https", Host: "moved.b24test.invalid"}
		}
		path := s.echoForms(r)[2]
		h := http.Header{}
		h.Set("Location", u.Scheme+"://"+strings.ToLower(sec)+"."+u.Host+path)
		return reply{status: http.StatusFound, ctype: "text/html", body: []byte(movedHTML), header: h, after: fault}
	}
	// The forms go into the JSON string as they are: none holds a quote,
	// and the backslashes of the escaped ones are JSON escapes.
	body := `{"error":"INVALID_REQUEST","error_description":"Wrong request: ` +
		strings.Join(s.echoForms(r), " ") + `"}`
	return reply{status: http.StatusBadRequest, ctype: jsonType, body: []byte(body), after: fault}
}
