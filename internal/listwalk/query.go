package listwalk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/b24go/b24/internal/php"
)

// listQuery is a list method's parameters taken apart for a keyset walk:
// the caller's own parameters, the filter without its bounds on the id
// field, and those bounds as the walk's range.
type listQuery struct {
	v3        bool
	fam       family
	base      map[string]any // every parameter but start, order, filter, pagination (v3)
	filterKey string         // the filter's key as the caller spelled it ("filter", "FILTER")
	filter2   map[string]any // v2 filter without id bounds
	filter3   []any          // v3 filter without id bounds
	rng       idRange        // the caller's bounds on the id
	desc      bool
	// otherOrder is set when the caller ordered by another field: the walk
	// then pages by offset, keeping that order.
	otherOrder any
	orderKey   string
	sum        string // fingerprint of method and parameters, for cursors
}

// idRange is an inclusive range of ids; an unset side is unbounded.
type idRange struct {
	lo, hi       int64
	loSet, hiSet bool
}

func (r *idRange) setLo(v int64) {
	if !r.loSet || v > r.lo {
		r.lo, r.loSet = v, true
	}
}

func (r *idRange) setHi(v int64) {
	if !r.hiSet || v < r.hi {
		r.hi, r.hiSet = v, true
	}
}

// bound narrows the range by a filter bound: op is ">", ">=", "<" or "<=".
func (r *idRange) bound(op string, n int64) {
	switch op {
	case ">":
		r.setLo(n + 1)
	case ">=":
		r.setLo(n)
	case "<":
		r.setHi(n - 1)
	case "<=":
		r.setHi(n)
	}
}

func (r idRange) empty() bool { return r.loSet && r.hiSet && r.lo > r.hi }

// paramsMap turns the params' JSON (encoded by the caller) into a generic map.
func paramsMap(method string, body json.RawMessage) (map[string]any, error) {
	if len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("b24: %s: list params must be a JSON object", method)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	m := map[string]any{}
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("b24: %s: decoding params: %w", method, err)
	}
	return m, nil
}

// takeKey removes and returns the value of the first key equal to name
// ignoring case, with the key as spelled.
func takeKey(m map[string]any, names ...string) (key string, v any, ok bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range names {
		for _, k := range keys {
			if strings.EqualFold(k, name) {
				v := m[k]
				delete(m, k)
				return k, v, true
			}
		}
	}
	return "", nil, false
}

// asInt64 reads an id bound: a JSON number or a numeric string.
func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			return int64(f), true
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x), true
		}
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// direction reads an order value: "ASC"/"DESC" in any case.
func direction(v any) (desc, ok bool) {
	s, isStr := v.(string)
	if !isStr {
		return false, false
	}
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "ASC":
		return false, true
	case "DESC":
		return true, true
	}
	return false, false
}

// newListQuery takes params apart for a walk of method on version v.
func newListQuery(v3 bool, method string, params json.RawMessage, fam family, cfg *Config) (*listQuery, error) {
	m, err := paramsMap(method, params)
	if err != nil {
		return nil, err
	}
	q := &listQuery{v3: v3, fam: fam, desc: cfg.Desc}
	q.sum = fingerprint(v3, method, m)
	takeKey(m, "start")
	if v3 {
		takeKey(m, "pagination")
		takeKey(m, "cursor")
	}
	if err := q.takeOrder(m, cfg.Desc); err != nil {
		return nil, fmt.Errorf("b24: %s: %w", method, err)
	}
	if err := q.takeFilter(m); err != nil {
		return nil, fmt.Errorf("b24: %s: %w", method, err)
	}
	addToSelect(m, fam)
	q.base = m
	return q, nil
}

// fingerprint identifies a walk's method and parameters (start, order and
// pagination aside), so that a cursor is not resumed on another query.
func fingerprint(v3 bool, method string, m map[string]any) string {
	cp := make(map[string]any, len(m))
	for k, x := range m {
		switch strings.ToLower(k) {
		case "start", "pagination", "cursor":
			continue
		}
		cp[k] = x
	}
	b, _ := json.Marshal(cp) // map keys are sorted
	version := "v2"          // as b24.APIVersion prints it: cursors saved before stay valid
	if v3 {
		version = "v3"
	}
	sum := sha256.Sum256(append([]byte(version+" "+strings.ToLower(method)+" "), b...))
	return hex.EncodeToString(sum[:8])
}

// takeOrder reads the caller's order: on the id field alone it sets the
// direction; on anything else the walk pages by offset in that order.
func (q *listQuery) takeOrder(m map[string]any, desc bool) error {
	if q.fam.userStyle {
		// user.get: sort=<field>, order=ASC|DESC at top level.
		_, sortV, hasSort := takeKey(m, "sort")
		_, ordV, hasOrd := takeKey(m, "order")
		field, _ := sortV.(string)
		if hasSort && field != "" && !strings.EqualFold(field, q.fam.cursorKey) {
			q.otherOrder = map[string]any{"sort": sortV, "order": ordV}
			return nil
		}
		if hasOrd {
			d, ok := direction(ordV)
			if !ok {
				return fmt.Errorf("order %v: want ASC or DESC", ordV)
			}
			q.desc = q.desc || d
		}
		return nil
	}
	key, ov, ok := takeKey(m, "order")
	if !ok || ov == nil {
		return nil
	}
	q.orderKey = key
	om, isMap := ov.(map[string]any)
	if !isMap {
		if arr, isArr := ov.([]any); isArr && len(arr) == 0 {
			return nil // PHP's empty array
		}
		q.otherOrder = ov
		return nil
	}
	if len(om) == 0 {
		return nil
	}
	if len(om) == 1 {
		for k, dv := range om {
			if strings.EqualFold(k, q.fam.cursorKey) || strings.EqualFold(k, q.fam.idKey) {
				d, ok := direction(dv)
				if !ok {
					return fmt.Errorf("order %s=%v: want ASC or DESC", k, dv)
				}
				q.desc = q.desc || d
				return nil
			}
		}
	}
	q.otherOrder = ov
	return nil
}

// takeFilter reads the caller's filter and moves its bounds on the id field
// into the walk's range.
func (q *listQuery) takeFilter(m map[string]any) error {
	names := []string{"filter"}
	key, fv, ok := takeKey(m, names...)
	if !ok {
		key = "filter"
		if q.fam.userStyle {
			key = "FILTER"
		}
	}
	q.filterKey = key
	if q.v3 {
		return q.takeFilter3(fv)
	}
	fm := map[string]any{}
	switch f := fv.(type) {
	case nil:
	case map[string]any:
		fm = f
	case []any:
		if len(f) != 0 {
			return fmt.Errorf("filter must be an object of field conditions, got a list")
		}
	default:
		return fmt.Errorf("filter must be an object of field conditions, got %T", fv)
	}
	if q.otherOrder != nil {
		q.filter2 = fm // offset paging keeps the filter as given
		return nil
	}
	for k, v := range fm {
		op, field := splitFilterKey(k)
		if op == "" || !strings.EqualFold(field, q.fam.cursorKey) {
			continue
		}
		n, isInt := asInt64(v)
		if !isInt {
			return fmt.Errorf("filter %s=%v: a bound on the id must be an integer", k, v)
		}
		q.rng.bound(op, n)
		delete(fm, k)
	}
	q.filter2 = fm
	return nil
}

// splitFilterKey splits a v2 filter key into a range operator (">", ">=",
// "<", "<=") and the field; op is "" for any other key.
func splitFilterKey(k string) (op, field string) {
	for _, p := range []string{">=", "<=", ">", "<"} {
		if strings.HasPrefix(k, p) {
			return p, k[len(p):]
		}
	}
	return "", k
}

// takeFilter3 reads a REST 3.0 filter: a list of [field, op, value],
// [field, value] and {logic, conditions} groups.
func (q *listQuery) takeFilter3(fv any) error {
	var conds []any
	switch f := fv.(type) {
	case nil:
	case []any:
		conds = f
	default:
		return fmt.Errorf("a REST 3.0 filter must be a list of conditions, got %T", fv)
	}
	if q.otherOrder != nil {
		q.filter3 = conds
		return nil
	}
	var kept []any
	for _, c := range conds {
		arr, isArr := c.([]any)
		if !isArr || len(arr) != 3 {
			kept = append(kept, c)
			continue
		}
		field, _ := arr[0].(string)
		op, _ := arr[1].(string)
		if !strings.EqualFold(field, q.fam.cursorKey) {
			kept = append(kept, c)
			continue
		}
		switch op {
		case ">", ">=", "<", "<=":
			n, isInt := asInt64(arr[2])
			if !isInt {
				return fmt.Errorf("filter [%s %s %v]: a bound on the id must be an integer", field, op, arr[2])
			}
			q.rng.bound(op, n)
		case "between":
			pair, isPair := arr[2].([]any)
			if !isPair || len(pair) != 2 {
				return fmt.Errorf("filter [%s between %v]: want two integers", field, arr[2])
			}
			lo, ok1 := asInt64(pair[0])
			hi, ok2 := asInt64(pair[1])
			if !ok1 || !ok2 {
				return fmt.Errorf("filter [%s between %v]: want two integers", field, arr[2])
			}
			q.rng.setLo(lo)
			q.rng.setHi(hi)
		default:
			kept = append(kept, c)
		}
	}
	q.filter3 = kept
	return nil
}

// addToSelect adds the id field to a select list that lacks it (and has no "*").
func addToSelect(m map[string]any, fam family) {
	key, sv, ok := takeKey(m, "select")
	if !ok {
		return
	}
	var list []any
	switch s := sv.(type) {
	case []any:
		list = s
	case map[string]any: // a PHP list sent as an object
		keys := make([]string, 0, len(s))
		for k := range s {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, _ := strconv.Atoi(keys[i])
			b, _ := strconv.Atoi(keys[j])
			return a < b
		})
		for _, k := range keys {
			list = append(list, s[k])
		}
	default:
		m[key] = sv
		return
	}
	if len(list) == 0 {
		m[key] = list
		return
	}
	has := false
	for _, x := range list {
		s, _ := x.(string)
		if s == "*" || strings.EqualFold(s, fam.cursorKey) || strings.EqualFold(s, fam.idKey) {
			has = true
			break
		}
	}
	if !has {
		list = append(list[:len(list):len(list)], fam.cursorKey)
	}
	m[key] = list
}

// pageParams returns the parameters of one keyset page of a shard: the
// caller's, the filter with the shard's bounds, the order by id, and no
// counting. after is the exclusive cursor (or a batch reference string);
// end the shard's inclusive far bound.
// reverse walks the other way (the probe of the range's far end).
func (q *listQuery) pageParams(after any, hasAfter bool, end int64, hasEnd bool, limit int, reverse bool) map[string]any {
	p := make(map[string]any, len(q.base)+4)
	for k, v := range q.base {
		p[k] = v
	}
	ck := q.fam.cursorKey
	dir := "ASC"
	afterOp, endOp := ">", "<="
	if q.desc != reverse {
		dir = "DESC"
		afterOp, endOp = "<", ">="
	}
	if q.v3 {
		f := make([]any, 0, len(q.filter3)+2)
		f = append(f, q.filter3...)
		if hasAfter {
			f = append(f, []any{ck, afterOp, after})
		}
		if hasEnd {
			f = append(f, []any{ck, endOp, end})
		}
		if len(f) > 0 {
			p[q.filterKey] = f
		}
		p["order"] = map[string]any{ck: dir}
		p["pagination"] = map[string]any{"limit": limit}
		return p
	}
	f := make(map[string]any, len(q.filter2)+2)
	for k, v := range q.filter2 {
		f[k] = v
	}
	if hasAfter {
		f[afterOp+ck] = after
	}
	if hasEnd {
		f[endOp+ck] = end
	}
	if len(f) > 0 {
		p[q.filterKey] = f
	}
	if q.fam.userStyle {
		p["sort"] = ck
		p["order"] = dir
	} else {
		key := q.orderKey
		if key == "" {
			key = "order"
		}
		p[key] = map[string]any{ck: dir}
	}
	p["start"] = -1
	return p
}

// offsetParams returns the parameters of the offset page at start (v3:
// pagination offset and limit).
func (q *listQuery) offsetParams(start, limit int) map[string]any {
	p := make(map[string]any, len(q.base)+3)
	for k, v := range q.base {
		p[k] = v
	}
	if q.v3 {
		if len(q.filter3) > 0 {
			p[q.filterKey] = q.filter3
		}
	} else if len(q.filter2) > 0 {
		p[q.filterKey] = q.filter2
	}
	switch o := q.otherOrder.(type) {
	case map[string]any:
		if q.fam.userStyle {
			for k, v := range o {
				if v != nil {
					p[k] = v
				}
			}
		} else {
			key := q.orderKey
			if key == "" {
				key = "order"
			}
			p[key] = o
		}
	case nil:
	default:
		key := q.orderKey
		if key == "" {
			key = "order"
		}
		p[key] = o
	}
	if q.v3 {
		p["pagination"] = map[string]any{"limit": limit, "offset": start}
	} else {
		p["start"] = start
	}
	return p
}

// queryable reports whether the walk's pages can travel as v2 batch
// commands: a query string cannot carry an empty array, nil or a boolean as
// Call's JSON does (filter[ID]=[] would select every row). When not, the
// walk reads one page a request with Call, and says so in the log.
func (q *listQuery) queryable(method string, log *slog.Logger) bool {
	_, err := php.Encode(q.pageParams(int64(1), true, 2, true, v2PageSize, false))
	var ve *php.ValueError
	if !errors.As(err, &ve) {
		return true // any other error is Batch's to report
	}
	log.LogAttrs(context.Background(), slog.LevelWarn,
		"b24 list: a parameter cannot travel in a batch command (a query string): one page a request",
		slog.String("method", method), slog.String("param", ve.Path), slog.String("value", ve.Value))
	return false
}
