package b24test

// The method registry: the contract between the server (routing, auth,
// limits, envelopes, batch, faults, audit) and the method families that
// hold data (methods_crm.go, methods_item.go, methods_tasks.go over
// internal/store).
//
// A family registers itself from an init function of its file:
//
//	func init() { registerFamily(crmFamily) }
//
//	func crmFamily(d *Data) []Method {
//		st := d.Shared("crm", func() any { return store.New(...) }).(*store.Store)
//		return []Method{
//			{Name: "crm.deal.list", API: V2, Scope: "crm", Handler: func(c *Call) (Result, *Error) {
//				rows, total := st.List(...)
//				c.Returned(len(rows))
//				if c.Start >= 0 {
//					c.Counted(total)
//				}
//				c.Skipped(c.Start)
//				return Page(rows, total, NextStart(c.Start, len(rows), total)), nil
//			}},
//			{Name: "crm.deal.add", API: V2, Write: true, Scope: "crm", Handler: ...},
//		}
//	}
//
// Every Server calls every registered family once, at construction, with
// its own *Data; handlers close over what the family built, so two Servers
// never share records. Handlers of one Server may run concurrently (the
// server does not serialise calls): the store must lock.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/b24go/b24/internal/php"
)

// APIVersions says which REST generations a method is served on: V2, V3 or
// Both (a bitmask).
type APIVersions uint8

const (
	// V2 is the classic REST API: /rest/<user>/<secret>/<method>.
	V2 APIVersions = 1 << iota
	// V3 is REST 3.0: /rest/api/<user>/<secret>/<method>.
	V3
	// Both serves the method on both paths with one handler, which tells
	// them apart by Call.API.
	Both = V2 | V3
)

func (a APIVersions) String() string {
	switch a {
	case V2:
		return "v2"
	case V3:
		return "v3"
	case Both:
		return "v2+v3"
	}
	return fmt.Sprintf("APIVersions(%d)", uint8(a))
}

// Method declares one REST method.
type Method struct {
	// Name is the method name, lower-case ("crm.deal.list"). Calls match it
	// case-insensitively.
	Name string
	// API is V2, V3 or Both. A name may be registered once for V2 and once
	// for V3 with different handlers (tasks.task.list answers result.tasks on
	// v2 and result.items on v3).
	API APIVersions
	// Write marks a method that changes data: on v3 it honours the
	// Idempotency-Key header, and the faults that strike after execution
	// ("500 after a write") apply to it.
	Write bool
	// Scope is the webhook scope the method needs ("crm", "task", "user",
	// "tasks"); empty for global methods (profile, server.time, batch, ...).
	Scope string
	// Handler runs the method.
	Handler Handler
}

// Handler runs one call of a method: a top-level request or one command of
// a batch. It returns the method's result, or an API error (and then the
// Result is ignored). It must not block on anything but the store's locks:
// the server models the call's duration from the costs charged on c.
type Handler func(c *Call) (Result, *Error)

// Call is what a handler receives.
type Call struct {
	// Method is the called method name, lower-cased.
	Method string
	// API is V2 or V3 (never Both).
	API APIVersions
	// Params are the call's parameters as PHP would see them: on v2 the
	// query string merged with the body (JSON, form or multipart; bracket
	// keys nested; malformed JSON gives none), without start, auth and
	// state; on v3 the JSON body. Never nil.
	Params *php.Array
	// Start is the v2 offset: the "start" parameter cast to int as PHP
	// does (0 when absent; -1 means "do not count": total 0, no next).
	// Always 0 on v3, where pagination is a parameter of its own.
	Start int
	// UserID is the id of the user the webhook belongs to (the <user> of
	// the URL); records created through the call belong to this user.
	UserID int
	// Now is the time the request arrived, on the server's clock, in the
	// portal's zone (Data.Location).
	Now time.Time
	// Batched is true when the call is a command of a batch.
	Batched bool
	// Key is the command's key in a v2 batch (its "as" alias, or its index
	// from 0, in a v3 batch); "" at top level.
	Key string

	cost  callCost
	write []writeRef
	fault Fault   // a list fault (FaultUnsorted, FaultIgnoreStart) to apply
	own   Handler // the method's own handler, for a stub (Call.Run)
	app   bool    // the request carried an application's token, not a webhook
}

// callCost is what a call charged for the latency model.
type callCost struct {
	returned, counted, skipped, writes int
}

// writeRef names one record a call wrote.
type writeRef struct {
	Entity string // "deal", "lead", "contact", "company", "task", ...
	ID     int
}

// Returned charges n rows returned to the client (latency model: 50 µs
// a row by default).
func (c *Call) Returned(n int) {
	if n > 0 {
		c.cost.returned += n
	}
}

// Counted charges n rows counted to compute a total, which a list does when
// Start >= 0 (20 µs a row by default).
func (c *Call) Counted(n int) {
	if n > 0 {
		c.cost.counted += n
	}
}

// Skipped charges n rows skipped to reach an offset (2 µs a row by default).
func (c *Call) Skipped(n int) {
	if n > 0 {
		c.cost.skipped += n
	}
}

// Wrote records that the call applied a write to one record (add, update or
// delete): it charges a write (5 ms by default) and is counted in the
// audit's writes per record, which proves that a retried write was applied
// once. Charge it only for writes that happened (not for a failed update).
func (c *Call) Wrote(entity string, id int) {
	c.cost.writes++
	c.write = append(c.write, writeRef{Entity: entity, ID: id})
}

// Result is a method's successful answer.
type Result struct {
	// Value is the envelope's "result": a value php.EncodeJSON writes
	// (*php.Array, string, bool, int, int64, float64, nil). Batch references
	// ($result[key][0][ID], v3 $ref) walk into *php.Array values.
	Value any
	// List marks a v2 list answer: the envelope then carries "total" (and
	// "next" when Next >= 0), hoisted out of the result as the portal does.
	List bool
	// Total is the number of matching rows (0 when Start is -1).
	Total int
	// Next is the start of the following page, or -1 when there is none
	// (the last page, or Start -1).
	Next int

	bare bool // Value is the whole body, without an envelope (the OpenAPI document)
}

// Value returns a non-list result.
func Value(v any) Result { return Result{Value: v, Next: -1} }

// Page returns a v2 list page: its rows (or the object holding them, such
// as {tasks: [...]}) and the total. next is the start of the following page;
// pass -1 when there is none. The portal's rule: next = start + rows on the
// page, present only when that is below total (never with start = -1).
func Page(v any, total, next int) Result {
	return Result{Value: v, List: true, Total: total, Next: next}
}

// NextStart applies the portal's paging rule: it returns the start of the
// page after one of n rows at start, or -1 when there is none.
func NextStart(start, n, total int) int {
	if start < 0 || start+n >= total {
		return -1
	}
	return start + n
}

// Error is an API error, written in the shape of the call's API.
type Error struct {
	// Status is the HTTP status (400 when 0). Inside a v2 batch the status
	// is not sent; the error lands in result_error.
	Status int
	// Code and Description are the v2 body: {"error": Code,
	// "error_description": Description}. Code may be "" or "0" (legacy
	// methods do that).
	Code        string
	Description string
	// Argument, when not empty, adds the "argument" key (ERROR_ARGUMENT).
	Argument string
	// V3Code and V3Message are the v3 body's "code" and "message"
	// ("BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION"). When V3Code is
	// empty a v3 call answers Code and Description.
	V3Code    string
	V3Message string
	// Validation is the v3 "validation" list (request-validation errors).
	Validation []FieldError
}

// FieldError is one entry of a v3 error's "validation" list.
type FieldError struct {
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.V3Code != "" {
		return e.V3Code + ": " + e.V3Message
	}
	return e.Code + ": " + e.Description
}

// status returns the HTTP status of e.
func (e *Error) status() int {
	if e.Status == 0 {
		return 400
	}
	return e.Status
}

// Errorf returns a v2 error with status 400.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Status: 400, Code: code, Description: fmt.Sprintf(format, args...)}
}

// V3Errorf returns a v3 error: code is the suffix after
// "BITRIX_REST_V3_EXCEPTION_" ("ENTITYNOTFOUNDEXCEPTION").
func V3Errorf(status int, code, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Status: status, Code: code, Description: msg,
		V3Code: "BITRIX_REST_V3_EXCEPTION_" + code, V3Message: msg}
}

// Seed says what data a new Server holds. Zero counts take the defaults.
type Seed struct {
	// Seed makes the data deterministic: the same Seed and counts give the
	// same records.
	Seed int64
	// Record counts of each entity (defaults: 500 deals, 200 leads, 300
	// contacts, 100 companies, 100 tasks, 5 users).
	Deals, Leads, Contacts, Companies, Tasks, Users int
}

func (s Seed) withDefaults() Seed {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&s.Deals, 500)
	def(&s.Leads, 200)
	def(&s.Contacts, 300)
	def(&s.Companies, 100)
	def(&s.Tasks, 100)
	def(&s.Users, 5)
	if s.Seed == 0 {
		s.Seed = 1
	}
	return s
}

// Data is what method families of one Server share: the seed, the portal's
// clock and zone, and values built once per Server.
type Data struct {
	// Seed holds the record counts, defaults applied. Users have ids
	// 1..Seed.Users; user 1 is the webhook's owner and an admin.
	Seed Seed
	// Created is the server's start time; seeded dates lie before it.
	Created time.Time
	// Location is the portal's zone, used in every ISO date it writes.
	Location *time.Location
	// Clock returns the current time on the server's clock.
	Clock func() time.Time

	mu     sync.Mutex
	shared map[string]any
}

// Shared returns the value kept under key, building it with mk on first use.
// Families that share records (crm.deal.* and crm.item.*) ask for the same key.
func (d *Data) Shared(key string, mk func() any) any {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.shared[key]; ok {
		return v
	}
	if d.shared == nil {
		d.shared = map[string]any{}
	}
	v := mk()
	d.shared[key] = v
	return v
}

// Family builds the methods of one family for a Server.
type Family func(d *Data) []Method

var (
	familiesMu sync.Mutex
	families   []Family
)

// registerFamily adds a method family; call it from init.
func registerFamily(f Family) {
	familiesMu.Lock()
	defer familiesMu.Unlock()
	families = append(families, f)
}

// registry is one Server's method table.
type registry struct {
	v2, v3 map[string]*Method
}

// buildRegistry calls every family with d. It fails on a duplicate or
// malformed declaration.
func buildRegistry(d *Data, extra ...Family) (*registry, error) {
	familiesMu.Lock()
	fs := append(append([]Family(nil), extra[:min(1, len(extra))]...), families...)
	fs = append(fs, extra[min(1, len(extra)):]...)
	familiesMu.Unlock()
	r := &registry{v2: map[string]*Method{}, v3: map[string]*Method{}}
	for _, f := range fs {
		for _, m := range f(d) {
			if err := r.add(m); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func (r *registry) add(m Method) error {
	if m.Name == "" || m.Name != strings.ToLower(m.Name) || m.Handler == nil {
		return fmt.Errorf("b24test: bad method declaration %q (name must be lower-case, handler set)", m.Name)
	}
	if m.API&Both == 0 || m.API&^Both != 0 {
		return fmt.Errorf("b24test: method %q: bad API %v", m.Name, m.API)
	}
	mm := m
	for _, t := range []struct {
		api APIVersions
		tab map[string]*Method
	}{{V2, r.v2}, {V3, r.v3}} {
		if m.API&t.api == 0 {
			continue
		}
		if _, dup := t.tab[m.Name]; dup {
			return fmt.Errorf("b24test: method %q registered twice on %v", m.Name, t.api)
		}
		t.tab[m.Name] = &mm
	}
	return nil
}

// lookup finds a method by name (any case) on api.
func (r *registry) lookup(api APIVersions, name string) *Method {
	tab := r.v2
	if api == V3 {
		tab = r.v3
	}
	return tab[strings.ToLower(name)]
}

// names lists the methods of api, sorted.
func (r *registry) names(api APIVersions) []string {
	tab := r.v2
	if api == V3 {
		tab = r.v3
	}
	out := make([]string, 0, len(tab))
	for n := range tab {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
