package b24test

// crm.item.{list,get,add,update,delete,fields} for entityTypeId 1-4 over the same
// records as the legacy CRM methods, and for one smart process (entityTypeId 128,
// with xmlId): camelCase keys, JSON numbers for ids and money.

import (
	"strconv"

	"github.com/b24go/b24/b24test/internal/store"
	"github.com/b24go/b24/internal/php"
)

func init() { registerFamily(itemFamily) }

func itemFamily(d *Data) []Method {
	h := &crmItem{st: sharedStore(d)}
	return []Method{
		{Name: "crm.item.list", API: V2, Scope: "crm", Handler: h.list},
		{Name: "crm.item.get", API: V2, Scope: "crm", Handler: h.get},
		{Name: "crm.item.add", API: V2, Scope: "crm", Write: true, Handler: h.add},
		{Name: "crm.item.update", API: V2, Scope: "crm", Write: true, Handler: h.update},
		{Name: "crm.item.delete", API: V2, Scope: "crm", Write: true, Handler: h.delete},
		{Name: "crm.item.fields", API: V2, Scope: "crm", Handler: h.fields},
	}
}

type crmItem struct{ st *store.Store }

// itemHidden are legacy fields crm.item does not show.
var itemHidden = map[string]bool{
	"ADDRESS_2": true, "ADDRESS_CITY": true, "ADDRESS_POSTAL_CODE": true, "ADDRESS_REGION": true,
	"ADDRESS_PROVINCE": true, "ADDRESS_COUNTRY": true, "ADDRESS_COUNTRY_CODE": true, "ADDRESS_LOC_ADDR_ID": true,
	"FACE_ID": true, "PHOTO": true, "LOGO": true,
}

// itemExtras are keys crm.item returns beyond the legacy fields, with their constant values.
var itemExtras = map[store.Entity][]string{
	store.Deal: {"dateCreateShort", "dateModifyShort", "productId", "begindateShort", "closedateShort", "eventDate",
		"eventDateShort", "eventId", "eventDescription", "webformId", "searchContent", "orderStage", "isWork", "isWon",
		"isLose", "receivedAmount", "lostAmount", "hasProducts"},
	store.Lead: {"dateCreateShort", "dateModifyShort", "isConvert", "productId", "shortName", "webformId", "login",
		"searchContent", "skype", "icq"},
	store.Contact: {"dateCreateShort", "dateModifyShort", "webformId", "searchContent"},
	store.Company: {"dateCreateShort", "dateModifyShort", "webformId", "searchContent"},
}

func itemErr(code, desc string) *Error { return &Error{Status: 400, Code: code, Description: desc} }

func (h *crmItem) entity(c *Call) (store.Entity, *store.Schema, *Error) {
	v, _ := param(c.Params, "entityTypeId", "ENTITY_TYPE_ID", "entityTypeID")
	switch n := intval(v); n {
	case 1, 2, 3, 4, int64(store.Smart):
		e := store.Entity(n)
		return e, store.SchemaOf(e), nil
	}
	return 0, nil, itemErr("NOT_FOUND", "Smart process not found")
}

func (h *crmItem) id(c *Call) (int64, *Error) {
	v, _ := param(c.Params, "id", "ID")
	id := intval(v)
	if id <= 0 {
		return 0, itemErr("NOT_FOUND", "Element not found")
	}
	return id, nil
}

// itemValue renders a value with the JSON type crm.item uses.
func itemValue(fd store.Field, v store.Value) any {
	switch fd.Kind {
	case store.KindList:
		l := php.NewArray()
		for _, s := range v.List {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				l.Append(n)
			} else {
				l.Append(s)
			}
		}
		return l
	case store.KindInt:
		if v.Null || v.S == "" {
			if fd.Name == "COMPANY_ID" || fd.Name == "CONTACT_ID" {
				return int64(0)
			}
			return nil
		}
		n, _ := strconv.ParseInt(v.S, 10, 64)
		return n
	case store.KindFloat:
		if v.Null || v.S == "" {
			return nil
		}
		f, _ := strconv.ParseFloat(v.S, 64)
		if f == float64(int64(f)) {
			return int64(f)
		}
		return f
	case store.KindDate, store.KindDateTime:
		if v.Null || v.S == "" {
			return nil
		}
	}
	if v.Null {
		return nil
	}
	return v.S
}

// item renders a record; sel nil means every field and fm.
func (h *crmItem) item(r *store.Record, sel *selection) *php.Array {
	sc := store.SchemaOf(r.Entity)
	out := php.NewArray()
	for i, fd := range sc.Fields {
		if fd.Kind == store.KindMulti || itemHidden[fd.Name] {
			continue
		}
		if sel != nil && i != 0 && !sel.has(i, fd) {
			continue
		}
		out.Set(fd.Camel, itemValue(fd, r.Values[i]))
	}
	if sel != nil {
		if sel.multi && r.Entity != store.Deal && r.Entity != store.Smart {
			out.Set("fm", fmArray(r))
		}
		return out
	}
	for _, k := range itemExtras[r.Entity] {
		out.Set(k, nil)
	}
	if r.Entity == store.Lead {
		first := func(typ, vt string) string {
			for _, m := range r.Multi(typ) {
				if vt == "" || m.ValueType == vt {
					return m.Value
				}
			}
			return ""
		}
		out.Set("phoneMobile", first("PHONE", "MOBILE"))
		out.Set("phoneWork", first("PHONE", "WORK"))
		out.Set("phoneMailing", first("PHONE", "MAILING"))
		out.Set("emailHome", first("EMAIL", "HOME"))
		out.Set("emailWork", first("EMAIL", "WORK"))
		out.Set("emailMailing", first("EMAIL", "MAILING"))
		out.Set("imol", "")
		out.Set("email", first("EMAIL", ""))
		out.Set("phone", first("PHONE", ""))
	}
	if r.Entity != store.Deal && r.Entity != store.Smart {
		out.Set("fm", fmArray(r))
	}
	out.Set("observers", php.NewArray())
	if _, ok := out.Get("contactIds"); !ok {
		out.Set("contactIds", php.NewArray())
	}
	out.Set("entityTypeId", int(r.Entity))
	return out
}

func fmArray(r *store.Record) *php.Array {
	l := php.NewArray()
	for _, m := range r.FM {
		x := php.NewArray()
		x.Set("id", m.ID)
		x.Set("valueType", m.ValueType)
		x.Set("value", m.Value)
		x.Set("typeId", m.TypeID)
		l.Append(x)
	}
	return l
}

func (h *crmItem) list(c *Call) (Result, *Error) {
	e, sc, err := h.entity(c)
	if err != nil {
		return Result{}, err
	}
	var q store.Query
	if v, ok := param(c.Params, "filter", "FILTER"); ok {
		bad := func(desc string) *Error { return itemErr("INVALID_ARG_VALUE", desc) }
		a, e := filterArray(v, bad)
		if e != nil {
			return Result{}, e
		}
		f, e := prefixFilter(sc, a, bad)
		if e != nil {
			return Result{}, e
		}
		q.Filter = f
	}
	if v, ok := param(c.Params, "order", "ORDER"); ok {
		a, _ := v.(*php.Array)
		o, e := prefixOrder(sc, a, func(k string) *Error {
			return itemErr("INVALID_ARG_VALUE", "Invalid order: field '"+k+"' is not allowed in order")
		})
		if e != nil {
			return Result{}, e
		}
		q.Order = o
	}
	sv, sok := param(c.Params, "select", "SELECT")
	sel := parseSelect(sc, sv, sok, selection{all: true, custom: true})
	sel.multi = sel.all && sok // "*" brings fm
	// ORM lists use start as an exact offset.
	if c.Start >= 0 {
		q.Offset, q.Count = c.Start, true
	}
	page, qerr := c.query(h.st, e, q)
	if qerr != nil {
		return Result{}, itemErr("INVALID_ARG_VALUE", filterDesc(qerr))
	}
	items := php.NewArray()
	for _, r := range page.Records {
		items.Append(h.item(r, &sel))
	}
	res := php.NewArray()
	res.Set("items", items)
	return listResult(c, page, q.Offset, res), nil
}

func wrapItem(it *php.Array) *php.Array {
	res := php.NewArray()
	res.Set("item", it)
	return res
}

func (h *crmItem) get(c *Call) (Result, *Error) {
	e, _, err := h.entity(c)
	if err != nil {
		return Result{}, err
	}
	id, err := h.id(c)
	if err != nil {
		return Result{}, err
	}
	r, gerr := h.st.Get(e, id)
	if gerr != nil {
		return Result{}, itemErr("NOT_FOUND", "Element not found")
	}
	c.Returned(1)
	return Value(wrapItem(h.item(r, nil))), nil
}

func (h *crmItem) fieldsParam(c *Call) (*php.Array, *Error) {
	v, _ := param(c.Params, "fields", "FIELDS")
	a, ok := v.(*php.Array)
	if !ok {
		return nil, itemErr("INVALID_ARG_VALUE", "Parameter 'fields' must be array.")
	}
	return a, nil
}

func (h *crmItem) add(c *Call) (Result, *Error) {
	e, sc, err := h.entity(c)
	if err != nil {
		return Result{}, err
	}
	a, err := h.fieldsParam(c)
	if err != nil {
		return Result{}, err
	}
	id, aerr := h.st.AddBy(e, inputs(sc, a), c.UserID)
	if aerr != nil {
		return Result{}, itemErr("ERROR_CORE", aerr.Error())
	}
	c.Wrote(e.String(), int(id))
	r, _ := h.st.Get(e, id)
	c.Returned(1)
	return Value(wrapItem(h.item(r, nil))), nil
}

func (h *crmItem) update(c *Call) (Result, *Error) {
	e, sc, err := h.entity(c)
	if err != nil {
		return Result{}, err
	}
	id, err := h.id(c)
	if err != nil {
		return Result{}, err
	}
	a, err := h.fieldsParam(c)
	if err != nil {
		return Result{}, err
	}
	if uerr := h.st.UpdateBy(e, id, inputs(sc, a), c.UserID); uerr != nil {
		return Result{}, itemErr("NOT_FOUND", "Element not found")
	}
	c.Wrote(e.String(), int(id))
	r, gerr := h.st.Get(e, id)
	if gerr != nil { // deleted concurrently
		return Result{}, itemErr("NOT_FOUND", "Element not found")
	}
	c.Returned(1)
	return Value(wrapItem(h.item(r, nil))), nil
}

func (h *crmItem) delete(c *Call) (Result, *Error) {
	e, _, err := h.entity(c)
	if err != nil {
		return Result{}, err
	}
	id, err := h.id(c)
	if err != nil {
		return Result{}, err
	}
	if derr := h.st.Delete(e, id); derr != nil {
		return Result{}, itemErr("NOT_FOUND", "Item not found")
	}
	c.Wrote(e.String(), int(id))
	return Value(php.NewArray()), nil
}

func (h *crmItem) fields(c *Call) (Result, *Error) {
	_, sc, err := h.entity(c)
	if err != nil {
		return Result{}, err
	}
	fs := php.NewArray()
	for _, fd := range sc.Fields {
		if fd.Kind == store.KindMulti || itemHidden[fd.Name] {
			continue
		}
		m := fieldMeta(fd)
		m.Set("upperName", fd.Name)
		fs.Set(fd.Camel, m)
	}
	res := php.NewArray()
	res.Set("fields", fs)
	return Value(res), nil
}
