package b24test

import (
	"io"
	"net/http"
	"strings"

	"github.com/b24go/b24/internal/php"
)

// StubPath sets stubs over HTTP, for programs in other languages ("b24
// fake"): POST a JSON object {"method": M, "result": R} (On with Returns)
// or {"method": M, "error": CODE, "error_description": D, "status": S}
// (Fails; status 400 when absent); DELETE removes every stub, or only
// method M's with ?method=M.
const StubPath = "/_fake/stub"

func (s *Server) serveStub(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodDelete:
		if m := r.URL.Query().Get("method"); m != "" {
			s.removeStub(m)
		} else {
			s.ResetStubs()
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		http.Error(w, "POST or DELETE only", http.StatusMethodNotAllowed)
		return
	}
	const want = `want {"method": M, "result": R} or {"method": M, "error": CODE, "error_description": D, "status": S}`
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	v, derr := php.DecodeJSON(body)
	a, _ := v.(*php.Array)
	if err != nil || derr != nil || a == nil {
		http.Error(w, want, http.StatusBadRequest)
		return
	}
	mv, _ := a.Get("method")
	method, _ := mv.(string)
	result, hasResult := a.Get("result")
	ev, hasErr := a.Get("error")
	code, _ := ev.(string)
	if method == "" || strings.EqualFold(method, "batch") || hasResult == hasErr || (hasErr && code == "") {
		http.Error(w, want, http.StatusBadRequest)
		return
	}
	if hasResult {
		s.On(method, Returns(result))
	} else {
		dv, _ := a.Get("error_description")
		desc, _ := dv.(string)
		sv, _ := a.Get("status")
		status := phpInt(sv)
		if status != 0 && (status < 400 || status > 599) {
			http.Error(w, "status must be 400 to 599", http.StatusBadRequest)
			return
		}
		s.On(method, Fails(status, code, desc))
	}
	w.WriteHeader(http.StatusNoContent)
}

// removeStub removes method's stub, if any.
func (s *Server) removeStub(method string) {
	s.stubs.mu.Lock()
	delete(s.stubs.m, strings.ToLower(method))
	s.stubs.mu.Unlock()
}
