package b24test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/internal/php"
)

// errWrongAuthType is a real portal's answer to an event method called
// through a webhook: they need an application's (OAuth) authorization.
var errWrongAuthType = &Error{Status: 403, Code: "WRONG_AUTH_TYPE", Description: "Current authorization type is denied for this method"}

// offlineEvents are the events the fake raises: a CRM record's or a task's
// add, update and delete (the names event.bind accepts, with ONOFFLINEEVENT
// and ONAPPUNINSTALL).
var offlineEvents = func() map[string]bool {
	m := map[string]bool{"ONOFFLINEEVENT": true, "ONAPPUNINSTALL": true}
	for _, e := range []string{"ONCRMDEAL", "ONCRMLEAD", "ONCRMCONTACT", "ONCRMCOMPANY", "ONTASK"} {
		for _, a := range []string{"ADD", "UPDATE", "DELETE"} {
			m[e+a] = true
		}
	}
	return m
}()

// eventFamily serves event.bind, event.get, event.unbind and event.offline.*
// to an application (Bearer or auth= token); a webhook gets WRONG_AUTH_TYPE
// as on a real portal.
func (s *Server) eventFamily(*Data) []Method {
	q := s.offline
	app := func(h func(c *Call) (Result, *Error)) Handler {
		return func(c *Call) (Result, *Error) {
			if !c.app {
				return Result{}, errWrongAuthType
			}
			return h(c)
		}
	}
	return []Method{
		{Name: "event.bind", API: V2, Write: true, Handler: app(q.bindMethod)},
		{Name: "event.get", API: V2, Handler: app(q.getHandlers)},
		{Name: "event.unbind", API: V2, Write: true, Handler: app(q.unbindMethod)},
		{Name: "event.offline.get", API: V2, Write: true, Handler: app(func(c *Call) (Result, *Error) { return q.offlineGet(c, s.data.Location) })},
		{Name: "event.offline.clear", API: V2, Write: true, Handler: app(q.offlineClear)},
		{Name: "event.offline.error", API: V2, Write: true, Handler: app(q.offlineError)},
		{Name: "event.offline.list", API: V2, Handler: app(func(c *Call) (Result, *Error) { return q.offlineList(c, s.data.Location) })},
	}
}

func errArgument(name string) *Error {
	return &Error{Status: 400, Code: "ERROR_ARGUMENT", Description: "Argument '" + name + "' is null or empty"}
}

func strParam(p *php.Array, key string) string {
	v, _ := getCI(p, key)
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case nil, *php.Array:
		return ""
	}
	return strconv.Itoa(phpInt(v))
}

// readBinding reads the parameters of event.bind and event.unbind.
func readBinding(p *php.Array) (binding, *Error) {
	b := binding{event: strings.ToUpper(strParam(p, "event")), handler: strParam(p, "handler"),
		connector: strParam(p, "auth_connector")}
	b.authType = phpInt(func() any { v, _ := getCI(p, "auth_type"); return v }())
	switch strings.ToLower(strParam(p, "event_type")) {
	case "", "online":
	case "offline":
		b.offline = true
	default:
		return b, &Error{Status: 400, Code: "ERROR_ARGUMENT", Description: "event_type must be online or offline"}
	}
	if b.event == "" {
		return b, errArgument("event")
	}
	return b, nil
}

// bindMethod is event.bind: an online handler needs an http(s) URL; an
// offline one takes none; the same handler twice is refused.
func (q *offlineQueue) bindMethod(c *Call) (Result, *Error) {
	b, e := readBinding(c.Params)
	if e != nil {
		return Result{}, e
	}
	if !offlineEvents[b.event] {
		return Result{}, Errorf("ERROR_EVENT_NOT_FOUND", "Event not found")
	}
	if b.offline {
		b.handler = ""
	} else if u, err := url.Parse(b.handler); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Result{}, errArgument("handler")
	} else if b.connector != "" {
		return Result{}, Errorf("ERROR_ARGUMENT", "auth_connector is for offline events")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, x := range q.bindings {
		if x.event == b.event && x.offline == b.offline && x.handler == b.handler && x.connector == b.connector && x.authType == b.authType {
			return Result{}, Errorf("ERROR_CORE", "Handler already binded")
		}
	}
	q.bindings = append(q.bindings, b)
	return Value(true), nil
}

// getHandlers is event.get: the application's handlers.
func (q *offlineQueue) getHandlers(*Call) (Result, *Error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := php.NewArray()
	for _, b := range q.bindings {
		row := php.NewArray()
		row.Set("event", b.event)
		row.Set("handler", b.handler)
		row.Set("auth_type", strconv.Itoa(b.authType))
		row.Set("offline", map[bool]int{false: 0, true: 1}[b.offline])
		if b.connector != "" {
			row.Set("connector_id", b.connector)
		}
		out.Append(row)
	}
	return Value(out), nil
}

// unbindMethod is event.unbind: it removes the handlers of the event that
// match the parameters given (handler, auth_type, event_type,
// auth_connector) and answers {"count": n}.
func (q *offlineQueue) unbindMethod(c *Call) (Result, *Error) {
	b, e := readBinding(c.Params)
	if e != nil {
		return Result{}, e
	}
	_, hasAuth := getCI(c.Params, "auth_type")
	q.mu.Lock()
	defer q.mu.Unlock()
	kept, n := q.bindings[:0], 0
	for _, x := range q.bindings {
		if x.event == b.event && x.offline == b.offline && (b.handler == "" || x.handler == b.handler) &&
			(!hasAuth || x.authType == b.authType) && (b.connector == "" || x.connector == b.connector) {
			n++
			continue
		}
		kept = append(kept, x)
	}
	q.bindings = kept
	res := php.NewArray()
	res.Set("count", n)
	return Value(res), nil
}

// readQuery reads a filter and an order; fields are the fields they may name.
func readQuery(p *php.Array, fields map[string]bool, defOrder orderKey) ([]filterTerm, []orderKey, *Error) {
	var terms []filterTerm
	if f, ok := getCI(p, "filter"); ok {
		fa, _ := f.(*php.Array)
		for k, v := range fa.All() {
			op := strings.TrimRight(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
			t := filterTerm{op: op, field: strings.ToUpper(k[len(op):])}
			if !fields[t.field] || (op != "" && op != "=" && op != "!" && op != ">" && op != ">=" && op != "<" && op != "<=") {
				return nil, nil, Errorf("ERROR_ARGUMENT", "Unknown filter field %q", k)
			}
			if va, ok := v.(*php.Array); ok {
				for _, x := range va.All() {
					t.values = append(t.values, strParamValue(x))
				}
			} else {
				t.values = []string{strParamValue(v)}
			}
			terms = append(terms, t)
		}
	}
	var order []orderKey
	if o, ok := getCI(p, "order"); ok {
		oa, _ := o.(*php.Array)
		for k, v := range oa.All() {
			f := strings.ToUpper(k)
			if !fields[f] {
				return nil, nil, Errorf("ERROR_ARGUMENT", "Unknown order field %q", k)
			}
			order = append(order, orderKey{field: f, desc: strings.EqualFold(strParamValue(v), "DESC")})
		}
	}
	if len(order) == 0 {
		order = []orderKey{defOrder}
	}
	return terms, order, nil
}

func strParamValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return strconv.Itoa(phpInt(v))
}

// listParam reads an array parameter (id, message_id) as strings.
func listParam(p *php.Array, key string) []string {
	v, ok := getCI(p, key)
	if !ok {
		return nil
	}
	if a, ok := v.(*php.Array); ok {
		var out []string
		for _, x := range a.All() {
			out = append(out, strParamValue(x))
		}
		return out
	}
	if s := strParamValue(v); s != "" && s != "0" {
		return []string{s}
	}
	return nil
}

var getFields = map[string]bool{"ID": true, "TIMESTAMP_X": true, "EVENT_NAME": true, "MESSAGE_ID": true}

// offlineGet is event.offline.get (clear defaults to 1, limit to 50).
func (q *offlineQueue) offlineGet(c *Call, loc *time.Location) (Result, *Error) {
	p := c.Params
	terms, order, e := readQuery(p, getFields, orderKey{field: "TIMESTAMP_X"})
	if e != nil {
		return Result{}, e
	}
	o := getOpts{connector: strParam(p, "auth_connector"), processID: strParam(p, "process_id"),
		clear: true, limit: 50, filter: terms, order: order}
	if v, ok := getCI(p, "clear"); ok {
		o.clear = phpTruthy(v)
	}
	if v, ok := getCI(p, "error"); ok {
		o.errored = phpTruthy(v)
	}
	if v, ok := getCI(p, "limit"); ok {
		if o.limit = phpInt(v); o.limit <= 0 {
			o.limit = 50
		}
	}
	pid, recs := q.get(o, c.Now)
	c.Returned(len(recs))
	res := php.NewArray()
	if pid == "" {
		res.Set("process_id", nil)
	} else {
		res.Set("process_id", pid)
	}
	events := php.NewArray()
	for _, r := range recs {
		events.Append(r.row(loc, false))
	}
	res.Set("events", events)
	return Value(res), nil
}

// row is a record as event.offline.get (and, with PROCESS_ID and ERROR,
// event.offline.list) answers it.
func (r *offlineRec) row(loc *time.Location, listed bool) *php.Array {
	row := php.NewArray()
	row.Set("ID", strconv.Itoa(r.id))
	row.Set("TIMESTAMP_X", r.ts.In(loc).Format(time.RFC3339))
	row.Set("EVENT_NAME", r.name)
	row.Set("EVENT_DATA", r.data)
	add := php.NewArray()
	add.Set("user_id", strconv.Itoa(r.userID))
	row.Set("EVENT_ADDITIONAL", add)
	row.Set("MESSAGE_ID", r.messageID)
	if listed {
		row.Set("PROCESS_ID", r.processID)
		row.Set("ERROR", map[bool]string{false: "0", true: "1"}[r.errored])
	}
	return row
}

func (q *offlineQueue) offlineClear(c *Call) (Result, *Error) {
	pid := strParam(c.Params, "process_id")
	if pid == "" {
		return Result{}, errArgument("process_id")
	}
	q.clear(strParam(c.Params, "auth_connector"), pid, listParam(c.Params, "id"), listParam(c.Params, "message_id"))
	return Value(true), nil
}

func (q *offlineQueue) offlineError(c *Call) (Result, *Error) {
	pid := strParam(c.Params, "process_id")
	if pid == "" {
		return Result{}, errArgument("process_id")
	}
	q.markError(strParam(c.Params, "auth_connector"), pid, listParam(c.Params, "message_id"))
	return Value(true), nil
}

var listFields = map[string]bool{"ID": true, "TIMESTAMP_X": true, "EVENT_NAME": true, "MESSAGE_ID": true, "PROCESS_ID": true, "ERROR": true}

// offlineList is event.offline.list: pages of 50, nothing changed.
func (q *offlineQueue) offlineList(c *Call, loc *time.Location) (Result, *Error) {
	terms, order, e := readQuery(c.Params, listFields, orderKey{field: "ID"})
	if e != nil {
		return Result{}, e
	}
	recs := q.list(strParam(c.Params, "auth_connector"), terms, order, c.Now)
	start := max(c.Start, 0)
	page := recs[min(start, len(recs)):min(start+50, len(recs))]
	rows := php.NewArray()
	for _, r := range page {
		rows.Append(r.row(loc, true))
	}
	c.Returned(len(page))
	return Page(rows, len(recs), NextStart(c.Start, len(page), len(recs))), nil
}

// appCallKey marks the context of a request made with an application's
// token (Bearer or auth=), whose calls may use the event methods.
type appCallKey struct{}

func isAppCall(ctx context.Context) bool { v, _ := ctx.Value(appCallKey{}).(bool); return v }
