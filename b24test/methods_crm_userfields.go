package b24test

// The legacy CRM methods' side of the user fields added at run time
// (Server.AddUserField): written by add/update, returned by list/get when
// selected ("UF_*" or by name, or by default), described by *.fields.

import (
	"github.com/b24go/b24/b24test/internal/store"
	"github.com/b24go/b24/internal/php"
)

// userInputs converts the keys of a fields array that name run-time user
// fields into store inputs (inputs drops them: they are not in the schema).
func (h *legacyCRM) userInputs(a *php.Array) []store.Input {
	defs := h.st.UserFields(h.e)
	if len(defs) == 0 {
		return nil
	}
	known := make(map[string]bool, len(defs))
	for _, fd := range defs {
		known[normName(fd.Name)] = true
	}
	var out []store.Input
	for k, v := range a.All() {
		if !known[normName(k)] {
			continue
		}
		switch t := v.(type) {
		case *php.Array:
			out = append(out, store.Input{Name: k, Value: store.List(texts(t))})
		case nil:
			out = append(out, store.Input{Name: k, Value: store.Null()})
		default:
			s, _ := scalar(t)
			out = append(out, store.Input{Name: k, Value: store.Str(s)})
		}
	}
	return out
}

// userRow adds a record's run-time user fields to its rendered row: a field
// never written is null (an empty list when multiple).
func (h *legacyCRM) userRow(out *php.Array, id int64, sel selection, defs []store.Field) {
	if len(defs) == 0 {
		return
	}
	vals := h.st.UserValues(h.e, id)
	for _, fd := range defs {
		if !sel.custom && !sel.extra[normName(fd.Name)] {
			continue
		}
		v, ok := vals[fd.Name]
		switch {
		case ok:
			out.Set(fd.Name, legacyValue(v))
		case fd.Multiple:
			out.Set(fd.Name, php.NewArray())
		default:
			out.Set(fd.Name, nil)
		}
	}
}
