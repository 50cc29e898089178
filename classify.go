package b24

import (
	"sync"

	"encoding/json"
	"github.com/b24go/b24/internal/opbudget"
	"slices"
	"strings"

	"github.com/b24go/b24/internal/batchwire"
	"github.com/b24go/b24/limit"
)

// readMethods are methods that only read, by full name (lower-case).
var readMethods = map[string]bool{
	"profile": true, "server.time": true, "app.info": true, "scope": true, "methods": true,
	"method.get": true, "user.current": true, "user.get": true, "user.search": true,
	"user.access": true, "access.name": true, "feature.get": true, "documentation": true,
	"rest.documentation.openapi": true, "scopes": true, "rest.scope.list": true,
}

// readSuffixes are last segments of method names that only read.
var readSuffixes = map[string]bool{
	"get": true, "list": true, "fields": true, "tail": true, "aggregate": true,
	"search": true, "getlist": true, "getfields": true, "count": true,
}

// IsReadMethod reports whether the SDK treats method as a read, safe to repeat
// after a failure that may have happened after the portal ran it. Reads are
// known by name, ignoring case and surrounding spaces:
//
//   - these full names: profile, server.time, app.info, scope, scopes,
//     methods, method.get, user.current, user.get, user.search, user.access,
//     access.name, feature.get, documentation, rest.documentation.openapi and
//     rest.scope.list;
//   - every method whose last dot-separated segment is get, list, fields,
//     tail, aggregate, search, getlist, getfields or count (crm.deal.get,
//     tasks.task.list, crm.item.fields, main.eventlog.tail,
//     crm.deal.userfield.getlist, ...).
//
// Everything else is a write, unless the call is marked WithIdempotent. A
// batch is a read when every command in it is.
func IsReadMethod(method string) bool {
	m := strings.ToLower(strings.TrimSpace(method))
	if readMethods[m] {
		return true
	}
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return readSuffixes[m[i+1:]]
	}
	return false
}

// batchIsRead reports whether a batch body contains only reads. body is the
// JSON request: v2 {"cmd": {...}|[...]} with "method?query" strings, or v3
// [{"method": ...}, ...].
func batchIsRead(v APIVersion, body []byte) bool {
	methods, ok := batchMethods(v, body)
	if !ok || len(methods) == 0 {
		return false
	}
	for _, m := range methods {
		if !IsReadMethod(m) {
			return false
		}
	}
	return true
}

// batchMethods returns the method of every command of a batch body, lower-case.
func batchMethods(v APIVersion, body []byte) ([]string, bool) {
	if v == APIv3 {
		var cmds []struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(body, &cmds) != nil {
			return nil, false
		}
		out := make([]string, 0, len(cmds))
		for _, c := range cmds {
			out = append(out, strings.ToLower(c.Method))
		}
		return out, true
	}
	keyed := batchwire.CommandMethods(body)
	if keyed == nil {
		return nil, false
	}
	out := make([]string, 0, len(keyed))
	for _, m := range keyed {
		out = append(out, m)
	}
	slices.Sort(out) // a named cmd is a map: keep the billed methods in a stable order
	return out, true
}

// isBatch reports whether method is the batch method.
func isBatch(method string) bool { return strings.EqualFold(method, "batch") }

// billedMethods returns the operating budgets a call draws on (billing
// resolved: as a batch or per command).
func billedMethods(v APIVersion, method string, body []byte, billing limit.BatchBilling) []string {
	m := strings.ToLower(method)
	if !isBatch(m) || billing != limit.BatchBilledPerCommand {
		return []string{m}
	}
	methods, ok := batchMethods(v, body)
	if !ok || len(methods) == 0 {
		return []string{m}
	}
	seen := make(map[string]bool, len(methods))
	out := methods[:0:0]
	for _, x := range methods {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// billingMode is a Hook's batch billing: forced by its RestrictionParams, or
// found from the answers (opbudget.Detector).
type billingMode struct {
	mu sync.Mutex
	d  opbudget.Detector
}

// resolve returns the billing to charge a batch by: forced, else the one
// the answers showed, else as a batch.
func (b *billingMode) resolve(forced limit.BatchBilling) limit.BatchBilling {
	if forced != limit.BatchBilledDetect {
		return forced
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.d.Mode(opbudget.ModeBatch) == opbudget.ModePerMethod {
		return limit.BatchBilledPerCommand
	}
	return limit.BatchBilledAsBatch
}

// reports returns the operating figures of a response. A v2 batch under
// BatchBilledDetect is read as its own sub-results show (and teaches the
// mode): their figures all different from the envelope's are per command,
// all equal to it as a batch; otherwise as billed.
func (b *billingMode) reports(r *Response, billed []string, v APIVersion, method string, body []byte, billing limit.BatchBilling) []limit.OperatingReport {
	if billing != limit.BatchBilledDetect || v != APIv2 || !isBatch(method) {
		return operatingReports(r, billed, v, body)
	}
	top, topOK := r.Time.OperatingDuration()
	var subs []opbudget.Figure
	for _, t := range batchTimes(r) {
		if op, ok := t.OperatingDuration(); ok {
			subs = append(subs, opbudget.Figure{Operating: op})
		}
	}
	mode := opbudget.Detect(top, topOK, subs)
	b.mu.Lock()
	b.d.Observe(top, topOK, subs)
	b.mu.Unlock()
	switch mode {
	case opbudget.ModePerMethod:
		return batchReportsPerCommand(r, v, body)
	case opbudget.ModeBatch:
		return operatingReports(r, []string{"batch"}, v, body)
	}
	return operatingReports(r, billed, v, body)
}
