package b24test

import (
	"fmt"

	"github.com/b24go/b24/b24test/internal/store"
)

// UserField describes a user field added to a CRM entity with
// Server.AddUserField.
type UserField struct {
	// Name is the field's name, UF_CRM_... (upper case).
	Name string
	// Type is the portal's type as *.fields reports it: string, integer,
	// double, money, boolean, date, datetime, enumeration, ...; it decides
	// how values are normalised (unknown types are kept as text).
	Type     string
	Multiple bool
	Title    string
}

var userFieldKinds = map[string]store.Kind{
	"integer": store.KindInt, "double": store.KindFloat, "money": store.KindFloat,
	"boolean": store.KindChar, "date": store.KindDate, "datetime": store.KindDateTime,
}

// storeEntity maps a method prefix (crm.deal, tasks.task, ...) to the store's entity.
func storeEntity(entity string) (store.Entity, error) {
	switch entity {
	case "crm.deal":
		return store.Deal, nil
	case "crm.lead":
		return store.Lead, nil
	case "crm.contact":
		return store.Contact, nil
	case "crm.company":
		return store.Company, nil
	case "tasks.task":
		return store.Task, nil
	}
	return 0, fmt.Errorf("b24test: unknown entity %q", entity)
}

// AddUserField adds a user field to a CRM entity (crm.deal, crm.lead,
// crm.contact, crm.company), as an administrator does on the portal: the
// entity's *.fields describes it, its list and get methods return it (null
// until written) and its add and update write it. Modification times are
// not touched. Deleting it and adding it again with another type or
// multiplicity is how a portal changes a user field's type.
func (s *Server) AddUserField(entity string, f UserField) error {
	e, err := storeEntity(entity)
	if err != nil || e == store.Task {
		return fmt.Errorf("b24test: AddUserField: %q is not a CRM entity", entity)
	}
	title := f.Title
	if title == "" {
		title = f.Name
	}
	typ := f.Type
	if typ == "" {
		typ = "string"
	}
	fd := store.Field{Name: f.Name, Kind: userFieldKinds[typ], Type: typ, Title: title, Multiple: f.Multiple}
	if err := sharedStore(s.data).AddUserField(e, fd); err != nil {
		return fmt.Errorf("b24test: AddUserField %s.%s: %w", entity, f.Name, err)
	}
	return nil
}

// DeleteUserField removes a user field added with AddUserField, and every
// value it held.
func (s *Server) DeleteUserField(entity, name string) error {
	e, err := storeEntity(entity)
	if err == nil {
		err = sharedStore(s.data).DeleteUserField(e, name)
	}
	if err != nil {
		return fmt.Errorf("b24test: DeleteUserField %s.%s: %w", entity, name, err)
	}
	return nil
}

// Restore brings a deleted record (crm.deal, ..., tasks.task) back from the
// recycle bin with its old id and its old values, its modification time
// included: it reappears in lists, but not among the records changed since
// any time after that.
func (s *Server) Restore(entity string, id int64) error {
	e, err := storeEntity(entity)
	if err == nil {
		err = sharedStore(s.data).Restore(e, id)
	}
	if err != nil {
		return fmt.Errorf("b24test: Restore %s %d: %w", entity, id, err)
	}
	return nil
}
