package b24test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/internal/php"
)

// maxBatch is the number of commands a batch runs.
const maxBatch = 50

// batchV2 holds the five sections of a running v2 batch.
type batchV2 struct {
	result, errors, total, next, times *php.Array
	// due is when the commands run so far finish on the modelled portal.
	due time.Time
	seq int // the request's number (audit)
	// method is the last command's (audit); pending its scripted fault
	// that strikes after it ran; fault the one that strikes the request.
	method         string
	pending, fault Fault
	opq            *opRequest // the request's operating record (nil: limits off)
	user           int        // the webhook's user (operating budgets)
}

func (b *batchV2) section(name string) *php.Array {
	switch name {
	case "result":
		return b.result
	case "error":
		return b.errors
	case "total":
		return b.total
	case "next":
		return b.next
	case "time":
		return b.times
	}
	return nil
}

func errorArray(e *Error) *php.Array {
	a := php.NewArray()
	a.Set("error", e.Code)
	a.Set("error_description", e.Description)
	return a
}

// runBatchV2 runs a REST v2 batch (protocol section 6).
func (s *Server) runBatchV2(ctx context.Context, params *php.Array, arrive time.Time, seq int) reply {
	b := &batchV2{result: php.NewArray(), errors: php.NewArray(), total: php.NewArray(), next: php.NewArray(), times: php.NewArray(), due: arrive, seq: seq, user: s.callUser(ctx)}
	b.opq = s.opRequest(arrive)
	cmdv, _ := getCI(params, "cmd")
	haltv, _ := getCI(params, "halt")
	halt := phpTruthy(haltv)
	cmds, _ := cmdv.(*php.Array)
	var total time.Duration
	n := 0
	stopped := false // by halt or a scripted fault: the rest is not executed
	for key, v := range cmds.All() {
		cmd, ok := v.(string)
		if !ok {
			continue // the portal skips commands that are not strings
		}
		if stopped {
			s.audit.commandDone(CommandRecord{Request: seq, Key: key, Method: cmdName(cmd), Outcome: "not-executed"})
			continue
		}
		n++
		failed, abort, cut := s.batchStepV2(ctx, b, key, cmd, n, &total)
		if cut {
			s.chargeBatch(b.opq, b.user, total)
			return gatewayTimeout()
		}
		stopped = abort || failed && halt
	}
	return s.batchReplyV2(b, arrive, total)
}

// batchStepV2 runs the n-th command of a v2 batch and files its outcome:
// failed (an error under result_error), abort (a scripted fault stops the
// batch), cut (the portal's 60 s cut-off struck). total sums the costs.
func (s *Server) batchStepV2(ctx context.Context, b *batchV2, key, cmd string, n int, total *time.Duration) (failed, abort, cut bool) {
	if n > maxBatch {
		b.errors.Set(key, errorArray(errBatchLength))
		s.audit.commandDone(CommandRecord{Request: b.seq, Key: key, Method: cmdName(cmd), Outcome: "error", Error: errBatchLength.Code})
		return true, false, false
	}
	cost, aerr := s.runCommandV2(ctx, b, key, cmd, s.cutoff-*total)
	*total += cost
	if aerr == errCutOff {
		return false, false, true
	}
	if b.pending != NoFault {
		b.fault, b.pending = b.pending, NoFault
		if b.fault != FaultEchoHeader {
			aerr = errAbort
		}
	}
	s.audit.commandDone(commandRecord(b.seq, key, b.method, aerr, b.fault))
	if aerr == errAbort {
		return false, true, false
	}
	if aerr != nil && aerr != ErrNotExecuted {
		b.errors.Set(key, errorArray(aerr))
		return true, false, false
	}
	return false, false, false
}

// batchReplyV2 stores the batch's operating time and builds its answer.
func (s *Server) batchReplyV2(b *batchV2, arrive time.Time, total time.Duration) reply {
	finish := s.clock.Now()
	var fig *opFigure
	if q := b.opq; q != nil {
		k := s.billedKey(b.user, "batch")
		if !s.limits.BatchPerCommand {
			q.add(k, s.batchBilled(total))
		}
		q.commit(finish)
		op, reset := q.figure(k, finish)
		if !s.limits.BatchPerCommand {
			// Every sub-result carries the batch's running figure.
			for _, t := range b.times.All() {
				if ta, ok := t.(*php.Array); ok {
					setOperating(ta, &opFigure{op, reset})
				}
			}
		}
		fig = &opFigure{op, reset}
	}
	res := php.NewArray()
	res.Set("result", b.result)
	res.Set("result_error", b.errors)
	res.Set("result_total", b.total)
	res.Set("result_next", b.next)
	res.Set("result_time", b.times)
	env := php.NewArray()
	env.Set("result", res)
	env.Set("time", s.timeBlock(arrive, finish, total, fig))
	rep := s.jsonReply(http.StatusOK, env, total)
	rep.cmdFault = b.fault
	return rep
}

// runCommandV2 runs one command of a v2 batch under key and files its
// answer; it returns the command's modelled cost and its error.
func (s *Server) runCommandV2(ctx context.Context, b *batchV2, key, cmd string, left time.Duration) (time.Duration, *Error) {
	cmd, _, _ = strings.Cut(cmd, "#") // parse_url: the fragment is not the query
	_, query, _ := strings.Cut(cmd, "?")
	b.method = cmdName(cmd)
	params, _ := php.ParseInput(query) // parse_str: the first max_input_vars pairs
	resolveRefsV2(params, b)
	start := pullStart(params)
	cmdStart := s.clock.Now()
	m, fault, e := s.admitCommandV2(b, key, cmdStart)
	if m == nil {
		return 0, e
	}
	c := &Call{Method: m.Name, API: V2, Params: params, Start: start, UserID: s.callUser(ctx),
		Now: cmdStart.In(s.data.Location), Batched: true, Key: key, app: isAppCall(ctx)}
	if fault.listFault() {
		c.fault = fault
	}
	res, aerr := m.Handler(c)
	cost := s.spread.apply(s.latency.cost(c.cost, s.scale))
	perCommand := !s.limits.Disabled && s.limits.BatchPerCommand
	if cost > left {
		s.sleepUntil(ctx, b.due.Add(left))
		s.audit.call(c)
		if perCommand {
			b.opq.add(s.billedKey(b.user, m.Name), cost)
		}
		return cost, errCutOff
	}
	b.due = b.due.Add(cost)
	s.sleepUntil(ctx, b.due)
	finish := s.clock.Now()
	s.audit.call(c)
	fig := s.commandFigureV2(b, m.Name, cost, finish, perCommand)
	if aerr != nil {
		return cost, aerr
	}
	b.result.Set(key, res.Value)
	if res.List {
		b.total.Set(key, res.Total)
		if res.Next >= 0 {
			b.next.Set(key, res.Next)
		}
	}
	b.times.Set(key, s.timeBlock(cmdStart, finish, cost, fig))
	return cost, nil
}

// admitCommandV2 finds a command's method and checks it may run: scope,
// the operating budget when billed per command, a scripted fault. m is nil
// when the command does not run (e says why; a fault that strikes before
// the call is left in b.pending). A fault that strikes after it is left in
// b.pending too.
func (s *Server) admitCommandV2(b *batchV2, key string, now time.Time) (m *Method, fault Fault, e *Error) {
	name := b.method
	if name == "batch" {
		s.audit.command(name)
		return nil, NoFault, errBatchNotAllowed
	}
	if m = s.method(V2, name); m == nil {
		s.audit.command(name)
		return nil, NoFault, errMethodNotFound
	}
	if !s.hasScope(m.Scope) {
		s.audit.command(m.Name)
		return nil, NoFault, &Error{Status: 401, Code: errInsufficientScope.Code}
	}
	if !s.limits.Disabled && s.limits.BatchPerCommand && s.op.blocked(s.billedKey(b.user, m.Name), now) {
		s.audit.command(m.Name)
		return nil, NoFault, errOperating
	}
	fault = s.faults.pickCommand(m.Name, key)
	if e := commandError(fault); e != nil {
		s.audit.command(m.Name)
		return nil, fault, e
	}
	if fault.strikesBefore() {
		s.audit.command(m.Name)
		b.pending = fault
		return nil, fault, nil
	}
	if !fault.listFault() && fault != FaultAbsurdFigures {
		b.pending = fault // after the command ran
	}
	return m, fault, nil
}

// commandFigureV2 is the operating figure a command's time block shows:
// its method's when billed per command (its time stored when the request
// ends, counted already), else the batch's running one.
func (s *Server) commandFigureV2(b *batchV2, method string, cost time.Duration, finish time.Time, perCommand bool) *opFigure {
	switch {
	case perCommand:
		b.opq.add(s.billedKey(b.user, method), cost)
		op, reset := b.opq.figure(s.billedKey(b.user, method), finish)
		return &opFigure{op, reset}
	case b.opq != nil:
		op, reset := b.opq.figure(s.billedKey(b.user, "batch"), finish)
		return &opFigure{op, reset}
	}
	return nil
}

// errCutOff marks a batch cut off by the portal's 60 s limit.
var errCutOff = &Error{Status: 504, Code: "CUT_OFF"}

// chargeBatch stores the operating time of a batch that was cut off.
func (s *Server) chargeBatch(q *opRequest, user int, total time.Duration) {
	if q == nil {
		return
	}
	if !s.limits.BatchPerCommand {
		q.add(s.billedKey(user, "batch"), s.batchBilled(total))
	}
	q.commit(s.clock.Now())
}

// refPattern finds batch references: $result[key][f1]..., and the other
// sections $next, $total, $time, $error.
var refPattern = regexp.MustCompile(`\$(result|next|total|time|error)((?:\[[^\[\]]*\])+)`)

// resolveRefsV2 substitutes references in every string value of p.
func resolveRefsV2(p *php.Array, b *batchV2) {
	for k, v := range p.All() {
		switch x := v.(type) {
		case string:
			if strings.IndexByte(x, '$') >= 0 {
				p.Set(k, substitute(x, b))
			}
		case *php.Array:
			resolveRefsV2(x, b)
		}
	}
}

// substitute resolves the references in s. A value that is exactly one
// reference becomes the referenced value (which may be an array); a
// reference inside a longer string is replaced only by a scalar. A
// reference that does not resolve stays as it is.
func substitute(s string, b *batchV2) any {
	locs := refPattern.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return s
	}
	if len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(s) {
		if v, ok := resolveRef(s, locs[0], b); ok {
			return v
		}
		return s
	}
	var out strings.Builder
	last := 0
	for _, loc := range locs {
		out.WriteString(s[last:loc[0]])
		v, ok := resolveRef(s, loc, b)
		text, scalar := scalarString(v)
		if ok && scalar {
			out.WriteString(text)
		} else {
			out.WriteString(s[loc[0]:loc[1]])
		}
		last = loc[1]
	}
	out.WriteString(s[last:])
	return out.String()
}

func resolveRef(s string, loc []int, b *batchV2) (any, bool) {
	sec := b.section(s[loc[2]:loc[3]])
	path := s[loc[4]:loc[5]]
	var cur any = sec
	for _, seg := range strings.Split(strings.Trim(path, "[]"), "][") {
		a, ok := cur.(*php.Array)
		if !ok {
			return nil, false
		}
		v, ok := a.Get(seg)
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// scalarString converts a scalar as PHP's string cast does.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'G', 14, 64), true
	case bool:
		if x {
			return "1", true
		}
		return "", true
	}
	return "", false
}

// v3CommandKey is a v3 batch command's key in the audit: its alias, else
// its index.
func v3CommandKey(cmd *php.Array, index string) string {
	if as, ok := cmd.Get("as"); ok {
		if alias, ok := as.(string); ok && alias != "" {
			return alias
		}
	}
	return index
}

// v3CommandRefusal is why a v3 batch command cannot run (nil when it can):
// an unknown method, a missing scope, a query that is not an object or a
// reference that does not resolve.
func (s *Server) v3CommandRefusal(m *Method, cmd *php.Array, byAlias map[string]any) *Error {
	if m == nil || m.Name == "batch" {
		return errMethodNotFound
	}
	if !s.hasScope(m.Scope) {
		return errInsufficientScope
	}
	qv, ok := cmd.Get("query")
	if !ok {
		return nil
	}
	qa, ok := qv.(*php.Array)
	if !ok {
		return V3Errorf(400, "INVALIDSELECTEXCEPTION", "Command query must be an object")
	}
	_, err := resolveRefsV3(qa, byAlias)
	return err
}

// logNotRunV3 logs the commands after position stop as not executed: a v3
// batch ends at its first failure.
func (s *Server) logNotRunV3(seq int, params *php.Array, stop int) {
	n := -1
	for i, v := range params.All() {
		if n++; n <= stop {
			continue
		}
		cmd, _ := v.(*php.Array)
		name := ""
		if cmd != nil {
			mv, _ := cmd.Get("method")
			name, _ = mv.(string)
			i = v3CommandKey(cmd, i)
		}
		s.audit.commandDone(commandRecord(seq, i, strings.ToLower(name), ErrNotExecuted, NoFault))
	}
}

// runBatchV3 runs a REST v3 batch: a JSON array of {method, query, as};
// the first error aborts and becomes the whole answer.
func (s *Server) runBatchV3(ctx context.Context, params *php.Array, arrive time.Time, seq int) reply {
	if params.Len() == 0 || !params.IsList() {
		return s.errorReply(V3, V3Errorf(400, "INVALIDSELECTEXCEPTION", "Batch request must be a JSON array of commands"))
	}
	if params.Len() > maxBatch {
		return s.errorReply(V3, V3Errorf(400, "VALIDATION_REQUESTVALIDATIONEXCEPTION", "Batch supports at most %d commands", maxBatch))
	}
	b := &batchV3{results: php.NewArray(), byAlias: map[string]any{}, cmdFault: NoFault, arrive: arrive, seq: seq, user: s.callUser(ctx)}
	stop, n := params.Len(), -1 // stop: the position of the command that ended the batch
	for i, v := range params.All() {
		n++
		if !s.stepV3(ctx, b, i, v) {
			stop = n
			break
		}
	}
	if b.cut {
		return gatewayTimeout()
	}
	s.logNotRunV3(seq, params, stop)
	finish := s.clock.Now()
	var fig *opFigure
	if q := s.opRequest(arrive); q != nil {
		q.add(s.billedKey(b.user, "batch"), s.batchBilled(b.total))
		q.commit(finish)
		op, reset := q.figure(s.billedKey(b.user, "batch"), finish)
		fig = &opFigure{op, reset}
	}
	var rep reply
	if b.fail != nil {
		rep = s.errorReply(V3, b.fail)
	} else {
		env := php.NewArray()
		env.Set("result", b.results)
		env.Set("time", s.timeBlock(arrive, finish, b.total, fig))
		rep = s.jsonReply(http.StatusOK, env, b.total)
	}
	rep.cmdFault = b.cmdFault
	return rep
}

// batchV3 is a v3 batch under way.
type batchV3 struct {
	results  *php.Array
	byAlias  map[string]any // results by their "as"
	total    time.Duration
	fail     *Error // the error that ended the batch
	cmdFault Fault  // a command's fault that strikes the request
	cut      bool   // the portal's 60 s cut-off struck
	arrive   time.Time
	seq      int
	user     int // the webhook's user (operating budgets)
}

// stepV3 runs command i of a v3 batch and files its result; false ends the
// batch.
func (s *Server) stepV3(ctx context.Context, b *batchV3, i string, v any) bool {
	cmd, ok := v.(*php.Array)
	if !ok {
		b.fail = V3Errorf(400, "INVALIDSELECTEXCEPTION", "Batch command must be an object")
		s.audit.commandDone(commandRecord(b.seq, i, "", b.fail, NoFault))
		return false
	}
	key := v3CommandKey(cmd, i)
	m, q, fault, ok := s.admitCommandV3(b, cmd, key)
	if !ok {
		return false
	}
	res, aerr, ok := s.callV3(ctx, b, m, q, key, fault)
	if !ok {
		return false
	}
	if !fault.listFault() && fault != NoFault && fault != FaultAbsurdFigures {
		b.cmdFault = fault // strikes the request after the command ran
		if fault != FaultEchoHeader {
			s.audit.commandDone(commandRecord(b.seq, key, m.Name, errAbort, fault))
			return false
		}
	}
	s.audit.commandDone(commandRecord(b.seq, key, m.Name, aerr, b.cmdFault))
	if aerr == ErrNotExecuted {
		return true
	}
	if aerr != nil {
		b.fail = aerr
		return false
	}
	if as, _ := cmd.Get("as"); as != nil {
		if alias, ok := as.(string); ok && alias != "" {
			b.results.Set(alias, res.Value)
			b.byAlias[alias] = res.Value
			return true
		}
	}
	b.results.Append(res.Value)
	return true
}

// admitCommandV3 finds a v3 command's method, checks it (v3CommandRefusal),
// resolves its query's references and picks its fault; ok is false when the
// command ends the batch before it runs.
func (s *Server) admitCommandV3(b *batchV3, cmd *php.Array, key string) (m *Method, q *php.Array, fault Fault, ok bool) {
	mv, _ := cmd.Get("method")
	name, _ := mv.(string)
	m = s.method(V3, name)
	if b.fail = s.v3CommandRefusal(m, cmd, b.byAlias); b.fail != nil {
		s.audit.commandDone(commandRecord(b.seq, key, strings.ToLower(name), b.fail, NoFault))
		return nil, nil, NoFault, false
	}
	q = php.NewArray()
	if qv, ok := cmd.Get("query"); ok {
		r, _ := resolveRefsV3(qv.(*php.Array), b.byAlias)
		q = r.(*php.Array)
	}
	fault = s.faults.pickCommand(m.Name, key)
	if e := commandError(fault); e != nil {
		s.audit.command(m.Name)
		s.audit.commandDone(commandRecord(b.seq, key, m.Name, e, fault))
		b.fail = e
		return nil, nil, fault, false
	}
	if fault.strikesBefore() {
		s.audit.command(m.Name)
		s.audit.commandDone(commandRecord(b.seq, key, m.Name, errAbort, fault))
		b.cmdFault = fault
		return nil, nil, fault, false
	}
	return m, q, fault, true
}

// callV3 runs a v3 command and waits out its cost; ok is false when the
// batch's 60 s cut-off struck (b.cut).
func (s *Server) callV3(ctx context.Context, b *batchV3, m *Method, q *php.Array, key string, fault Fault) (Result, *Error, bool) {
	c := &Call{Method: m.Name, API: V3, Params: q, UserID: s.callUser(ctx), Now: s.clock.Now().In(s.data.Location), Batched: true, Key: key, app: isAppCall(ctx)}
	if fault.listFault() {
		c.fault = fault
	}
	res, aerr := m.Handler(c)
	cost := s.spread.apply(s.latency.cost(c.cost, s.scale))
	if b.total+cost > s.cutoff {
		s.sleepUntil(ctx, b.arrive.Add(s.cutoff))
		s.audit.call(c)
		s.chargeBatch(s.opRequest(b.arrive), b.user, b.total+cost)
		b.cut = true
		return res, aerr, false
	}
	b.total += cost
	s.sleepUntil(ctx, b.arrive.Add(b.total))
	s.audit.call(c)
	return res, aerr, true
}

// resolveRefsV3 replaces {"$ref": "alias.item.field"} and
// {"$refArray": "alias.field"} objects in v.
func resolveRefsV3(v any, byAlias map[string]any) (any, *Error) {
	a, ok := v.(*php.Array)
	if !ok {
		return v, nil
	}
	if a.Len() == 1 {
		if r, ok := a.Get("$ref"); ok {
			return refV3(r, byAlias, false)
		}
		if r, ok := a.Get("$refArray"); ok {
			return refV3(r, byAlias, true)
		}
	}
	out := php.NewArray()
	for k, x := range a.All() {
		rx, err := resolveRefsV3(x, byAlias)
		if err != nil {
			return nil, err
		}
		out.Set(k, rx)
	}
	return out, nil
}

func refV3(r any, byAlias map[string]any, array bool) (any, *Error) {
	path, _ := r.(string)
	bad := V3Errorf(400, "INVALIDSELECTEXCEPTION", "Invalid reference `%s`", path)
	segs := strings.Split(path, ".")
	if len(segs) < 2 {
		return nil, bad
	}
	res, ok := byAlias[segs[0]].(*php.Array)
	if !ok {
		return nil, bad
	}
	if array {
		items, ok := res.Get("items")
		ia, ok2 := items.(*php.Array)
		if !ok || !ok2 {
			return nil, bad
		}
		out := php.NewArray()
		for _, it := range ia.All() {
			v, ok := walk(it, segs[1:])
			if !ok {
				return nil, bad
			}
			out.Append(v)
		}
		return out, nil
	}
	if segs[1] != "item" {
		return nil, bad
	}
	v, ok := walk(res, segs[1:])
	if !ok {
		return nil, bad
	}
	return v, nil
}

func walk(v any, segs []string) (any, bool) {
	for _, s := range segs {
		a, ok := v.(*php.Array)
		if !ok {
			return nil, false
		}
		if v, ok = a.Get(s); !ok {
			return nil, false
		}
	}
	return v, true
}
