package b24test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/internal/php"
)

// Paths of the server's own endpoints, outside /rest.
const (
	// AuditPath answers the audit as JSON (GET).
	AuditPath = "/_fake/audit"
	// FailPath scripts faults: POST /_fake/fail?method=M&n=N&fault=F
	// (FailNext), ?key=K&fault=F (FailCommand) or ?request=N&fault=F
	// (FailRequest); fault names as Fault.String writes them.
	FailPath = "/_fake/fail"
)

// route is a parsed /rest path.
type route struct {
	api     APIVersions
	webhook bool   // the path carried <user>/<secret>
	user    string // the <user> segment
	secret  string
	method  string // as given, suffix stripped
	xml     bool
}

// parseRoute parses a /rest path; ok is false for any other path.
func parseRoute(path string) (rt route, ok bool) {
	rest, found := strings.CutPrefix(path, "/rest/")
	if !found {
		return rt, false
	}
	rest = strings.TrimSuffix(rest, "/")
	segs := strings.Split(rest, "/")
	rt.api = V2
	if segs[0] == "api" {
		rt.api = V3
		segs = segs[1:]
	}
	if len(segs) == 3 && segs[0] != "" && segs[1] != "" {
		rt.webhook, rt.user, rt.secret, rt.method = true, segs[0], segs[1], segs[2]
	} else {
		rt.method = strings.Join(segs, "/")
	}
	if rt.api == V2 {
		if i := strings.LastIndexByte(rt.method, '.'); i >= 0 {
			switch strings.ToLower(rt.method[i+1:]) {
			case "json":
				rt.method = rt.method[:i]
			case "xml":
				rt.method, rt.xml = rt.method[:i], true
			}
		}
	}
	return rt, true
}

// redactedPath returns the request path with the secret replaced.
func redactedPath(path string, rt route) string {
	if rt.secret == "" {
		return path
	}
	return strings.Replace(path, "/"+rt.secret+"/", "/***/", 1)
}

// reply is an answer before delivery.
type reply struct {
	status   int
	body     []byte
	ctype    string
	header   http.Header
	after    Fault // a fault to apply at delivery
	cmdFault Fault // a batch command's fault that strikes the whole request
	replayed bool
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case AuditPath:
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.Audit().JSON())
		return
	case FailPath:
		s.serveFail(w, r)
		return
	case StubPath:
		s.serveStub(w, r)
		return
	case OAuthTokenPath:
		s.serveOAuth(w, r)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	rec := RequestRecord{Seq: int(s.reqSeq.Add(1)), API: rt.api.String(), Path: redactedPath(r.URL.Path, rt)}
	rep := s.serveREST(r, rt, &rec)
	if rep.after != NoFault {
		rec.Fault = rep.after.String()
	}
	rec.Replayed = rep.replayed
	// The audit records the request before its answer is written: a client
	// that reads the audit after its answer must find the request there.
	s.deliver(w, r, rep, func(status int) {
		rec.Status = status
		s.audit.request(rec)
	})
}

func (s *Server) serveFail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	f, ok := ParseFault(q.Get("fault"))
	if key := q.Get("key"); ok && f != NoFault && key != "" {
		s.FailCommand(key, f)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if seq, err := strconv.Atoi(q.Get("request")); ok && f != NoFault && err == nil && seq > 0 {
		s.FailRequest(seq, f)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	n, err := strconv.Atoi(q.Get("n"))
	if !ok || f == NoFault || err != nil || n < 1 {
		http.Error(w, "want method=M&n=N&fault=F, key=K&fault=F or request=N&fault=F", http.StatusBadRequest)
		return
	}
	s.FailNext(q.Get("method"), n, f)
	w.WriteHeader(http.StatusNoContent)
}

// opRequest starts the operating record of a request whose first call
// starts at start; nil when the limits are off.
func (s *Server) opRequest(start time.Time) *opRequest {
	if s.limits.Disabled {
		return nil
	}
	return s.op.begin(start)
}

// batchBilled is a batch's time as billed under "batch" (Limits.BatchWeight).
func (s *Server) batchBilled(total time.Duration) time.Duration {
	if w := s.limits.BatchWeight; w > 0 {
		return time.Duration(float64(total) * w)
	}
	return total
}

// billedKey returns the operating budget a call of method is charged to.
// Each webhook has its own budgets (an application's calls are billed to
// the default webhook user's).
func (s *Server) billedKey(user int, method string) opKey {
	return opKey{cred: "apauth:" + strconv.Itoa(user), method: method}
}

// restCall is one REST request on its way through the portal's pipeline.
type restCall struct {
	r       *http.Request
	rt      route
	rec     *RequestRecord
	api     APIVersions
	arrive  time.Time
	m       *Method
	params  *php.Array
	start   int    // v2's start parameter
	body    []byte // v3's body, for the idempotency check
	fault   Fault
	absurd  AbsurdFigure
	idem    *idemEntry // the stored answer of an idempotent write
	idemKey string
	user    int // the webhook's user (an application's: the default webhook's)
}

// serveREST runs the portal's pipeline for one request: the bucket, the
// method, auth and scope, parameters, faults before the call, v3
// idempotency, the operating budget, the call, what follows it.
func (s *Server) serveREST(r *http.Request, rt route, rec *RequestRecord) reply {
	c := &restCall{r: r, rt: rt, rec: rec, api: rt.api, arrive: s.clock.Now()}
	for _, step := range []func(*restCall) *reply{s.admit, s.readParams, s.faultBefore, s.idempotent, s.budget} {
		if rep := step(c); rep != nil {
			return *rep
		}
	}
	rep, early := s.call(c)
	if early {
		return rep
	}
	return s.afterCall(c, rep)
}

// admit is the request bucket (in front of everything, always in the v2
// shape), the method (it must exist before auth, as the portal checks),
// authentication and scope.
func (s *Server) admit(c *restCall) *reply {
	if !s.limits.Disabled && !s.bucket.take(c.arrive) {
		return ptr(s.errorReply(V2, errQueryLimit))
	}
	if c.rt.xml {
		return ptr(s.errorReply(V2, &Error{Status: 400, Code: "INVALID_REQUEST", Description: "b24test: the XML transport is not supported"}))
	}
	if c.m = s.method(c.api, strings.ToLower(c.rt.method)); c.m == nil {
		return ptr(s.errorReply(c.api, errMethodNotFound))
	}
	c.rec.Method = c.m.Name
	if tok := appToken(c.r); !c.rt.webhook && tok != "" {
		if e := s.checkAppToken(tok); e != nil {
			return ptr(s.errorReply(c.api, e))
		}
		c.user = s.cfg.userID
	} else if !c.rt.webhook {
		return ptr(s.errorReply(c.api, errNoAuth))
	} else if user, ok := s.webhookUser(c.rt); !ok {
		return ptr(s.errorReply(c.api, errInvalidCredentials))
	} else {
		c.user = user
	}
	if !s.hasScope(c.m.Scope) {
		if c.api == V3 {
			// REST 3.0 answers a missing scope with 403 (other auth failures 401).
			e := *errInsufficientScope
			e.Status = http.StatusForbidden
			return ptr(s.errorReply(c.api, &e))
		}
		return ptr(s.errorReply(c.api, errInsufficientScope))
	}
	return nil
}

func ptr(r reply) *reply { return &r }

// readParams reads the parameters: v2's form or query, v3's JSON body.
func (s *Server) readParams(c *restCall) *reply {
	if c.api == V2 {
		c.params = v2Params(c.r)
		c.start = pullStart(c.params)
		return nil
	}
	var perr *Error
	if c.params, c.body, perr = v3Params(c.r); perr != nil {
		return ptr(s.errorReply(c.api, perr))
	}
	return nil
}

// faultBefore picks the request's fault and answers those that strike
// before the method runs.
func (s *Server) faultBefore(c *restCall) *reply {
	c.fault = s.faults.pick(c.m.Name, c.rec.Seq)
	if c.fault == FaultAbsurdFigures {
		c.absurd = s.faults.nextAbsurd()
		if rep := s.absurdRefusal(c.api, c.absurd); rep != nil {
			return rep
		}
	}
	if rep, ok := s.refusal(c.r, c.api, c.fault); ok {
		return &rep
	}
	return nil
}

// idempotent applies REST v3's Idempotency-Key to a write: a bad or reused
// key is refused, a stored answer replayed, a new one begun.
func (s *Server) idempotent(c *restCall) *reply {
	if c.api != V3 || !c.m.Write {
		return nil
	}
	key, present := idempotencyKey(c.r)
	if !present {
		return nil
	}
	if !validIdempotencyKey(key) {
		return ptr(s.errorReply(V3, errBadIdempotencyKey))
	}
	c.idemKey = key
	k := idemKey{cred: s.billedKey(c.user, "").cred, method: c.m.Name, key: key}
	ent, stored, conflict, err := s.idem.begin(c.r.Context(), k, c.body, c.arrive)
	switch {
	case err != nil:
		return &reply{status: 499, after: FaultReset}
	case conflict:
		rep := s.errorReply(V3, errIdempotencyReused)
		rep.header = http.Header{"Idempotency-Key": {key}}
		return &rep
	case stored != nil:
		h := http.Header{}
		h.Set("Idempotency-Key", key)
		h.Set("Idempotent-Replayed", "true")
		return &reply{status: stored.status, body: stored.body, ctype: jsonType, header: h, replayed: true, after: afterOnly(c.fault)}
	}
	c.idem = ent
	return nil
}

// budget checks the operating budget before the call (a batch billed per
// command is checked command by command).
func (s *Server) budget(c *restCall) *reply {
	perCommand := c.m.Name == "batch" && s.limits.BatchPerCommand
	if !s.limits.Disabled && !perCommand && s.op.blocked(s.billedKey(c.user, c.m.Name), c.arrive) {
		s.idem.abandon(c.idem)
		return ptr(s.errorReply(c.api, errOperating))
	}
	return nil
}

// call runs the method (late, whether the client still waits or not, on
// FaultLateRun); early is true when a fault scripted for one of a batch's
// commands refused the whole request.
func (s *Server) call(c *restCall) (rep reply, early bool) {
	ctx := c.r.Context()
	ctx = context.WithValue(ctx, hookUserKey{}, c.user)
	if !c.rt.webhook {
		ctx = context.WithValue(ctx, appCallKey{}, true)
	}
	if c.fault == FaultLateRun {
		ctx = context.WithoutCancel(ctx)
		detach(c.r)
		s.sleep(ctx, scaleDur(LateRunDelay, s.scale))
		c.arrive = s.clock.Now()
	}
	if c.m.Name != "batch" {
		return s.runSingle(ctx, c.m, c.api, c.params, c.start, c.arrive, c.fault), false
	}
	if c.api == V2 {
		rep = s.runBatchV2(ctx, c.params, c.arrive, c.rec.Seq)
	} else {
		rep = s.runBatchV3(ctx, c.params, c.arrive, c.rec.Seq)
	}
	// A fault scripted for one of its commands strikes the request.
	if rep.cmdFault != NoFault {
		if fr, ok := s.refusal(c.r, c.api, rep.cmdFault); ok {
			return fr, true
		}
		c.fault = rep.cmdFault
	}
	return rep, false
}

// afterCall stores the answer of an idempotent write before any later
// fault, then applies the faults that strike after the method ran.
func (s *Server) afterCall(c *restCall, rep reply) reply {
	if c.idem != nil {
		if rep.header == nil {
			rep.header = http.Header{}
		}
		rep.header.Set("Idempotency-Key", c.idemKey)
		s.idem.finish(c.idem, rep, s.clock.Now())
	}
	rep.after = afterOnly(c.fault)
	if c.fault == FaultEchoHeader {
		rep.header, rep.after = s.echoHeader(c.r, rep.header), c.fault
	}
	if c.fault == FaultAbsurdFigures {
		rep = s.absurdAnswer(rep, c.absurd, c.arrive)
	}
	return rep
}

func afterOnly(f Fault) Fault {
	if f.afterExecution() {
		return f
	}
	return NoFault
}

// hasScope reports whether the webhook holds scope ("" is global). The user
// scope is satisfied by any of its variants.
func (s *Server) hasScope(scope string) bool {
	if scope == "" || s.scopes[scope] {
		return true
	}
	if scope == "user" {
		return s.scopes["user_brief"] || s.scopes["user_basic"]
	}
	return false
}

// runSingle runs one non-batch call.
func (s *Server) runSingle(ctx context.Context, m *Method, api APIVersions, params *php.Array, start int, arrive time.Time, fault Fault) reply {
	c := &Call{Method: m.Name, API: api, Params: params, Start: start, UserID: s.callUser(ctx), Now: arrive.In(s.data.Location), app: isAppCall(ctx)}
	if fault.listFault() {
		c.fault = fault
	}
	res, aerr := m.Handler(c)
	cost := s.spread.apply(s.latency.cost(c.cost, s.scale))
	if cost > s.cutoff {
		// The portal's front cuts a request off after 60 s (the method
		// ran): a gateway timeout, not JSON.
		s.sleepUntil(ctx, arrive.Add(s.cutoff))
		s.audit.call(c)
		q := s.opRequest(arrive)
		q.add(s.billedKey(c.UserID, m.Name), cost)
		q.commit(s.clock.Now())
		return gatewayTimeout()
	}
	s.sleepUntil(ctx, arrive.Add(cost))
	finish := s.clock.Now()
	s.audit.call(c)
	var fig *opFigure
	if q := s.opRequest(arrive); q != nil {
		q.add(s.billedKey(c.UserID, m.Name), cost)
		q.commit(finish)
		op, reset := q.figure(s.billedKey(c.UserID, m.Name), finish)
		fig = &opFigure{op, reset}
	}
	if aerr != nil {
		return s.errorReply(api, aerr)
	}
	if res.bare {
		return s.jsonReply(http.StatusOK, res.Value, cost)
	}
	env := php.NewArray()
	env.Set("result", res.Value)
	if api == V2 && res.List {
		if res.Next >= 0 {
			env.Set("next", res.Next)
		}
		env.Set("total", res.Total)
	}
	env.Set("time", s.timeBlock(arrive, finish, cost, fig))
	return s.jsonReply(http.StatusOK, env, cost)
}

// opFigure is the operating part of a time block.
type opFigure struct {
	operating time.Duration
	resetAt   time.Time
}

// timeBlock builds the envelope's "time" object. "start" and "processing"
// are integers truncated to the second, as current portals send them, or
// floats with WithLegacyTime.
func (s *Server) timeBlock(start, finish time.Time, processing time.Duration, fig *opFigure) *php.Array {
	// Current portals truncate start and processing to the second, and
	// compute duration from the truncated start.
	var startV, processingV any = start.Unix(), int64(processing / time.Second)
	duration := finish.Sub(time.Unix(start.Unix(), 0)).Seconds()
	if s.cfg.legacyTime {
		startV, processingV = unixFloat(start), processing.Seconds()
		duration = finish.Sub(start).Seconds()
	}
	t := php.NewArray()
	t.Set("start", startV)
	t.Set("finish", unixFloat(finish))
	t.Set("duration", duration)
	t.Set("processing", processingV)
	t.Set("date_start", isoDate(start, s.data.Location))
	t.Set("date_finish", isoDate(finish, s.data.Location))
	if fig != nil {
		setOperating(t, fig)
	}
	return t
}

func setOperating(t *php.Array, fig *opFigure) {
	t.Set("operating_reset_at", fig.resetAt.Unix())
	t.Set("operating", fig.operating.Seconds())
}

// unixFloat returns t as Unix seconds with microseconds, as PHP's microtime(true).
func unixFloat(t time.Time) float64 {
	return float64(t.UnixMicro()) / 1e6
}

// isoDate formats t as the portal does: ISO 8601, seconds, with the offset.
func isoDate(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02T15:04:05-07:00")
}

const jsonType = "application/json; charset=utf-8"

// jsonReply encodes v with PHP's json_encode.
func (s *Server) jsonReply(status int, v any, processing time.Duration) reply {
	b, err := php.EncodeJSON(v)
	if err != nil {
		b = []byte(`{"error":"WRONG_ENCODING","error_description":"Wrong request encoding"}`)
	}
	h := http.Header{}
	if processing > 0 || status == http.StatusOK {
		h.Set("X-Bitrix-Rest-Time", strconv.FormatFloat(processing.Seconds(), 'f', 10, 64))
	}
	return reply{status: status, body: b, ctype: jsonType, header: h}
}

// errorReply writes e in the shape of api.
func (s *Server) errorReply(api APIVersions, e *Error) reply {
	env := php.NewArray()
	if api == V3 {
		code, msg := e.V3Code, e.V3Message
		if code == "" {
			code, msg = e.Code, e.Description
		}
		inner := php.NewArray()
		inner.Set("code", code)
		inner.Set("message", msg)
		if len(e.Validation) > 0 {
			list := php.NewArray()
			for _, fe := range e.Validation {
				it := php.NewArray()
				it.Set("message", fe.Message)
				it.Set("field", fe.Field)
				list.Append(it)
			}
			inner.Set("validation", list)
		}
		env.Set("error", inner)
	} else {
		env.Set("error", e.Code)
		env.Set("error_description", e.Description)
		if e.Argument != "" {
			env.Set("argument", e.Argument)
		}
	}
	return s.jsonReply(e.status(), env, 0)
}

// The portal's own errors.
var (
	errQueryLimit     = &Error{Status: 503, Code: "QUERY_LIMIT_EXCEEDED", Description: "Too many requests"}
	errOverload       = &Error{Status: 503, Code: "OVERLOAD_LIMIT", Description: "REST API is blocked due to overload."}
	errInternal       = &Error{Status: 500, Code: "INTERNAL_SERVER_ERROR", Description: "Internal server error"}
	errOperating      = &Error{Status: 429, Code: "OPERATION_TIME_LIMIT", Description: "Method is blocked due to operation time limit.", V3Code: "BITRIX_REST_V3_EXCEPTION_RATELIMITEXCEPTION", V3Message: "Method is blocked due to operation time limit."}
	errMethodNotFound = &Error{Status: 404, Code: "ERROR_METHOD_NOT_FOUND", Description: "Method not found!",
		V3Code: "BITRIX_REST_V3_EXCEPTION_METHODNOTFOUNDEXCEPTION", V3Message: "Method not found!"}
	errNoAuth = &Error{Status: 401, Code: "NO_AUTH_FOUND", Description: "Wrong authorization data",
		V3Code: "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION", V3Message: "Wrong authorization data"}
	errInvalidCredentials = &Error{Status: 401, Code: "INVALID_CREDENTIALS", Description: "Invalid request credentials",
		V3Code: "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION", V3Message: "Invalid request credentials"}
	errInsufficientScope = &Error{Status: 401, Code: "insufficient_scope", Description: "The request requires higher privileges than provided by the webhook token",
		V3Code: "BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION", V3Message: "The request requires higher privileges than provided by the webhook token"}
	errBatchLength     = &Error{Status: 400, Code: "ERROR_BATCH_LENGTH_EXCEEDED", Description: "Max batch length exceeded"}
	errBatchNotAllowed = &Error{Status: 405, Code: "ERROR_BATCH_METHOD_NOT_ALLOWED", Description: "Method is not allowed for batch usage"}
	errInvalidJSON     = &Error{Status: 400, Code: "INVALID_JSON", Description: "Invalid JSON",
		V3Code: "BITRIX_REST_V3_EXCEPTION_INVALIDJSONEXCEPTION", V3Message: "Invalid JSON in request body"}
	errBadIdempotencyKey = &Error{Status: 400, Code: "INVALID_IDEMPOTENCY_KEY", Description: "Invalid idempotency key",
		V3Code: "BITRIX_REST_V3_EXCEPTION_INVALIDIDEMPOTENCYKEYEXCEPTION", V3Message: "Idempotency key must be 1 to 255 printable ASCII characters"}
	errIdempotencyReused = &Error{Status: 422, Code: "IDEMPOTENCY_KEY_REUSED", Description: "Idempotency key reused",
		V3Code: "BITRIX_REST_V3_EXCEPTION_IDEMPOTENCYKEYREUSEDEXCEPTION", V3Message: "Idempotency key was already used with a different request"}
)

const badGatewayHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
const gatewayTimeoutHTML = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
const movedHTML = "<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n<center><h1>302 Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

func gatewayTimeout() reply {
	return reply{status: http.StatusGatewayTimeout, ctype: "text/html", body: []byte(gatewayTimeoutHTML)}
}

// deliver writes rep, applying an after-execution fault, and returns the
// status the client saw (0 when the connection was reset).
// deliver writes rep, applying its delivery fault; record is called with the
// status delivered (0: no answer) before anything is written.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, rep reply, record func(status int)) {
	switch rep.after {
	case FaultInternal:
		er := s.errorReply(V2, errInternal)
		rep.status, rep.body, rep.ctype = er.status, er.body, er.ctype
	case FaultSlow:
		if s.sleep(r.Context(), scaleDur(SlowDelay, s.scale)) != nil {
			record(0)
			return
		}
	case FaultReset, FaultStreamReset, FaultGoAway:
		record(0)
		if hw, ok := w.(*h2writer); ok {
			hw.reset, hw.goAway = rep.after == FaultStreamReset, rep.after == FaultGoAway
		}
		abortConn(w)
		return
	}
	if rep.status == 499 { // the client went away
		record(0)
		return
	}
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	h.Set("Content-Type", rep.ctype)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "origin, content-type, accept")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	record(rep.status)
	w.WriteHeader(rep.status)
	if rep.after == FaultTruncated {
		w.Write(rep.body[:len(rep.body)/2])
		truncateConn(w)
		return
	}
	w.Write(rep.body)
}

// abortConn drops the connection without an answer: a TCP reset on a real
// connection, a failed RoundTrip on the in-memory transport.
func abortConn(w http.ResponseWriter) {
	if mw, ok := w.(*memWriter); ok {
		mw.reset = true
		return
	}
	if hw, ok := w.(*h2writer); ok {
		hw.abort = !hw.reset && !hw.goAway
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	var nc net.Conn = conn
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn()
	}
	if tcp, ok := nc.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	nc.Close()
}

// truncateConn ends a response whose body is shorter than its
// Content-Length: the connection is closed after what was written.
func truncateConn(w http.ResponseWriter) {
	if mw, ok := w.(*memWriter); ok {
		mw.truncated = true
		return
	}
	if hw, ok := w.(*h2writer); ok {
		hw.truncated = true
		return
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	// net/http closes the connection itself when fewer bytes than the
	// declared Content-Length were written.
}
