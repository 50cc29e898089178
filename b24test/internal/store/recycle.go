package store

import "slices"

// Restore brings a deleted record back from the recycle bin with its old id
// and its old values, DATE_MODIFY included, as the portal's recycle bin does:
// a sync that trusts modification times alone never sees it come back.
func (s *Store) Restore(e Entity, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[e]
	if t == nil {
		return ErrNotFound
	}
	b, ok := t.bin[id]
	if !ok {
		return ErrNotFound
	}
	delete(t.bin, id)
	i, _ := slices.BinarySearch(t.ids, id)
	t.ids = slices.Insert(t.ids, i, id)
	t.over[id] = b.rec
	if b.uf != nil {
		s.ufTable(e).vals[id] = b.uf
	}
	return nil
}

// binned is a deleted record kept for Restore.
type binned struct {
	rec *Record
	uf  map[string]Value
}
