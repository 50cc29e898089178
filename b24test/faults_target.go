package b24test

import (
	"net/http"
	"strings"
)

// Targets of scripted faults: a method (FailNext, at top level and in
// batches), one command of a batch (FailCommand), the n-th request
// (FailRequest).

// FailCommand makes the next batch command whose key is key (a v2 cmd key;
// in a v3 batch its "as" alias, or its index from "0") fail with f, in a
// batch of any method. See FailNext for what each fault does to a command.
func (s *Server) FailCommand(key string, f Fault) {
	if key != "" && f > NoFault && f < numFaults {
		s.faults.mu.Lock()
		s.faults.script = append(s.faults.script, scripted{key: key, n: 1, fault: f})
		s.faults.mu.Unlock()
	}
}

// FailRequest makes the n-th request to /rest (counted from 1 since the
// server started: RequestRecord.Seq) fail with f, whatever its method, if it
// gets as far as the faults (the request bucket, the method's existence and
// the credentials come first).
func (s *Server) FailRequest(n int, f Fault) {
	if n > 0 && f > NoFault && f < numFaults {
		s.faults.mu.Lock()
		s.faults.script = append(s.faults.script, scripted{seq: n, n: 1, fault: f})
		s.faults.mu.Unlock()
	}
}

func (sc *scripted) matchRequest(method string, seq int) bool {
	switch {
	case sc.key != "":
		return false
	case sc.seq != 0:
		return sc.seq == seq
	}
	return sc.method == "" || sc.method == method
}

// matchCommand: FailNext("") and FailRequest target requests, not commands.
func (sc *scripted) matchCommand(method, key string) bool {
	switch {
	case sc.seq != 0:
		return false
	case sc.key != "":
		return sc.key == key && (sc.method == "" || sc.method == method)
	}
	return sc.method != "" && sc.method == method
}

// take serves one fault of the first script that matches; f.mu is held.
func (f *faults) take(match func(*scripted) bool) Fault {
	for i := range f.script {
		sc := &f.script[i]
		if sc.n > 0 && match(sc) {
			sc.n--
			fault := sc.fault
			if sc.n == 0 {
				f.script = append(f.script[:i], f.script[i+1:]...)
			}
			return fault
		}
	}
	return NoFault
}

// pickCommand returns the fault for one command of a batch: a scripted one,
// else a random list fault.
func (f *faults) pickCommand(method, key string) Fault {
	f.mu.Lock()
	fault := f.take(func(sc *scripted) bool { return sc.matchCommand(method, key) })
	f.mu.Unlock()
	if fault != NoFault {
		return fault
	}
	return f.pickList(method)
}

// commandError is the error of a command refused by fault inside its batch
// (the command does not run), or nil.
func commandError(fault Fault) *Error {
	switch fault {
	case FaultUnavailable:
		return errQueryLimit
	case FaultOverload:
		return errOverload
	case FaultOperating:
		return errOperating
	}
	return nil
}

// strikesBefore reports whether a command's fault ends the whole request
// before the command runs (the commands before it ran).
func (f Fault) strikesBefore() bool {
	return f == FaultBadGateway || f == FaultMoved || f == FaultEchoBody || f == FaultMovedEcho
}

// refusal is the answer of a fault that strikes before the method runs.
func (s *Server) refusal(r *http.Request, api APIVersions, fault Fault) (reply, bool) {
	switch fault {
	case FaultUnavailable:
		rep := s.errorReply(V2, errQueryLimit)
		rep.after = fault
		return rep, true
	case FaultOverload:
		rep := s.errorReply(V2, errOverload)
		rep.after = fault
		return rep, true
	case FaultOperating:
		rep := s.errorReply(api, errOperating)
		rep.after = fault
		return rep, true
	case FaultBadGateway:
		return reply{status: http.StatusBadGateway, ctype: "text/html", body: []byte(badGatewayHTML), after: fault}, true
	case FaultMoved:
		h := http.Header{}
		h.Set("Location", strings.TrimSuffix(s.cfg.movedTo, "/")+r.URL.RequestURI())
		return reply{status: http.StatusFound, ctype: "text/html", body: []byte(movedHTML), header: h, after: fault}, true
	case FaultEchoBody, FaultMovedEcho:
		return s.echoReply(r, fault), true
	}
	return reply{}, false
}
