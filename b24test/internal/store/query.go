package store

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/b24go/b24/internal/php"
)

// Op is a filter operator.
type Op uint8

// Filter operators. The legacy key prefixes are given by ParseKey.
const (
	OpEq             Op = iota // "" or "=": equal (IN when several values)
	OpNe                       // "!" or "!=": not equal (NOT IN when several values)
	OpGt                       // ">"
	OpGe                       // ">="
	OpLt                       // "<"
	OpLe                       // "<="
	OpIn                       // "@"
	OpNotIn                    // "!@"
	OpLike                     // "%": substring
	OpLikePattern              // "=%" or "%=": LIKE with explicit % and _ wildcards
	OpNotLike                  // "!%": not a substring
	OpNotLikePattern           // "!=%" or "!%=": NOT LIKE
	OpBetween                  // "><" or v3 "between": two values, inclusive
	OpNotBetween               // "!><": outside two values
)

var opNames = map[Op]string{OpEq: "=", OpNe: "!=", OpGt: ">", OpGe: ">=", OpLt: "<", OpLe: "<=", OpIn: "@", OpNotIn: "!@",
	OpLike: "%", OpLikePattern: "=%", OpNotLike: "!%", OpNotLikePattern: "!=%", OpBetween: "><", OpNotBetween: "!><"}

func (o Op) String() string { return opNames[o] }

// prefixes, longest first
var prefixes = []struct {
	p  string
	op Op
}{
	{"!><", OpNotBetween}, {"!=%", OpNotLikePattern}, {"!%=", OpNotLikePattern}, {"><", OpBetween},
	{"!@", OpNotIn}, {"!=", OpNe}, {"!%", OpNotLike}, {"=%", OpLikePattern}, {"%=", OpLikePattern},
	{">=", OpGe}, {"<=", OpLe},
	{"!", OpNe}, {"=", OpEq}, {">", OpGt}, {"<", OpLt}, {"@", OpIn}, {"%", OpLike},
}

// ParseKey splits a legacy filter key such as ">=DATE_CREATE" into its operator and
// field name (the longest known operator prefix). The name must be non-empty and made
// of letters, digits, '_' and '.'; otherwise the error is a *FilterError naming the
// operator it does not know ("?TITLE", ">>ID") or the bad name.
func ParseKey(key string) (Op, string, error) {
	op, rest := OpEq, key
	for _, p := range prefixes {
		if strings.HasPrefix(key, p.p) {
			op, rest = p.op, key[len(p.p):]
			break
		}
	}
	n := 0
	for n < len(rest) && !nameChar(rest[n]) {
		n++
	}
	switch {
	case n > 0:
		opText := key[:len(key)-len(rest)+n]
		return 0, "", &FilterError{Key: key, Reason: fmt.Sprintf("unknown operator %q", opText)}
	case rest == "":
		return 0, "", &FilterError{Key: key, Reason: "no field name"}
	}
	for i := 0; i < len(rest); i++ {
		if !nameChar(rest[i]) {
			return 0, "", &FilterError{Key: key, Reason: "invalid field name"}
		}
	}
	return op, rest, nil
}

func nameChar(c byte) bool {
	return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// FilterError reports a filter condition the engine refuses rather than guess at:
// an unknown operator, a value the field's type cannot hold, an operator the
// field's type does not take, or the wrong number of values.
type FilterError struct {
	Key    string // the condition as the caller wrote it (">=DATE_CREATE")
	Reason string
}

func (e *FilterError) Error() string { return fmt.Sprintf("store: filter %q: %s", e.Key, e.Reason) }

// Cond is one condition: Field Op Values. Eq/Ne with several values mean IN/NOT IN.
// Key, when set, is the condition as the caller wrote it, for errors.
type Cond struct {
	Field  string
	Op     Op
	Values []string
	Key    string
}

// Filter is a group of conditions and nested groups, AND-ed (or OR-ed when Or is set).
type Filter struct {
	Or     bool
	Conds  []Cond
	Groups []Filter
}

// Empty reports whether the filter has no conditions.
func (f Filter) Empty() bool { return len(f.Conds) == 0 && len(f.Groups) == 0 }

// Order is one sort key.
type Order struct {
	Field string
	Desc  bool
}

// Query selects records. Limit 0 means 50. Count asks for the total of matching rows.
type Query struct {
	Filter Filter
	Order  []Order
	Offset int
	Limit  int
	Count  bool
	// Fields, when set, names the fields (by index in the schema) the caller
	// reads from the returned records; the others are left zero. A narrow
	// select on a large table then builds only what it shows.
	Fields func(i int) bool
	// Scramble ignores Order: the matching rows come in a fixed pseudo-random
	// order of their ids (a portal that ignores the order).
	Scramble bool
}

// Page is the result of a query.
type Page struct {
	Records []*Record
	Total   int  // matching rows; 0 unless the query asked to count
	Counted bool // Total was computed
	Skipped int  // rows skipped by the offset
	More    bool // known more rows after this page (only when counted)
	// Examined is the number of rows the engine looked at (filtered or read):
	// a measure of the work done, for tests and cost models.
	Examined int
}

// FieldError reports a field unknown to the entity in a filter or an order.
type FieldError struct {
	Field string
	In    string // "filter" or "order"
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("store: field %q is not allowed in %s", e.Field, e.In)
}

// PageSize is the rows per page of v2 lists.
const PageSize = 50

// LegacyStart maps the start parameter of a legacy list to an offset (rounded down to a
// multiple of 50) and whether to count: start < 0 means the fast path without a count.
func LegacyStart(start int) (offset int, count bool) {
	if start < 0 {
		return 0, false
	}
	return start / PageSize * PageSize, true
}

// Next returns the value of "next" for a page fetched at offset: present only when the
// page was counted and more rows remain.
func (p Page) Next(offset int) (int, bool) {
	if !p.Counted {
		return 0, false
	}
	n := offset + len(p.Records)
	return n, n < p.Total
}

type ccond struct {
	fi    int
	kind  Kind
	op    Op
	vals  []string
	lows  []string
	nums  []float64 // NaN when the value is not numeric
	times []int64
	tok   []bool
	empty bool   // single empty value
	mtype string // multifield type (PHONE, EMAIL, ...)
}

type cfilter struct {
	or     bool
	conds  []ccond
	groups []*cfilter
}

func (s *Store) compile(sc *Schema, f Filter) (*cfilter, error) {
	cf := &cfilter{or: f.Or}
	for _, c := range f.Conds {
		fi, ok := sc.Lookup(c.Field)
		if !ok {
			return nil, &FieldError{Field: c.Field, In: "filter"}
		}
		fd := sc.Fields[fi]
		if err := s.check(fd, c); err != nil {
			return nil, err
		}
		cc := ccond{fi: fi, kind: fd.Kind, op: c.Op, vals: c.Values}
		if fd.Kind == KindMulti {
			cc.mtype = fd.Name
		}
		cc.empty = len(c.Values) == 0 || len(c.Values) == 1 && strings.TrimSpace(c.Values[0]) == ""
		for _, v := range c.Values {
			cc.lows = append(cc.lows, strings.ToLower(v))
			n, ok := parseNumber(v)
			switch {
			case fd.Kind == KindInt:
				n = math.Trunc(php.FloatVal(v)) // PHP's intval
			case fd.Kind == KindFloat:
				n = php.FloatVal(v)
			case !ok:
				n = math.NaN()
			}
			cc.nums = append(cc.nums, n)
			t, tok := ParseTime(v, s.loc)
			cc.times = append(cc.times, t.Unix())
			cc.tok = append(cc.tok, tok)
		}
		cf.conds = append(cf.conds, cc)
	}
	for _, g := range f.Groups {
		cg, err := s.compile(sc, g)
		if err != nil {
			return nil, err
		}
		cf.groups = append(cf.groups, cg)
	}
	return cf, nil
}

// noLike lists the field types LIKE does not work on (../../../docs/protocol.md §5).
var noLike = map[string]bool{"crm_status": true, "crm_contact": true, "crm_company": true}

// check refuses a condition the engine would otherwise evaluate by a guess.
func (s *Store) check(fd Field, c Cond) error {
	key := c.Key
	if key == "" {
		key = c.Op.String() + c.Field
	}
	bad := func(format string, a ...any) error {
		return &FilterError{Key: key, Reason: fmt.Sprintf(format, a...)}
	}
	n := len(c.Values)
	switch c.Op {
	case OpGt, OpGe, OpLt, OpLe:
		if n != 1 {
			return bad("takes one value, got %d", n)
		}
	case OpBetween, OpNotBetween:
		if n != 2 {
			return bad("takes two values, got %d", n)
		}
	case OpLike, OpNotLike, OpLikePattern, OpNotLikePattern:
		if noLike[fd.Type] || fd.Kind == KindDate || fd.Kind == KindDateTime {
			return bad("LIKE does not work on the %s field %s", fd.Type, fd.Name)
		}
		return nil
	}
	if fd.Kind != KindDate && fd.Kind != KindDateTime {
		return nil // a number is read as PHP reads it (numeric prefix, else 0)
	}
	for _, v := range c.Values {
		if strings.TrimSpace(v) == "" {
			if c.Op != OpEq && c.Op != OpNe && c.Op != OpIn && c.Op != OpNotIn {
				return bad("takes no empty date")
			}
			continue
		}
		if _, ok := ParseTime(v, s.loc); !ok {
			return bad("%q is not a date (%s field %s)", v, fd.Type, fd.Name)
		}
	}
	return nil
}

// cmpScalar compares a stored text with condition value k by the field's kind.
func (c *ccond) cmp(s string, k int) int {
	switch c.kind {
	case KindInt, KindFloat:
		if !math.IsNaN(c.nums[k]) {
			n, ok := parseNumber(s)
			if !ok {
				n = 0
			}
			switch {
			case n < c.nums[k]:
				return -1
			case n > c.nums[k]:
				return 1
			}
			return 0
		}
	case KindDate, KindDateTime:
		if c.tok[k] {
			t, ok := ParseTime(s, time.UTC)
			if ok {
				u := t.Unix()
				switch {
				case u < c.times[k]:
					return -1
				case u > c.times[k]:
					return 1
				}
				return 0
			}
		}
	}
	return strings.Compare(strings.ToLower(s), c.lows[k])
}

// positive evaluates the non-negated form of the operator on one scalar.
func (c *ccond) positive(op Op, v Value) bool {
	if op == OpEq && c.empty {
		return v.Empty()
	}
	if v.Null {
		return false
	}
	s := v.S
	switch op {
	case OpEq, OpIn:
		for k := range c.vals {
			if c.cmp(s, k) == 0 {
				return true
			}
		}
		return false
	case OpGt, OpGe, OpLt, OpLe:
		if len(c.vals) == 0 || s == "" {
			return false
		}
		r := c.cmp(s, 0)
		switch op {
		case OpGt:
			return r > 0
		case OpGe:
			return r >= 0
		case OpLt:
			return r < 0
		}
		return r <= 0
	case OpBetween:
		if len(c.vals) < 2 || s == "" {
			return false
		}
		return c.cmp(s, 0) >= 0 && c.cmp(s, 1) <= 0
	case OpLike:
		ls := strings.ToLower(s)
		for _, l := range c.lows {
			if strings.Contains(ls, strings.Trim(l, "%")) {
				return true
			}
		}
		return false
	case OpLikePattern:
		ls := strings.ToLower(s)
		for _, l := range c.lows {
			if likeMatch(ls, l) {
				return true
			}
		}
		return false
	}
	return false
}

func negated(op Op) (Op, bool) {
	switch op {
	case OpNe:
		return OpEq, true
	case OpNotIn:
		return OpIn, true
	case OpNotLike:
		return OpLike, true
	case OpNotLikePattern:
		return OpLikePattern, true
	case OpNotBetween:
		return OpBetween, true
	}
	return op, false
}

func (c *ccond) match(v Value, fm []Multi) bool {
	op, neg := negated(c.op)
	var hit bool
	switch {
	case c.kind == KindMulti:
		typ := c.mtype
		any := false
		for _, m := range fm {
			if m.TypeID == typ {
				any = true
				if c.positive(op, Str(m.Value)) {
					hit = true
					break
				}
			}
		}
		if !any && op == OpEq && c.empty {
			hit = true
		}
	case v.IsList:
		if op == OpEq && c.empty {
			hit = len(v.List) == 0
		}
		for _, s := range v.List {
			if c.positive(op, Str(s)) {
				hit = true
				break
			}
		}
	default:
		hit = c.positive(op, v)
	}
	return hit != neg
}

// likeMatch matches a lower-cased text against a lower-cased SQL LIKE pattern.
func likeMatch(s, p string) bool {
	// dynamic programming over runes
	sr, pr := []rune(s), []rune(p)
	prev := make([]bool, len(sr)+1)
	cur := make([]bool, len(sr)+1)
	prev[0] = true
	for i := 1; i <= len(pr); i++ {
		cur[0] = prev[0] && pr[i-1] == '%'
		for j := 1; j <= len(sr); j++ {
			switch pr[i-1] {
			case '%':
				cur[j] = prev[j] || cur[j-1]
			case '_':
				cur[j] = prev[j-1]
			default:
				cur[j] = prev[j-1] && pr[i-1] == sr[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(sr)]
}

func (s *Store) eval(t *table, id int64, cf *cfilter) bool {
	if cf == nil {
		return true
	}
	for i := range cf.conds {
		c := &cf.conds[i]
		v, fm := s.value(t, id, c.fi)
		ok := c.match(v, fm)
		if cf.or && ok {
			return true
		}
		if !cf.or && !ok {
			return false
		}
	}
	for _, g := range cf.groups {
		ok := s.eval(t, id, g)
		if cf.or && ok {
			return true
		}
		if !cf.or && !ok {
			return false
		}
	}
	return !cf.or || len(cf.conds)+len(cf.groups) == 0
}

// idRange narrows [lo, hi] from the ID conditions of a top-level AND filter and returns
// the filter without them.
func idRange(cf *cfilter) (lo, hi int64, rest *cfilter) {
	lo, hi = math.MinInt64, math.MaxInt64
	if cf.or {
		return lo, hi, cf
	}
	rest = &cfilter{groups: cf.groups}
	for _, c := range cf.conds {
		if c.fi != 0 || len(c.nums) != 1 || math.IsNaN(c.nums[0]) {
			rest.conds = append(rest.conds, c)
			continue
		}
		n := c.nums[0]
		switch c.op {
		case OpEq, OpIn:
			if n != math.Trunc(n) {
				return 1, 0, rest // matches nothing
			}
			lo, hi = max(lo, int64(n)), min(hi, int64(n))
		case OpGt:
			lo = max(lo, int64(math.Floor(n))+1)
		case OpGe:
			lo = max(lo, int64(math.Ceil(n)))
		case OpLt:
			hi = min(hi, int64(math.Ceil(n))-1)
		case OpLe:
			hi = min(hi, int64(math.Floor(n)))
		default:
			rest.conds = append(rest.conds, c)
		}
	}
	return lo, hi, rest
}

// Query runs a query. A query ordered by ID only (the default) walks the id index in
// order and stops after the page unless it must count, so a keyset page (">ID" filter,
// no count) costs a binary search and a page of rows whatever the store size.
func (s *Store) Query(e Entity, q Query) (Page, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[e]
	if t == nil {
		return Page{}, ErrNotFound
	}
	cf, err := s.compile(t.schema, q.Filter)
	if err != nil {
		return Page{}, err
	}
	order, err := orderKeys(t.schema, q.Order)
	if err != nil {
		return Page{}, err
	}
	lo, hi, rest := idRange(cf)
	r := &queryRun{s: s, t: t, q: q, ids: idSpan(t.ids, lo, hi), rest: rest,
		noRest: len(rest.conds) == 0 && len(rest.groups) == 0, limit: q.Limit, offset: max(q.Offset, 0)}
	if r.limit <= 0 {
		r.limit = PageSize
	}
	if q.Scramble {
		return r.sorted(nil), nil
	}
	if len(order) == 0 || order[0].fi == 0 {
		return r.byID(len(order) > 0 && order[0].desc), nil
	}
	return r.sorted(order), nil
}

// okey is one key of a query's order: a field index and its direction.
type okey struct {
	fi   int
	desc bool
}

// orderKeys resolves a query's order; keys after ID never matter (it is unique).
func orderKeys(sc *Schema, order []Order) ([]okey, error) {
	var out []okey
	for _, o := range order {
		fi, ok := sc.Lookup(o.Field)
		if !ok {
			return nil, &FieldError{Field: o.Field, In: "order"}
		}
		out = append(out, okey{fi, o.Desc})
		if fi == 0 {
			break
		}
	}
	return out, nil
}

// idSpan is the part of the ascending ids within [lo, hi].
func idSpan(ids []int64, lo, hi int64) []int64 {
	i0, _ := slices.BinarySearch(ids, lo)
	i1, _ := slices.BinarySearch(ids, hi)
	if i1 < len(ids) && ids[i1] == hi {
		i1++
	}
	if lo > hi || i0 > i1 {
		return nil
	}
	return ids[i0:i1]
}

// queryRun is one query on a table: the candidate ids (the filter's ID range)
// and the rest of the filter.
type queryRun struct {
	s             *Store
	t             *table
	q             Query
	ids           []int64
	rest          *cfilter
	noRest        bool
	limit, offset int
}

// byID pages in id order, stopping after the page unless it must count.
func (r *queryRun) byID(desc bool) Page {
	at := func(k int) int64 {
		if desc {
			return r.ids[len(r.ids)-1-k]
		}
		return r.ids[k]
	}
	page := Page{Counted: r.q.Count}
	if r.noRest {
		if r.q.Count {
			page.Total = len(r.ids)
		}
		for k := r.offset; k < len(r.ids) && len(page.Records) < r.limit; k++ {
			page.Records = append(page.Records, r.s.recordFields(r.t, at(k), r.q.Fields))
			page.Examined++
		}
		page.Skipped = min(r.offset, len(r.ids))
	} else {
		matched := 0
		for k := 0; k < len(r.ids); k++ {
			id := at(k)
			page.Examined++
			if !r.s.eval(r.t, id, r.rest) {
				continue
			}
			matched++
			if matched <= r.offset {
				page.Skipped++
				continue
			}
			if len(page.Records) < r.limit {
				page.Records = append(page.Records, r.s.recordFields(r.t, id, r.q.Fields))
			} else if !r.q.Count {
				break
			}
		}
		if r.q.Count {
			page.Total = matched
		}
	}
	if r.q.Count {
		page.More = r.offset+len(page.Records) < page.Total
	}
	return page
}

// sorted is the general path: collect every match, sort by order (then id,
// or the scrambled id), slice the page.
func (r *queryRun) sorted(order []okey) Page {
	page := Page{Counted: r.q.Count, Examined: len(r.ids)}
	var match []int64
	for _, id := range r.ids {
		if r.noRest || r.s.eval(r.t, id, r.rest) {
			match = append(match, id)
		}
	}
	keys := make([][]Value, len(match))
	for i, id := range match {
		keys[i] = r.sortKey(id, order)
	}
	idx := make([]int, len(match))
	for i := range idx {
		idx[i] = i
	}
	fields := r.t.schema.Fields
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		for j, o := range order {
			if c := compareValues(fields[o.fi].Kind, ka[j], kb[j]); c != 0 {
				return (c < 0) != o.desc
			}
		}
		if r.q.Scramble {
			return scramble(match[idx[a]]) < scramble(match[idx[b]])
		}
		return match[idx[a]] < match[idx[b]]
	})
	page.Skipped = min(r.offset, len(match))
	for k := r.offset; k < len(idx) && len(page.Records) < r.limit; k++ {
		page.Records = append(page.Records, r.s.recordFields(r.t, match[idx[k]], r.q.Fields))
	}
	if r.q.Count {
		page.Total = len(match)
		page.More = r.offset+len(page.Records) < page.Total
	}
	return page
}

// sortKey is a record's values of the order's fields; a multifield sorts by
// its first value of the field's type.
func (r *queryRun) sortKey(id int64, order []okey) []Value {
	k := make([]Value, len(order))
	for j, o := range order {
		fd := &r.t.schema.Fields[o.fi]
		v, fm := r.s.value(r.t, id, o.fi)
		if fd.Kind == KindMulti {
			v = Null()
			for _, m := range fm {
				if m.TypeID == fd.Name {
					v = Str(m.Value)
					break
				}
			}
		}
		k[j] = v
	}
	return k
}

// compareValues orders two values of a kind; null and empty sort first.
func compareValues(k Kind, a, b Value) int {
	ae, be := a.Empty(), b.Empty()
	switch {
	case ae && be:
		return 0
	case ae:
		return -1
	case be:
		return 1
	}
	as, bs := a.S, b.S
	if a.IsList {
		as = a.List[0]
	}
	if b.IsList {
		bs = b.List[0]
	}
	switch k {
	case KindInt, KindFloat:
		x, _ := parseNumber(as)
		y, _ := parseNumber(bs)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case KindDate, KindDateTime:
		x, okx := ParseTime(as, time.UTC)
		y, oky := ParseTime(bs, time.UTC)
		if okx && oky {
			return x.Compare(y)
		}
	}
	return strings.Compare(strings.ToLower(as), strings.ToLower(bs))
}

// scramble maps an id to its place in the fixed pseudo-random order of
// Query.Scramble (the splitmix64 finalizer: a bijection, so no ties).
func scramble(id int64) uint64 {
	z := uint64(id) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
