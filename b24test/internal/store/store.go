// Package store is the fake portal's data engine: deterministic seeded records for
// deals, leads, contacts, companies and tasks, a query engine (filter, order, paging)
// and writes. It knows nothing about HTTP or the wire shapes of the methods.
//
// Seeded records are never materialised: each value is a pure function of
// (seed, entity, id, field), so a store of a million deals holds only its id list.
// A record that is written is copied into an overlay and kept there.
package store

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned for an id that does not exist.
var ErrNotFound = errors.New("store: record not found")

// Config says what to seed.
type Config struct {
	Counts map[Entity]int // records per entity
	Seed   int64
	// Gaps is the share of ids (0 to 0.9) skipped while seeding, as if those records had
	// been deleted: walkers see a sparse id space. 0 gives ids 1..N. Id 1 always exists.
	Gaps float64
	// Users is the number of portal users that own records (ASSIGNED_BY_ID etc.); default 10.
	Users int
	// Location is the portal's time zone; nil means a fixed +02:00.
	Location *time.Location
	// Base is the creation time of the newest seeded record; zero means 2026-01-01T00:00:00Z.
	Base time.Time
	// Now is the clock used for the dates that writes set; nil means time.Now.
	Now func() time.Time
}

// Store holds the records. It is safe for concurrent use.
type Store struct {
	mu     sync.RWMutex
	seed   uint64
	users  int
	loc    *time.Location
	base   time.Time
	now    func() time.Time
	tables map[Entity]*table
	nextMF int64
	ufs    map[Entity]*userFields // userfields.go
}

type table struct {
	schema *Schema
	ids    []int64 // live ids, ascending
	over   map[int64]*Record
	bin    map[int64]binned // deleted records, for Restore (recycle.go)
	seeded int64            // highest seeded id
	nextID int64
}

// New seeds a store.
func New(cfg Config) *Store {
	s := &Store{
		seed:   uint64(cfg.Seed),
		users:  cfg.Users,
		loc:    cfg.Location,
		base:   cfg.Base,
		now:    cfg.Now,
		tables: make(map[Entity]*table, len(Entities)),
	}
	if s.users <= 0 {
		s.users = 10
	}
	if s.loc == nil {
		s.loc = time.FixedZone("", 2*3600)
	}
	if s.base.IsZero() {
		s.base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if s.now == nil {
		s.now = time.Now
	}
	gaps := cfg.Gaps
	if gaps < 0 {
		gaps = 0
	}
	if gaps > 0.9 {
		gaps = 0.9
	}
	threshold := uint64(gaps * float64(1<<53))
	var maxSeeded int64
	for _, e := range Entities {
		n := cfg.Counts[e]
		t := &table{schema: schemas[e], over: make(map[int64]*Record), bin: map[int64]binned{}}
		t.ids = make([]int64, 0, n)
		for id := int64(1); len(t.ids) < n; id++ {
			if threshold > 0 && id > 1 && mix(s.seed^mix(uint64(e)<<40^uint64(id)))>>11 < threshold {
				continue
			}
			t.ids = append(t.ids, id)
		}
		if n > 0 {
			t.seeded = t.ids[len(t.ids)-1]
		}
		t.nextID = t.seeded + 1
		maxSeeded = max(maxSeeded, t.seeded)
		s.tables[e] = t
	}
	s.tables[Smart] = &table{schema: schemas[Smart], over: make(map[int64]*Record), bin: map[int64]binned{}, nextID: 1}
	s.nextMF = (maxSeeded*4+4)*4 + 8
	return s
}

// Location returns the portal's time zone.
func (s *Store) Location() *time.Location { return s.loc }

// Count returns the number of live records of an entity.
func (s *Store) Count(e Entity) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.tables[e]; t != nil {
		return len(t.ids)
	}
	return 0
}

func (s *Store) gen(e Entity, id int64) *gen { return &gen{seed: s.seed, ent: e, id: id, st: s} }

func (t *table) has(id int64) bool {
	_, ok := slices.BinarySearch(t.ids, id)
	return ok
}

// record materialises a record (a copy the caller may keep).
func (s *Store) record(t *table, id int64) *Record { return s.recordFields(t, id, nil) }

// recordFields is record with only the fields need accepts filled in (all
// when need is nil).
func (s *Store) recordFields(t *table, id int64, need func(i int) bool) *Record {
	if r, ok := t.over[id]; ok {
		return r.clone()
	}
	g := s.gen(t.schema.Entity, id)
	r := &Record{Entity: t.schema.Entity, ID: id, Values: make([]Value, len(t.schema.Fields))}
	hasMulti := false
	for i := range t.schema.Fields {
		if need != nil && !need(i) {
			continue
		}
		fd := &t.schema.Fields[i]
		if fd.Kind == KindMulti {
			hasMulti = true
			continue
		}
		r.Values[i] = g.value(fd.Name)
	}
	if hasMulti {
		r.FM = g.multifields()
	}
	return r
}

// value returns one field of a live record without materialising it.
func (s *Store) value(t *table, id int64, fi int) (Value, []Multi) {
	fd := &t.schema.Fields[fi]
	if r, ok := t.over[id]; ok {
		if fd.Kind == KindMulti {
			return Value{}, r.FM
		}
		return r.Values[fi], nil
	}
	g := s.gen(t.schema.Entity, id)
	if fd.Kind == KindMulti {
		return Value{}, g.multifields()
	}
	return g.value(fd.Name), nil
}

// Get returns a copy of one record.
func (s *Store) Get(e Entity, id int64) (*Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[e]
	if t == nil || !t.has(id) {
		return nil, ErrNotFound
	}
	return s.record(t, id), nil
}

// Input is one field of an add or update: a scalar, a list, or multifield rows.
type Input struct {
	Name  string // UPPER or camelCase field name; "FM" for crm.item's mixed multifield rows
	Value Value
	Multi []MultiInput
}

// MultiInput is one row of a multifield write (../../../docs/protocol.md §9, item 7): with an ID it updates
// that row, or deletes it when Delete is set, its Value is empty, or it has no value at
// all; without an ID it adds a row.
type MultiInput struct {
	ID        int64
	TypeID    string // used with Input.Name "FM"; otherwise the field name is the type
	ValueType string
	Value     string
	HasValue  bool
	Delete    bool
}

var addDefaults = map[Entity]map[string]string{
	Deal: {"STAGE_ID": "NEW", "CATEGORY_ID": "0", "CURRENCY_ID": "EUR", "OPPORTUNITY": "0.00", "TAX_VALUE": "0.00",
		"TYPE_ID": "SALE", "OPENED": "Y", "IS_NEW": "Y", "STAGE_SEMANTIC_ID": "P", "COMMENTS": "", "ADDITIONAL_INFO": "", "SOURCE_DESCRIPTION": ""},
	Lead:    {"STATUS_ID": "NEW", "STATUS_SEMANTIC_ID": "P", "CURRENCY_ID": "EUR", "OPPORTUNITY": "0.00", "OPENED": "Y", "NAME": "", "LAST_NAME": "", "SECOND_NAME": "", "COMMENTS": ""},
	Contact: {"OPENED": "Y", "EXPORT": "Y", "TYPE_ID": "CLIENT", "NAME": "", "LAST_NAME": "", "SECOND_NAME": "", "COMMENTS": ""},
	Company: {"OPENED": "Y", "COMPANY_TYPE": "CUSTOMER", "CURRENCY_ID": "EUR", "REVENUE": "0.00", "TITLE": "", "COMMENTS": ""},
	Task: {"STATUS": "2", "PRIORITY": "1", "STAGE_ID": "0", "GROUP_ID": "0", "DESCRIPTION": "", "TIME_ESTIMATE": "0",
		"SITE_ID": "s1", "DURATION_TYPE": "days", "DESCRIPTION_IN_BBCODE": "Y", "ALLOW_CHANGE_DEADLINE": "N"},
}

// Add creates a record by user 1 and returns its id. Unknown and read-only fields are ignored.
func (s *Store) Add(e Entity, in []Input) (int64, error) { return s.AddBy(e, in, 1) }

// AddBy is Add by a user (positive): the author, modifier and default
// responsible fields (CREATED_BY_ID, MODIFY_BY_ID, ASSIGNED_BY_ID, a task's
// CREATED_BY, CHANGED_BY, RESPONSIBLE_ID, ...) name user.
func (s *Store) AddBy(e Entity, in []Input, user int) (int64, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[e]
	if t == nil {
		return 0, ErrNotFound
	}
	id := t.nextID
	t.nextID++
	r := &Record{Entity: e, ID: id, Values: make([]Value, len(t.schema.Fields))}
	defs := addDefaults[e]
	for i, fd := range t.schema.Fields {
		switch {
		case fd.Kind == KindList:
			r.Values[i] = List(nil)
		case defs[fd.Name] != "" || (fd.Kind == KindString && hasKey(defs, fd.Name)):
			r.Values[i] = Str(defs[fd.Name])
		case fd.Kind == KindChar:
			r.Values[i] = Str("N")
		default:
			r.Values[i] = Null()
		}
	}
	r.Values[0] = Str(itoa(id))
	nowS := Str(now.In(s.loc).Format(isoLayout))
	for _, n := range []string{"DATE_CREATE", "DATE_MODIFY", "CREATED_DATE", "CHANGED_DATE", "ACTIVITY_DATE", "MOVED_TIME", "LAST_ACTIVITY_TIME", "STATUS_CHANGED_DATE"} {
		s.set(r, n, nowS)
	}
	for _, n := range []string{"ASSIGNED_BY_ID", "CREATED_BY_ID", "MODIFY_BY_ID", "MOVED_BY_ID", "LAST_ACTIVITY_BY", "CREATED_BY", "CHANGED_BY", "RESPONSIBLE_ID"} {
		s.set(r, n, Str(itoa(int64(max(user, 1)))))
	}
	if e == Task {
		g := s.gen(e, id)
		s.set(r, "GUID", g.value("GUID"))
	}
	s.apply(r, in, true)
	s.applyUser(e, id, in)
	t.ids = append(t.ids, id)
	t.over[id] = r
	return id, nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func (s *Store) set(r *Record, name string, v Value) {
	if i, ok := schemas[r.Entity].index[name]; ok {
		r.Values[i] = v
	}
}

// Update changes the given fields of a record. Unknown and read-only fields are ignored.
func (s *Store) Update(e Entity, id int64, in []Input) error { return s.UpdateBy(e, id, in, 0) }

// UpdateBy is Update by a user: MODIFY_BY_ID (updatedBy) and a task's
// CHANGED_BY become user when it is positive.
func (s *Store) UpdateBy(e Entity, id int64, in []Input, user int) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[e]
	if t == nil || !t.has(id) {
		return ErrNotFound
	}
	r, ok := t.over[id]
	if !ok {
		r = s.record(t, id)
		t.over[id] = r
	}
	s.apply(r, in, false)
	s.applyUser(e, id, in)
	nowS := Str(now.In(s.loc).Format(isoLayout))
	s.set(r, "DATE_MODIFY", nowS)
	s.set(r, "CHANGED_DATE", nowS)
	if user > 0 {
		s.set(r, "MODIFY_BY_ID", Str(itoa(int64(user))))
		s.set(r, "CHANGED_BY", Str(itoa(int64(user))))
	}
	return nil
}

// Delete removes a record into the recycle bin (Restore brings it back).
func (s *Store) Delete(e Entity, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[e]
	if t == nil {
		return ErrNotFound
	}
	i, ok := slices.BinarySearch(t.ids, id)
	if !ok {
		return ErrNotFound
	}
	b := binned{rec: s.record(t, id)}
	if u := s.ufs[e]; u != nil {
		b.uf = u.vals[id]
		delete(u.vals, id)
	}
	t.bin[id] = b
	t.ids = slices.Delete(t.ids, i, i+1)
	delete(t.over, id)
	return nil
}

// writable fields that are read-only on the wire but set by the store itself are skipped.
func (s *Store) apply(r *Record, in []Input, adding bool) {
	sc := schemas[r.Entity]
	contactIDsSet := false
	for _, inp := range in {
		if strings.EqualFold(inp.Name, "FM") {
			s.applyMulti(r, "", inp.Multi)
			continue
		}
		i, ok := sc.Lookup(inp.Name)
		if !ok {
			continue
		}
		fd := sc.Fields[i]
		if fd.ReadOnly && !(r.Entity == Task && fd.Name == "CREATED_BY") {
			continue
		}
		if fd.Immutable && !adding {
			continue
		}
		if fd.Kind == KindMulti {
			s.applyMulti(r, fd.Name, inp.Multi)
			continue
		}
		v, ok := s.normalize(fd, inp.Value)
		if !ok {
			continue
		}
		r.Values[i] = v
		if fd.Name == "CONTACT_IDS" {
			contactIDsSet = true
			if len(v.List) > 0 {
				s.set(r, "CONTACT_ID", Str(v.List[0]))
			} else {
				s.set(r, "CONTACT_ID", Null())
			}
		}
		if fd.Name == "CONTACT_ID" && r.Entity == Deal && !contactIDsSet {
			if v.Null {
				s.set(r, "CONTACT_IDS", List(nil))
			} else {
				s.set(r, "CONTACT_IDS", List([]string{v.S}))
			}
		}
		if fd.Name == "COMPANY_ID" && r.Entity == Contact {
			if v.Null {
				s.set(r, "COMPANY_IDS", List(nil))
			} else {
				s.set(r, "COMPANY_IDS", List([]string{v.S}))
			}
		}
	}
	s.derive(r)
}

// derive recomputes the read-only fields that follow from others.
func (s *Store) derive(r *Record) {
	sc := schemas[r.Entity]
	if _, ok := sc.index["HAS_PHONE"]; ok {
		s.set(r, "HAS_PHONE", hasType(r.FM, "PHONE"))
		s.set(r, "HAS_EMAIL", hasType(r.FM, "EMAIL"))
	}
	switch r.Entity {
	case Deal:
		v, _ := r.Get("STAGE_ID")
		sem := "P"
		for _, cat := range dealStages {
			for _, st := range cat {
				if st.id == v.S {
					sem = st.sem
				}
			}
		}
		if strings.HasSuffix(v.S, "WON") {
			sem = "S"
		} else if strings.HasSuffix(v.S, "LOSE") {
			sem = "F"
		}
		s.set(r, "STAGE_SEMANTIC_ID", Str(sem))
		s.set(r, "CLOSED", yn(sem != "P"))
	case Lead:
		v, _ := r.Get("STATUS_ID")
		sem := "P"
		for _, st := range leadStatuses {
			if st.id == v.S {
				sem = st.sem
			}
		}
		s.set(r, "STATUS_SEMANTIC_ID", Str(sem))
	}
}

func (s *Store) normalize(fd Field, v Value) (Value, bool) {
	if fd.Kind == KindList {
		if v.IsList {
			return List(append([]string(nil), v.List...)), true
		}
		if v.Null || v.S == "" {
			return List(nil), true
		}
		return List([]string{v.S}), true
	}
	if v.IsList {
		if len(v.List) == 0 {
			return Null(), true
		}
		v = Str(v.List[0])
	}
	if v.Null {
		return Null(), true
	}
	t := strings.TrimSpace(v.S)
	switch fd.Kind {
	case KindInt:
		if t == "" {
			return Null(), true
		}
		n, ok := parseNumber(t)
		if !ok {
			return Value{}, false
		}
		return Str(itoa(int64(n))), true
	case KindFloat:
		if t == "" {
			return Null(), true
		}
		n, ok := parseNumber(t)
		if !ok {
			return Value{}, false
		}
		neg := n < 0
		c := int64(n*100 + 0.5)
		if neg {
			c = int64(-n*100 + 0.5)
		}
		m := money(c)
		if neg {
			m = "-" + m
		}
		return Str(m), true
	case KindChar:
		switch strings.ToUpper(t) {
		case "Y", "1", "TRUE":
			return Str("Y"), true
		}
		return Str("N"), true
	case KindDate, KindDateTime:
		if t == "" {
			return Str(""), true
		}
		tm, ok := ParseTime(t, s.loc)
		if !ok {
			return Value{}, false
		}
		g := gen{st: s}
		if fd.Kind == KindDate {
			return g.date(tm.In(s.loc)), true
		}
		return g.datetime(tm), true
	}
	return Str(v.S), true
}

func (s *Store) applyMulti(r *Record, typ string, rows []MultiInput) {
	for _, row := range rows {
		rt := typ
		if rt == "" {
			rt = strings.ToUpper(row.TypeID)
		}
		if rt == "" {
			continue
		}
		if row.ID > 0 {
			k := slices.IndexFunc(r.FM, func(m Multi) bool { return m.ID == row.ID && m.TypeID == rt })
			if k < 0 {
				continue
			}
			if row.Delete || !row.HasValue || strings.TrimSpace(row.Value) == "" {
				r.FM = slices.Delete(r.FM, k, k+1)
				continue
			}
			r.FM[k].Value = row.Value
			if row.ValueType != "" {
				r.FM[k].ValueType = row.ValueType
			}
			continue
		}
		if row.Delete || strings.TrimSpace(row.Value) == "" {
			continue
		}
		vt := row.ValueType
		if vt == "" {
			vt = "WORK"
		}
		s.nextMF++
		r.FM = append(r.FM, Multi{ID: s.nextMF, TypeID: rt, ValueType: vt, Value: row.Value})
	}
	sort.SliceStable(r.FM, func(i, j int) bool { return r.FM[i].ID < r.FM[j].ID })
}
