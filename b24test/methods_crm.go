package b24test

// Legacy CRM methods: crm.deal|lead|contact|company.{list,get,add,update,delete,fields},
// over internal/store. Rows have UPPER_SNAKE keys and string values; errors have an
// empty code. This file also holds the parameter helpers the item and task families use.

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/b24go/b24/b24test/internal/store"
	"github.com/b24go/b24/internal/php"
)

func init() { registerFamily(crmFamily) }

// defaultGaps is the share of ids left unused when seeding: walkers see a sparse id space.
const defaultGaps = 0.05

// sharedStore returns the Server's store, shared by the CRM, item and task families.
func sharedStore(d *Data) *store.Store {
	return d.Shared("store", func() any {
		return store.New(store.Config{
			Counts: map[store.Entity]int{
				store.Deal: d.Seed.Deals, store.Lead: d.Seed.Leads, store.Contact: d.Seed.Contacts,
				store.Company: d.Seed.Companies, store.Task: d.Seed.Tasks,
			},
			Seed:     d.Seed.Seed,
			Gaps:     defaultGaps,
			Users:    d.Seed.Users,
			Location: d.Location,
			Base:     d.Created,
			Now:      d.Clock,
		})
	}).(*store.Store)
}

// ---- parameter helpers ----

// param returns the first present top-level parameter among names.
func param(p *php.Array, names ...string) (any, bool) {
	for _, n := range names {
		if v, ok := p.Get(n); ok {
			return v, true
		}
	}
	return nil, false
}

// legacyParam finds a legacy CRM parameter under its spellings: FIELDS, fields, Fields, arFields.
func legacyParam(p *php.Array, upper string) (any, bool) {
	lower := strings.ToLower(upper)
	camel := strings.ToUpper(lower[:1]) + lower[1:]
	return param(p, upper, lower, camel, "ar"+camel)
}

// scalar converts a parameter value to text as PHP's (string) cast would.
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		if t {
			return "1", true
		}
		return "", true
	case nil:
		return "", true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	}
	return "", false
}

// intval parses an id as PHP's (int) cast does for well-formed input; 0 when it is not a number.
func intval(v any) int64 {
	s, ok := scalar(v)
	if !ok {
		return 0
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return int64(f)
	}
	return 0
}

// texts returns the scalar values of an array parameter, or the single scalar.
func texts(v any) []string {
	if a, ok := v.(*php.Array); ok {
		var out []string
		for _, x := range a.All() {
			if s, ok := scalar(x); ok {
				out = append(out, s)
			}
		}
		return out
	}
	s, _ := scalar(v)
	return []string{s}
}

// prefixFilter converts a legacy/crm.item filter array. A key the fake cannot
// evaluate (unknown field or operator, see store.ParseKey) is refused with
// bad(description), never dropped. Integer keys holding arrays are nested
// groups; a LOGIC key ("OR") joins a group with OR.
func prefixFilter(sc *store.Schema, a *php.Array, bad func(string) *Error) (store.Filter, *Error) {
	var f store.Filter
	for k, v := range a.All() {
		if strings.EqualFold(k, "logic") {
			s, _ := scalar(v)
			f.Or = strings.EqualFold(s, "or")
			continue
		}
		if sub, ok := v.(*php.Array); ok {
			if _, isInt := php.IntKey(k); isInt {
				g, err := prefixFilter(sc, sub, bad)
				if err != nil {
					return f, err
				}
				f.Groups = append(f.Groups, g)
				continue
			}
		}
		op, field, err := store.ParseKey(k)
		if err != nil {
			return f, bad(filterDesc(err))
		}
		if _, ok := sc.Lookup(field); !ok {
			return f, bad(filterDesc(&store.FieldError{Field: field, In: "filter"}))
		}
		vals := texts(v)
		if _, isArr := v.(*php.Array); isArr && op == store.OpEq {
			op = store.OpIn
		} else if isArr && op == store.OpNe {
			op = store.OpNotIn
		}
		f.Conds = append(f.Conds, store.Cond{Field: field, Op: op, Values: vals, Key: k})
	}
	return f, nil
}

// filterArray returns a filter parameter's array: nil for none ("" or
// null), refused with bad when it is another scalar.
func filterArray(v any, bad func(string) *Error) (*php.Array, *Error) {
	if a, ok := v.(*php.Array); ok {
		return a, nil
	}
	if s, _ := scalar(v); s != "" {
		return nil, bad("Parameter 'filter' must be array.")
	}
	return nil, nil
}

// filterDesc is the error description of a filter or order the store refuses.
func filterDesc(err error) string {
	var fe *store.FieldError
	var ce *store.FilterError
	switch {
	case errors.As(err, &fe):
		return "Invalid " + fe.In + ": field '" + fe.Field + "' is not allowed in " + fe.In
	case errors.As(err, &ce):
		return "Invalid filter: '" + ce.Key + "': " + ce.Reason
	}
	return err.Error()
}

// prefixOrder converts an order array {FIELD: ASC|DESC}.
func prefixOrder(sc *store.Schema, a *php.Array, unknown func(string) *Error) ([]store.Order, *Error) {
	var out []store.Order
	for k, v := range a.All() {
		if _, ok := sc.Lookup(k); !ok {
			if e := unknown(k); e != nil {
				return nil, e
			}
			continue
		}
		d, _ := scalar(v)
		out = append(out, store.Order{Field: k, Desc: strings.EqualFold(strings.TrimSpace(d), "desc")})
	}
	return out, nil
}

// inputs converts a fields array into store inputs. Multifield rows are arrays of
// {ID, VALUE_TYPE, VALUE, DELETE} (legacy) or {id, typeId, valueType, value} (crm.item fm).
func inputs(sc *store.Schema, a *php.Array) []store.Input {
	var out []store.Input
	for k, v := range a.All() {
		fd, known := sc.Field(k)
		if strings.EqualFold(k, "fm") || known && fd.Kind == store.KindMulti {
			out = append(out, store.Input{Name: k, Multi: multiRows(v)})
			continue
		}
		if !known {
			continue
		}
		switch t := v.(type) {
		case *php.Array:
			if fd.Kind == store.KindList {
				out = append(out, store.Input{Name: k, Value: store.List(texts(t))})
			} else if vals := texts(t); len(vals) > 0 {
				out = append(out, store.Input{Name: k, Value: store.Str(vals[0])})
			}
		case nil:
			out = append(out, store.Input{Name: k, Value: store.Null()})
		case bool:
			if fd.Kind == store.KindChar {
				out = append(out, store.Input{Name: k, Value: store.Str(map[bool]string{true: "Y", false: "N"}[t])})
				continue
			}
			s, _ := scalar(t)
			out = append(out, store.Input{Name: k, Value: store.Str(s)})
		default:
			s, _ := scalar(t)
			out = append(out, store.Input{Name: k, Value: store.Str(s)})
		}
	}
	return out
}

func multiRows(v any) []store.MultiInput {
	a, ok := v.(*php.Array)
	if !ok {
		return nil
	}
	var rows []store.MultiInput
	for _, x := range a.All() {
		r, ok := x.(*php.Array)
		if !ok {
			continue
		}
		var m store.MultiInput
		for k, fv := range r.All() {
			s, _ := scalar(fv)
			switch strings.ToUpper(k) {
			case "ID":
				m.ID = intval(fv)
			case "VALUE_TYPE", "VALUETYPE":
				m.ValueType = s
			case "VALUE":
				m.Value, m.HasValue = s, true
			case "TYPE_ID", "TYPEID":
				m.TypeID = s
			case "DELETE":
				m.Delete = strings.EqualFold(s, "Y")
			}
		}
		rows = append(rows, m)
	}
	return rows
}

// selection says which fields of a schema to return.
type selection struct {
	all, custom bool
	names       map[int]bool
	multi       bool // multifields, where the family returns them
	// extra holds the names that are not fields of the schema (normalised by
	// normName): derived values a family may build when asked by name.
	extra map[string]bool
}

// normName folds a select name for comparison: lower case, no underscores
// ("UF_MAIL_MESSAGE" and "ufMailMessage" are the same name).
func normName(n string) string { return strings.ToLower(strings.ReplaceAll(n, "_", "")) }

// parseSelect reads a select list: "*" = all standard fields, "UF_*" = custom fields,
// names = those fields; unknown names are ignored. An absent or empty select gives def.
func parseSelect(sc *store.Schema, v any, present bool, def selection) selection {
	a, ok := v.(*php.Array)
	if !present || !ok || a.Len() == 0 {
		return def
	}
	s := selection{names: map[int]bool{}}
	for _, x := range a.All() {
		n, _ := scalar(x)
		n = strings.TrimSpace(n)
		switch {
		case n == "*":
			s.all = true
		case strings.EqualFold(n, "UF_*"):
			s.custom = true
		default:
			if i, ok := sc.Lookup(n); ok {
				s.names[i] = true
			} else if n != "" {
				if s.extra == nil {
					s.extra = map[string]bool{}
				}
				s.extra[normName(n)] = true
			}
		}
	}
	return s
}

func (s selection) has(i int, fd store.Field) bool {
	if s.names[i] {
		return true
	}
	if fd.Hidden {
		return false
	}
	if fd.Custom {
		return s.custom
	}
	if fd.Kind == store.KindMulti {
		return s.multi
	}
	return s.all
}

// ---- legacy CRM ----

var crmEntities = []struct {
	name     string
	e        store.Entity
	notFound string // crm.X.update of a missing record
}{
	{"deal", store.Deal, "Not found"},
	{"lead", store.Lead, "Not found"},
	{"contact", store.Contact, "Contact is not found"},
	{"company", store.Company, "Company is not found"},
}

func legacyErr(desc string) *Error { return &Error{Status: 400, Code: "", Description: desc} }

func crmFamily(d *Data) []Method {
	st := sharedStore(d)
	var ms []Method
	for _, ce := range crmEntities {
		h := &legacyCRM{st: st, e: ce.e, sc: store.SchemaOf(ce.e), notFound: ce.notFound}
		base := "crm." + ce.name + "."
		ms = append(ms,
			Method{Name: base + "list", API: V2, Scope: "crm", Handler: h.list},
			Method{Name: base + "get", API: V2, Scope: "crm", Handler: h.get},
			Method{Name: base + "add", API: V2, Scope: "crm", Write: true, Handler: h.add},
			Method{Name: base + "update", API: V2, Scope: "crm", Write: true, Handler: h.update},
			Method{Name: base + "delete", API: V2, Scope: "crm", Write: true, Handler: h.delete},
			Method{Name: base + "fields", API: V2, Scope: "crm", Handler: h.fields},
		)
	}
	return ms
}

type legacyCRM struct {
	st       *store.Store
	e        store.Entity
	sc       *store.Schema
	notFound string
}

// row renders a record in the legacy shape. The ID is always returned.
func (h *legacyCRM) row(r *store.Record, sel selection) *php.Array {
	out := php.NewArray()
	for i, fd := range h.sc.Fields {
		if i != 0 && !sel.has(i, fd) {
			continue
		}
		if fd.Kind == store.KindMulti {
			rows := r.Multi(fd.Name)
			if len(rows) == 0 {
				continue // multifields only appear when set
			}
			list := php.NewArray()
			for _, m := range rows {
				mr := php.NewArray()
				mr.Set("ID", strconv.FormatInt(m.ID, 10))
				mr.Set("VALUE_TYPE", m.ValueType)
				mr.Set("VALUE", m.Value)
				mr.Set("TYPE_ID", m.TypeID)
				list.Append(mr)
			}
			out.Set(fd.Name, list)
			continue
		}
		out.Set(fd.Name, legacyValue(r.Values[i]))
	}
	return out
}

func legacyValue(v store.Value) any {
	switch {
	case v.IsList:
		l := php.NewArray()
		for _, s := range v.List {
			l.Append(s)
		}
		return l
	case v.Null:
		return nil
	}
	return v.S
}

func (h *legacyCRM) id(c *Call) (int64, *Error) {
	v, _ := param(c.Params, "ID", "id", "Id")
	id := intval(v)
	if id <= 0 {
		return 0, legacyErr("ID is not defined or invalid.")
	}
	return id, nil
}

func (h *legacyCRM) list(c *Call) (Result, *Error) {
	var q store.Query
	if v, ok := legacyParam(c.Params, "FILTER"); ok {
		a, err := filterArray(v, legacyErr)
		if err != nil {
			return Result{}, err
		}
		f, err := prefixFilter(h.sc, a, legacyErr)
		if err != nil {
			return Result{}, err
		}
		q.Filter = f
	}
	if v, ok := legacyParam(c.Params, "ORDER"); ok {
		a, isArr := v.(*php.Array)
		if !isArr {
			if s, _ := scalar(v); s != "" {
				return Result{}, legacyErr("Parameter 'order' must be array.")
			}
		}
		q.Order, _ = prefixOrder(h.sc, a, func(string) *Error { return nil })
	}
	sv, sok := legacyParam(c.Params, "SELECT")
	sel := parseSelect(h.sc, sv, sok, selection{all: true, custom: true})
	q.Offset, q.Count = store.LegacyStart(c.Start)
	q.Fields = func(i int) bool { return i == 0 || sel.has(i, h.sc.Fields[i]) } // what row shows
	page, err := c.query(h.st, h.e, q)
	if err != nil {
		return Result{}, legacyErr(filterDesc(err))
	}
	rows := php.NewArray()
	defs := h.st.UserFields(h.e)
	for _, r := range page.Records {
		row := h.row(r, sel)
		h.userRow(row, r.ID, sel, defs)
		rows.Append(row)
	}
	return listResult(c, page, q.Offset, rows), nil
}

// listResult charges a list's rows to the call and returns v as its page:
// with the next start when the page was counted and rows follow.
func listResult(c *Call, page store.Page, offset int, v any) Result {
	chargeList(c, page)
	next := -1
	if n, ok := page.Next(offset); ok {
		next = n
	}
	return Page(v, page.Total, next)
}

// chargeList charges a list's rows to the call.
func chargeList(c *Call, page store.Page) {
	c.Returned(len(page.Records))
	if page.Counted {
		c.Counted(page.Total)
	}
	c.Skipped(page.Skipped)
}

func (h *legacyCRM) get(c *Call) (Result, *Error) {
	id, e := h.id(c)
	if e != nil {
		return Result{}, e
	}
	r, err := h.st.Get(h.e, id)
	if err != nil {
		return Result{}, legacyErr("Not found")
	}
	c.Returned(1)
	sel := selection{all: true, custom: true, multi: true}
	row := h.row(r, sel)
	h.userRow(row, id, sel, h.st.UserFields(h.e))
	return Value(row), nil
}

func (h *legacyCRM) fieldsParam(c *Call) (*php.Array, *Error) {
	v, ok := legacyParam(c.Params, "FIELDS")
	a, isArr := v.(*php.Array)
	if !ok || !isArr {
		return nil, legacyErr("Parameter 'fields' must be array.")
	}
	return a, nil
}

func (h *legacyCRM) add(c *Call) (Result, *Error) {
	a, e := h.fieldsParam(c)
	if e != nil {
		return Result{}, e
	}
	id, err := h.st.AddBy(h.e, append(inputs(h.sc, a), h.userInputs(a)...), c.UserID)
	if err != nil {
		return Result{}, legacyErr(err.Error())
	}
	c.Wrote(h.e.String(), int(id))
	return Value(id), nil
}

func (h *legacyCRM) update(c *Call) (Result, *Error) {
	id, e := h.id(c)
	if e != nil {
		return Result{}, e
	}
	a, e := h.fieldsParam(c)
	if e != nil {
		return Result{}, e
	}
	if err := h.st.UpdateBy(h.e, id, append(inputs(h.sc, a), h.userInputs(a)...), c.UserID); err != nil {
		return Result{}, legacyErr(h.notFound)
	}
	c.Wrote(h.e.String(), int(id))
	return Value(true), nil
}

func (h *legacyCRM) delete(c *Call) (Result, *Error) {
	id, e := h.id(c)
	if e != nil {
		return Result{}, e
	}
	if err := h.st.Delete(h.e, id); err != nil {
		return Result{}, legacyErr("Not found")
	}
	c.Wrote(h.e.String(), int(id))
	return Value(true), nil
}

// fieldMeta renders one field's description as *.fields does.
func fieldMeta(fd store.Field) *php.Array {
	m := php.NewArray()
	m.Set("type", fd.Type)
	m.Set("isRequired", fd.Required)
	m.Set("isReadOnly", fd.ReadOnly)
	m.Set("isImmutable", fd.Immutable)
	m.Set("isMultiple", fd.Multiple)
	m.Set("isDynamic", fd.Custom)
	if fd.StatusType != "" {
		m.Set("statusType", fd.StatusType)
	}
	if fd.Deprecated {
		m.Set("isDeprecated", true)
	}
	if fd.Parent != 0 {
		s := php.NewArray()
		s.Set("parentEntityTypeId", fd.Parent)
		m.Set("settings", s)
	}
	m.Set("title", fd.Title)
	if fd.Custom {
		m.Set("listLabel", fd.Title)
		m.Set("formLabel", fd.Title)
		m.Set("filterLabel", fd.Title)
	}
	return m
}

func (h *legacyCRM) fields(c *Call) (Result, *Error) {
	out := php.NewArray()
	for _, fd := range h.sc.Fields {
		if fd.Name == "FACE_ID" { // returned by get, not described by fields
			continue
		}
		out.Set(fd.Name, fieldMeta(fd))
	}
	for _, fd := range h.st.UserFields(h.e) {
		out.Set(fd.Name, fieldMeta(fd))
	}
	return Value(out), nil
}
