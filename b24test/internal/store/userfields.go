package store

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// ErrFieldExists is returned by AddUserField for a name the entity has.
var ErrFieldExists = errors.New("store: field exists")

// userFields are the user fields added at run time (AddUserField) to an
// entity, beside its fixed schema, with their values by record id.
type userFields struct {
	defs []Field
	vals map[int64]map[string]Value
}

func (s *Store) ufTable(e Entity) *userFields {
	if s.ufs == nil {
		s.ufs = map[Entity]*userFields{}
	}
	u := s.ufs[e]
	if u == nil {
		u = &userFields{vals: map[int64]map[string]Value{}}
		s.ufs[e] = u
	}
	return u
}

// AddUserField adds a user field (a UF_ name, upper case) to an entity.
// Existing records have no value for it (null) until written. Its
// modification times are not touched, as on a portal.
func (s *Store) AddUserField(e Entity, fd Field) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[e]
	if t == nil {
		return ErrNotFound
	}
	fd.Name = strings.ToUpper(fd.Name)
	if !strings.HasPrefix(fd.Name, "UF_") || fd.Kind == KindMulti {
		return errors.New("store: a user field is named UF_... and is not a multifield")
	}
	if _, ok := t.schema.Lookup(fd.Name); ok || s.userField(e, fd.Name) >= 0 {
		return ErrFieldExists
	}
	fd.Camel, fd.Custom = Camel(fd.Name), true
	if fd.Multiple {
		fd.Kind = KindList
	}
	u := s.ufTable(e)
	u.defs = append(u.defs, fd)
	return nil
}

// DeleteUserField removes a user field added with AddUserField and every
// value it held.
func (s *Store) DeleteUserField(e Entity, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.userField(e, name)
	if i < 0 {
		return ErrNotFound
	}
	u := s.ufs[e]
	n := u.defs[i].Name
	u.defs = slices.Delete(u.defs, i, i+1)
	for _, m := range u.vals {
		delete(m, n)
	}
	return nil
}

// userField returns the index of a run-time user field, or -1.
func (s *Store) userField(e Entity, name string) int {
	u := s.ufs[e]
	if u == nil {
		return -1
	}
	return slices.IndexFunc(u.defs, func(f Field) bool { return strings.EqualFold(f.Name, name) })
}

// UserFields returns the user fields added at run time, in the order added.
func (s *Store) UserFields(e Entity) []Field {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if u := s.ufs[e]; u != nil {
		return slices.Clone(u.defs)
	}
	return nil
}

// UserValues returns a record's values of run-time user fields (a copy;
// a field never written is absent).
func (s *Store) UserValues(e Entity, id int64) map[string]Value {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if u := s.ufs[e]; u != nil {
		return maps.Clone(u.vals[id])
	}
	return nil
}

// applyUser writes the inputs that name run-time user fields; it reports
// whether any did. The caller holds the write lock.
func (s *Store) applyUser(e Entity, id int64, in []Input) bool {
	wrote := false
	for _, inp := range in {
		i := s.userField(e, inp.Name)
		if i < 0 {
			continue
		}
		u := s.ufs[e]
		fd := u.defs[i]
		v, ok := s.normalize(fd, inp.Value)
		if !ok {
			continue
		}
		if u.vals[id] == nil {
			u.vals[id] = map[string]Value{}
		}
		u.vals[id][fd.Name] = v
		wrote = true
	}
	return wrote
}
