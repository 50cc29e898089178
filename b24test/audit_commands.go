package b24test

import "strings"

// CommandRecord is what one batch command did (Audit.CommandLog).
type CommandRecord struct {
	Request int    `json:"request"` // the batch's RequestRecord.Seq
	Key     string `json:"key"`     // the command's key (v3: alias or index)
	Method  string `json:"method"`  // lower-case
	// Outcome is "done", "error" (Error holds the code), "not-executed"
	// (ErrNotExecuted; and in a v3 batch every command after the one that
	// ended it) or "fault" (Fault struck the whole request here).
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	Fault   string `json:"fault,omitempty"`
}

// Calls returns how many times method (lower-case) was called: requests
// (any status) plus batch commands.
func (a Audit) Calls(method string) int {
	n := a.Commands[method]
	for _, c := range a.ByMethod[method] {
		n += c
	}
	return n
}

// Batch returns what the commands of batch request seq did.
func (a Audit) Batch(seq int) []CommandRecord {
	var out []CommandRecord
	for _, c := range a.CommandLog {
		if c.Request == seq {
			out = append(out, c)
		}
	}
	return out
}

// commandDone files one command's record.
func (au *auditor) commandDone(rec CommandRecord) {
	au.mu.Lock()
	defer au.mu.Unlock()
	a := &au.a
	if len(a.CommandLog) >= auditLogMax {
		copy(a.CommandLog, a.CommandLog[1:])
		a.CommandLog = a.CommandLog[:len(a.CommandLog)-1]
		a.CommandsDropped++
	}
	a.CommandLog = append(a.CommandLog, rec)
}

// errAbort marks a batch command at which a scripted fault ended the batch.
var errAbort = &Error{Code: "FAULT"}

// commandRecord is the log entry of a command that ran or was refused.
func commandRecord(seq int, key, method string, aerr *Error, fault Fault) CommandRecord {
	rec := CommandRecord{Request: seq, Key: key, Method: method}
	switch {
	case aerr == errAbort:
		rec.Outcome = "fault"
	case aerr == nil:
		rec.Outcome = "done"
	case aerr == ErrNotExecuted:
		rec.Outcome = "not-executed"
	default:
		rec.Outcome, rec.Error = "error", aerr.Code
	}
	if fault != NoFault {
		rec.Fault = fault.String()
	}
	return rec
}

// cmdName is the method of a v2 batch command "method?query", lower-case.
func cmdName(cmd string) string {
	cmd, _, _ = strings.Cut(cmd, "#")
	path, _, _ := strings.Cut(cmd, "?")
	return strings.ToLower(strings.Trim(strings.TrimSpace(path), "/"))
}
