package b24test

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/internal/php"
)

// user is a seeded portal user.
type user struct {
	id                    int
	name, lastName, email string
	gender                string
	position              string
	admin, online         bool
	registered, lastLogin time.Time
}

var (
	firstNames = []string{"Klaus", "Anna", "John", "Maria", "Ivan", "Olga", "Peter", "Elena", "Paul", "Sofia", "Max", "Laura"}
	lastNames  = []string{"Weber", "Smith", "Petrova", "Novak", "Muller", "Garcia", "Rossi", "Ivanov", "Brown", "Schulz"}
	positions  = []string{"Sales manager", "Account manager", "Director", "Support engineer", ""}
)

// seedUsers makes the portal's users, deterministically from d.Seed.
func seedUsers(d *Data) []user {
	rng := rand.New(rand.NewPCG(uint64(d.Seed.Seed), 0x75736572))
	us := make([]user, d.Seed.Users)
	for i := range us {
		fn := firstNames[rng.IntN(len(firstNames))]
		ln := lastNames[rng.IntN(len(lastNames))]
		g := "F"
		if rng.IntN(2) == 0 {
			g = "M"
		}
		reg := d.Created.Add(-time.Duration(400+rng.IntN(800)) * 24 * time.Hour).Truncate(24 * time.Hour)
		us[i] = user{
			id: i + 1, name: fn, lastName: ln,
			email:    strings.ToLower(fn+"."+ln) + "." + strconv.Itoa(i+1) + "@example.com",
			gender:   g,
			position: positions[rng.IntN(len(positions))],
			admin:    i == 0, online: rng.IntN(3) == 0,
			registered: reg,
			lastLogin:  d.Created.Add(-time.Duration(rng.IntN(72*3600)) * time.Second),
		}
	}
	return us
}

func (u user) record(loc *time.Location) *php.Array {
	a := php.NewArray()
	a.Set("ID", strconv.Itoa(u.id))
	a.Set("ACTIVE", true)
	a.Set("NAME", u.name)
	a.Set("LAST_NAME", u.lastName)
	a.Set("EMAIL", u.email)
	a.Set("LAST_LOGIN", isoDate(u.lastLogin, loc))
	a.Set("DATE_REGISTER", isoDate(u.registered, loc))
	a.Set("IS_ONLINE", yn(u.online))
	a.Set("LAST_ACTIVITY_DATE", u.lastLogin.In(loc).Format("2006-01-02 15:04:05"))
	a.Set("PERSONAL_GENDER", u.gender)
	a.Set("PERSONAL_BIRTHDAY", "")
	a.Set("WORK_POSITION", u.position)
	a.Set("UF_EMPLOYMENT_DATE", "")
	dep := php.NewArray()
	dep.Append(1)
	a.Set("UF_DEPARTMENT", dep)
	return a
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

func listOf(vals ...string) *php.Array {
	a := php.NewArray()
	for _, v := range vals {
		a.Append(v)
	}
	return a
}

// systemFamily holds the methods every portal has: profile, app.info,
// server.time, scope, methods, method.get, user.current, user.get,
// department.get and batch (which the server runs itself).
func (s *Server) systemFamily(d *Data) []Method {
	users := seedUsers(d)
	h := &system{s: s, users: users, owner: users[0], loc: d.Location}
	for _, u := range users {
		if u.id == s.cfg.userID {
			h.owner = u
		}
	}
	return []Method{
		{Name: "batch", API: Both, Handler: func(*Call) (Result, *Error) {
			return Result{}, errBatchNotAllowed // the server runs batches itself
		}},
		{Name: "profile", API: V2, Handler: h.profile},
		{Name: "app.info", API: V2, Handler: h.appInfo},
		{Name: "server.time", API: V2, Handler: func(c *Call) (Result, *Error) { return Value(isoDate(c.Now, h.loc)), nil }},
		{Name: "scope", API: V2, Handler: h.scope},
		{Name: "methods", API: V2, Handler: h.methods},
		{Name: "method.get", API: V2, Handler: h.methodGet},
		{Name: "user.current", API: V2, Scope: "user", Handler: func(c *Call) (Result, *Error) {
			c.Returned(1)
			return Value(h.userOf(c.UserID).record(h.loc)), nil
		}},
		{Name: "user.get", API: V2, Scope: "user", Handler: h.userGet},
		{Name: "user.fields", API: V2, Scope: "user", Handler: userFields},
		{Name: "rest.documentation.openapi", API: V3, Handler: s.openAPI},
		{Name: "documentation", API: V3, Handler: s.openAPI},
		{Name: "department.get", API: V2, Scope: "department", Handler: departmentGet},
	}
}

// system serves the system methods: the seeded users, the webhook's owner
// among them, the portal's time zone.
type system struct {
	s     *Server
	users []user
	owner user
	loc   *time.Location
}

// userOf returns the seeded user id (numbered from 1), else the default
// webhook's owner under that id.
func (h *system) userOf(id int) user {
	if id >= 1 && id <= len(h.users) {
		return h.users[id-1]
	}
	u := h.owner
	if id >= 1 {
		u.id = id
	}
	return u
}

func (h *system) profile(c *Call) (Result, *Error) {
	u := h.userOf(c.UserID)
	a := php.NewArray()
	a.Set("ID", strconv.Itoa(u.id))
	a.Set("ADMIN", u.admin)
	a.Set("NAME", u.name)
	a.Set("LAST_NAME", u.lastName)
	a.Set("PERSONAL_GENDER", u.gender)
	a.Set("TIME_ZONE", "")
	c.Returned(1)
	return Value(a), nil
}

func (h *system) appInfo(c *Call) (Result, *Error) {
	a := php.NewArray()
	a.Set("SCOPE", listOf(h.s.grantedScopes()...))
	license := "en_std"
	if h.s.limits.Burst >= 250 {
		license = "en_ent250"
	}
	a.Set("LICENSE", license)
	return Value(a), nil
}

func (h *system) scope(c *Call) (Result, *Error) {
	if full, _ := c.Params.Get("full"); phpTruthy(full) {
		return Value(listOf(allScopesSorted()...)), nil
	}
	return Value(listOf(h.s.grantedScopes()...)), nil
}

// methods lists the v2 methods of a scope, or those the webhook may call
// (every one with full).
func (h *system) methods(c *Call) (Result, *Error) {
	full, _ := c.Params.Get("full")
	scope, hasScope := c.Params.Get("scope")
	sc, _ := scope.(string)
	var out []string
	for _, n := range h.s.reg.names(V2) {
		m := h.s.reg.lookup(V2, n)
		switch {
		case hasScope:
			if m.Scope != sc {
				continue
			}
		case !phpTruthy(full):
			if !h.s.hasScope(m.Scope) {
				continue
			}
		}
		out = append(out, n)
	}
	return Value(listOf(out...)), nil
}

func (h *system) methodGet(c *Call) (Result, *Error) {
	nv, _ := getCI(c.Params, "name")
	name, _ := nv.(string)
	m := h.s.method(V2, name) // a stubbed method exists
	a := php.NewArray()
	a.Set("isExisting", m != nil)
	a.Set("isAvailable", m != nil && h.s.hasScope(m.Scope))
	return Value(a), nil
}

// userGet pages the seeded users, filtered and sorted, 50 a page.
func (h *system) userGet(c *Call) (Result, *Error) {
	rows, ferr := filterUsers(h.users, c.Params)
	if ferr != nil {
		return Result{}, ferr
	}
	sortUsers(rows, c.Params)
	total := len(rows)
	start := max(c.Start, 0)
	start -= start % 50
	page := []user{}
	if start < len(rows) {
		page = rows[start:min(start+50, len(rows))]
	}
	out := php.NewArray()
	for _, u := range page {
		out.Append(u.record(h.loc))
	}
	c.Returned(len(page))
	c.Skipped(start)
	if c.Start < 0 {
		return Page(out, 0, -1), nil
	}
	c.Counted(total)
	return Page(out, total, NextStart(start, len(page), total)), nil
}

// departmentGet answers the one department.
func departmentGet(c *Call) (Result, *Error) {
	dep := php.NewArray()
	dep.Set("ID", "1")
	dep.Set("NAME", "b24test")
	dep.Set("SORT", 500)
	out := php.NewArray()
	out.Append(dep)
	c.Returned(1)
	if c.Start < 0 {
		return Page(out, 0, -1), nil
	}
	return Page(out, 1, -1), nil
}

func (s *Server) grantedScopes() []string {
	out := slices.Clone(s.cfg.scopes)
	sort.Strings(out)
	return slices.Compact(out)
}

func allScopesSorted() []string {
	out := slices.Clone(allScopes)
	sort.Strings(out)
	return out
}

// filterUsers applies user.get's FILTER/filter (and top-level fields, as
// the portal accepts) with exact matches on ID, ACTIVE, NAME, LAST_NAME,
// EMAIL, and the NAME_SEARCH substring. Any other key, an operator or a
// value it cannot compare is refused (400 naming the key), never ignored:
// ignoring it would answer every user.
func filterUsers(us []user, p *php.Array) ([]user, *Error) {
	conds := map[string]string{}
	known := func(k string) bool {
		switch k {
		case "ID", "NAME", "LAST_NAME", "EMAIL", "ACTIVE", "NAME_SEARCH":
			return true
		}
		return false
	}
	if f, ok := getCI(p, "filter"); ok {
		fa, err := filterArray(f, legacyErr)
		if err != nil {
			return nil, err
		}
		for k, v := range fa.All() {
			uk := strings.ToUpper(k)
			if !known(uk) {
				return nil, legacyErr("Invalid filter: '" + k + "': the fake evaluates only ID, NAME, LAST_NAME, EMAIL, ACTIVE and NAME_SEARCH")
			}
			s, ok := scalarString(v)
			if !ok {
				return nil, legacyErr("Invalid filter: '" + k + "': the fake compares single values only")
			}
			conds[uk] = s
		}
	}
	for _, k := range []string{"ID", "NAME", "LAST_NAME", "EMAIL", "ACTIVE"} {
		if v, ok := p.Get(k); ok {
			if s, ok := scalarString(v); ok {
				conds[k] = s
			}
		}
	}
	out := []user{}
	for _, u := range us {
		ok := true
		for k, v := range conds {
			switch k {
			case "ID":
				ok = ok && v == strconv.Itoa(u.id)
			case "NAME":
				ok = ok && v == u.name
			case "LAST_NAME":
				ok = ok && v == u.lastName
			case "EMAIL":
				ok = ok && v == u.email
			case "ACTIVE":
				ok = ok && (v == "Y" || v == "1" || v == "true")
			case "NAME_SEARCH":
				q := strings.ToLower(v)
				ok = ok && (strings.Contains(strings.ToLower(u.name), q) || strings.Contains(strings.ToLower(u.lastName), q))
			}
		}
		if ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// sortUsers applies user.get's top-level sort and order (default ID ASC).
func sortUsers(us []user, p *php.Array) {
	field, desc := "ID", false
	if v, ok := getCI(p, "sort"); ok {
		if s, ok := v.(string); ok {
			field = strings.ToUpper(s)
		}
	}
	if v, ok := getCI(p, "order"); ok {
		if s, ok := v.(string); ok {
			desc = strings.EqualFold(s, "desc")
		}
	}
	key := func(u user) string {
		switch field {
		case "NAME":
			return u.name
		case "LAST_NAME":
			return u.lastName
		case "EMAIL":
			return u.email
		}
		return ""
	}
	sort.SliceStable(us, func(i, j int) bool {
		a, b := us[i], us[j]
		if desc {
			a, b = b, a
		}
		if field == "ID" || key(a) == key(b) {
			return a.id < b.id
		}
		return key(a) < key(b)
	})
}

// openAPI answers rest.documentation.openapi (alias documentation): a bare
// OpenAPI document listing the v3 methods, without an envelope.
func (s *Server) openAPI(c *Call) (Result, *Error) {
	doc := php.NewArray()
	doc.Set("openapi", "3.0.0")
	info := php.NewArray()
	info.Set("title", "Bitrix24 REST V3 API")
	info.Set("version", "1.0.0")
	doc.Set("info", info)
	tags := php.NewArray()
	paths := php.NewArray()
	seen := map[string]bool{}
	for _, n := range s.reg.names(V3) {
		module, _, _ := strings.Cut(n, ".")
		if !seen[module] && strings.Contains(n, ".") {
			seen[module] = true
			tag := php.NewArray()
			tag.Set("name", module)
			tag.Set("description", module+" module methods")
			tags.Append(tag)
		}
		op := php.NewArray()
		op.Set("operationId", n)
		item := php.NewArray()
		item.Set("post", op)
		paths.Set("/"+n, item)
	}
	doc.Set("tags", tags)
	doc.Set("paths", paths)
	return Result{Value: doc, Next: -1, bare: true}, nil
}
