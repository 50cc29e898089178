package b24test

import (
	"strings"
	"sync"
)

// Stubs: a test makes any method answer what it wants, at top level and as
// a command of a v2 or v3 batch.

// ErrNotExecuted, returned by a handler for a batch command, leaves the
// command out of the batch's answer (neither result nor result_error), as
// a portal does with the commands after a failure under halt. At top level
// the call answers 503 QUERY_LIMIT_EXCEEDED (refused, not run).
var ErrNotExecuted = &Error{Status: 503, Code: "QUERY_LIMIT_EXCEEDED", Description: "Too many requests"}

// Returns is a Handler that answers result v (see Result.Value).
func Returns(v any) Handler {
	return func(*Call) (Result, *Error) { return Value(v), nil }
}

// Fails is a Handler that answers an error: HTTP status (400 when 0; not
// sent inside a v2 batch), code and description.
func Fails(status int, code, description string) Handler {
	return func(*Call) (Result, *Error) {
		return Result{}, &Error{Status: status, Code: code, Description: description}
	}
}

type stubs struct {
	mu  sync.Mutex
	seq int
	m   map[string]stubEntry // by lower-case method
}

type stubEntry struct {
	id int
	h  Handler
}

// On makes every call of method (any case) answer what h returns instead of
// the method's own handler: at top level, on v2 and v3, and as a command of
// a batch (Call.Key names the command; Call.Run runs the method's own
// handler). The method need not exist on the fake (method.get then reports
// it). A later On for the same method replaces the stub. Limits, faults,
// latency and the audit apply as to any call. The returned function removes the stub (a subtest sharing
// the server: t.Cleanup(s.On(...))); a server from NewServer ends with its
// test, stubs included. Stubbing "batch" panics.
func (s *Server) On(method string, h Handler) (remove func()) {
	name := strings.ToLower(method)
	if name == "" || name == "batch" || h == nil {
		panic("b24test: On: a method name other than batch and a handler are required")
	}
	s.stubs.mu.Lock()
	if s.stubs.m == nil {
		s.stubs.m = map[string]stubEntry{}
	}
	s.stubs.seq++
	id := s.stubs.seq
	s.stubs.m[name] = stubEntry{id: id, h: h}
	s.stubs.mu.Unlock()
	remove = func() {
		s.stubs.mu.Lock()
		if e, ok := s.stubs.m[name]; ok && e.id == id {
			delete(s.stubs.m, name)
		}
		s.stubs.mu.Unlock()
	}
	return remove
}

// OnResult makes method answer result v (see On).
func (s *Server) OnResult(method string, v any) (remove func()) { return s.On(method, Returns(v)) }

// OnError makes method answer an error with HTTP 400 (see On, Fails).
func (s *Server) OnError(method, code, description string) (remove func()) {
	return s.On(method, Fails(400, code, description))
}

// ResetStubs removes every stub.
func (s *Server) ResetStubs() {
	s.stubs.mu.Lock()
	s.stubs.m = nil
	s.stubs.mu.Unlock()
}

// method finds method name (any case) on api, stubs first: a stubbed
// method keeps its declaration (scope, write) and answers with the stub.
func (s *Server) method(api APIVersions, name string) *Method {
	name = strings.ToLower(name)
	m := s.reg.lookup(api, name)
	if name == "batch" {
		return m
	}
	s.stubs.mu.Lock()
	e, ok := s.stubs.m[name]
	s.stubs.mu.Unlock()
	if !ok {
		return m
	}
	mm := Method{Name: name, API: api}
	var own Handler
	if m != nil {
		mm = *m
		own = m.Handler
	}
	mm.Handler = func(c *Call) (Result, *Error) {
		c.own = own
		return e.h(c)
	}
	return &mm
}

// Run runs the method's own handler for c (from a stub, to answer as the
// fake would): ERROR_METHOD_NOT_FOUND when the fake has no such method.
func (c *Call) Run() (Result, *Error) {
	if c.own == nil {
		return Result{}, errMethodNotFound
	}
	return c.own(c)
}
