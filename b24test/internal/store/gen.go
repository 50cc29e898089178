package store

import (
	"fmt"
	"maps"
	"strconv"
	"time"
)

// gen produces the seeded values of one record. Every value is a pure function of
// (seed, entity, id, salt), so a seeded record costs nothing until it is read.
type gen struct {
	seed uint64
	ent  Entity
	id   int64
	st   *Store
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// n returns a pseudo-random number for the given salt.
func (g *gen) n(salt uint64) uint64 {
	return mix(g.seed ^ mix(uint64(g.ent)<<48^uint64(g.id)) ^ mix(salt*0x2545f4914f6cdd1d+1))
}

func (g *gen) intn(salt uint64, n int) int { return int(g.n(salt) % uint64(n)) }

func (g *gen) pick(salt uint64, list []string) string { return list[g.intn(salt, len(list))] }

// chance reports true with probability pct/100.
func (g *gen) chance(salt uint64, pct int) bool { return g.intn(salt, 100) < pct }

var (
	firstNames = []string{"Anna", "Klaus", "Maria", "John", "Olga", "Peter", "Inna", "Artem", "Laura", "Ivan", "Sofia", "Lukas", "Emma", "Jonas", "Mia", "Elena"}
	lastNames  = []string{"Weber", "Schmidt", "Smith", "Petrov", "Kuznetsova", "Isaev", "Ilyina", "Müller", "Johnson", "Novak", "Fischer", "Brown", "Wagner", "Keller", "Lehmann", "García"}
	products   = []string{"CRM licence", "Website redesign", "Consulting", "Server rack", "Annual support", "Training", "Integration", "Mobile app", "Office chairs", "Cloud storage"}
	companyW1  = []string{"Nord", "Blue", "Alpha", "Green", "Rapid", "Solid", "Bright", "Prime", "Urban", "Delta"}
	companyW2  = []string{"Logistics", "Systems", "Foods", "Media", "Energy", "Textiles", "Labs", "Builders", "Retail", "Capital"}
	companyW3  = []string{"GmbH", "Ltd", "LLC", "AG", "Inc"}
	cities     = []string{"Berlin", "Hamburg", "Munich", "Riga", "Vienna", "Prague", "Warsaw", "London"}
	posts      = []string{"Manager", "Director", "Accountant", "Engineer", "Administrator", "Buyer"}
	currencies = []string{"EUR", "EUR", "EUR", "USD", "USD", "RUB"}
	sources    = []string{"WEB", "CALL", "EMAIL", "ADVERTISING", "PARTNER", "TRADE_SHOW", "CALLBACK", "RECOMMENDATION"}
	dealTypes  = []string{"SALE", "COMPLEX", "GOODS", "SERVICES", "SERVICE"}
	utmSources = []string{"google", "bing", "newsletter", "facebook"}
	utmMediums = []string{"CPC", "email", "banner"}
	contactTyp = []string{"CLIENT", "SUPPLIER", "PARTNER", "OTHER"}
	companyTyp = []string{"CUSTOMER", "SUPPLIER", "COMPETITOR", "PARTNER", "OTHER"}
	industries = []string{"IT", "TELECOM", "MANUFACTURING", "BANKING", "CONSULTING", "FINANCE", "GOVERNMENT", "DELIVERY", "ENTERTAINMENT", "NOTPROFIT", "OTHER"}
	honorifics = []string{"HNR_EN_1", "HNR_EN_2", "HNR_EN_3", "HNR_EN_4"}
	taskTitles = []string{"Call the client", "Prepare the contract", "Collect feedback", "Approve the estimate", "Send the invoice", "Update the website", "Check the delivery", "Plan the meeting"}
)

// stage tables: (stage id, semantic)
type stage struct{ id, sem string }

var dealStages = [][]stage{
	{{"NEW", "P"}, {"PREPARATION", "P"}, {"PREPAYMENT_INVOICE", "P"}, {"EXECUTING", "P"}, {"FINAL_INVOICE", "P"}, {"WON", "S"}, {"LOSE", "F"}, {"APOLOGY", "F"}},
	{{"C1:NEW", "P"}, {"C1:PREPARATION", "P"}, {"C1:EXECUTING", "P"}, {"C1:WON", "S"}, {"C1:LOSE", "F"}},
	{{"C2:NEW", "P"}, {"C2:UC_KN8KFI", "P"}, {"C2:WON", "S"}, {"C2:LOSE", "F"}},
}

var leadStatuses = []stage{{"NEW", "P"}, {"IN_PROCESS", "P"}, {"PROCESSED", "P"}, {"CONVERTED", "S"}, {"JUNK", "F"}}

// created returns the seeded creation time of a record: ascending with the id,
// spread over two years before the store's base time.
func (g *gen) created() time.Time {
	span := int64(2 * 365 * 24 * 3600)
	n := g.st.tables[g.ent].seeded
	if n < 1 {
		n = 1
	}
	step := span / n
	if step < 1 {
		step = 1
	}
	jitter := int64(0)
	if step > 1 {
		jitter = int64(g.n(101) % uint64(step))
	}
	return g.st.base.Add(time.Duration(-span+g.id*step+jitter) * time.Second)
}

func (g *gen) datetime(t time.Time) Value { return Str(t.In(g.st.loc).Format(isoLayout)) }

// date renders a date-only value the way the portal does: midnight of that date in
// the portal zone (not midnight UTC, which is the day before west of Greenwich).
func (g *gen) date(t time.Time) Value {
	y, m, d := t.Date()
	return Str(time.Date(y, m, d, 0, 0, 0, 0, g.st.loc).Format(isoLayout))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func (g *gen) user(salt uint64) Value { return Str(itoa(int64(1 + g.intn(salt, g.st.users)))) }

// ref returns a reference to a seeded record of another entity, or null when there is none.
func (g *gen) ref(salt uint64, e Entity, pctNull int) Value {
	n := g.st.tables[e].seeded
	if n == 0 || g.chance(salt, pctNull) {
		return Null()
	}
	return Str(itoa(1 + int64(g.n(salt+1)%uint64(n))))
}

// multifields returns the seeded PHONE/EMAIL rows of a contact, company or lead.
// Their ids are unique across the store: ((id-1)*4+slot)*4 + entity index.
func (g *gen) multifields() []Multi {
	var out []Multi
	mid := func(slot int) int64 { return ((g.id-1)*4+int64(slot))*4 + int64(g.ent) }
	phones := g.intn(201, 3) // 0..2
	if g.ent == Contact && phones == 0 {
		phones = 1
	}
	for i := 0; i < phones; i++ {
		vt := []string{"WORK", "MOBILE", "HOME"}[g.intn(202+uint64(i), 3)]
		out = append(out, Multi{ID: mid(i), TypeID: "PHONE", ValueType: vt,
			Value: fmt.Sprintf("+49%03d%07d", 150+g.intn(203+uint64(i), 30), g.n(204+uint64(i))%10000000)})
	}
	emails := g.intn(205, 3)
	for i := 0; i < emails; i++ {
		vt := []string{"WORK", "HOME", "MAILING"}[g.intn(206+uint64(i), 3)]
		name := firstNames[g.intn(1, len(firstNames))]
		out = append(out, Multi{ID: mid(2 + i), TypeID: "EMAIL", ValueType: vt,
			Value: fmt.Sprintf("%s.%d@example.%s", lowerASCII(name), g.id, []string{"com", "org", "net"}[g.intn(207+uint64(i), 3)])})
	}
	return out
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func hasType(fm []Multi, typ string) Value {
	for _, m := range fm {
		if m.TypeID == typ {
			return Str("Y")
		}
	}
	return Str("N")
}

// value generates the seeded value of field name for this record: a rule of
// the entity, a fixed value, or the field's generator (fieldGens); null for
// any other field.
func (g *gen) value(name string) Value {
	if v, ok := g.entityValue(name); ok {
		return v
	}
	if v, ok := fixedValues[name]; ok {
		return v
	}
	if f, ok := fieldGens[name]; ok {
		return f(g)
	}
	return Null()
}

// entityValue is the value of a field whose rule depends on the entity.
func (g *gen) entityValue(name string) (Value, bool) {
	switch {
	case g.ent == Task && name == "STAGE_ID":
		return Str("0"), true
	case g.ent == Company && name == "CONTACT_ID":
		return List(nil), true
	case g.ent == Contact && name == "COMPANY_IDS":
		return g.refList(130, Company, 20), true
	case name == "TITLE":
		return g.title(), true
	case name == "TYPE_ID":
		switch g.ent {
		case Deal:
			return Str(g.pick(119, dealTypes)), true
		case Contact:
			return Str(g.pick(119, contactTyp)), true
		}
		return Null(), true
	}
	return Value{}, false
}

// title is the seeded TITLE of a deal, lead, company or task.
func (g *gen) title() Value {
	switch g.ent {
	case Deal:
		return Str(fmt.Sprintf("%s #%d", g.pick(114, products), g.id))
	case Lead:
		return Str(fmt.Sprintf("Lead #%d", g.id))
	case Company:
		return Str(g.pick(115, companyW1) + " " + g.pick(116, companyW2) + " " + g.pick(117, companyW3))
	case Task:
		return Str(fmt.Sprintf("%s #%d", g.pick(118, taskTitles), g.id))
	}
	return Null()
}

// refList is a reference as a list: empty, or the one id.
func (g *gen) refList(salt uint64, e Entity, pctNull int) Value {
	v := g.ref(salt, e, pctNull)
	if v.Null {
		return List(nil)
	}
	return List([]string{v.S})
}

// orNull is null with pct % chance, else v().
func (g *gen) orNull(salt uint64, pct int, v func() Value) Value {
	if g.chance(salt, pct) {
		return Null()
	}
	return v()
}

// orEmpty is "" with pct % chance, else v().
func (g *gen) orEmpty(salt uint64, pct int, v func() Value) Value {
	if g.chance(salt, pct) {
		return Str("")
	}
	return v()
}

// fixedValues are the fields every record holds the same value in.
var fixedValues = func() map[string]Value {
	m := map[string]Value{
		"ADDITIONAL_INFO": Str(""), "TAX_VALUE": Str("0.00"), "SECOND_NAME": Str(""), "GROUP_ID": Str("0"),
		"TIME_ESTIMATE": Str("0"), "SITE_ID": Str("s1"), "DURATION_TYPE": Str("days"), "ACCOMPLICES": List(nil),
	}
	for _, n := range []string{"IS_RECURRING", "IS_REPEATED_APPROACH", "HAS_IMOL", "MULTITASK", "NOT_VIEWED", "REPLICATE",
		"ALLOW_TIME_TRACKING", "MATCH_WORK_TIME", "ADD_IN_REPORT", "FAVORITE"} {
		m[n] = Str("N")
	}
	for _, n := range []string{"EXPORT", "DESCRIPTION_IN_BBCODE", "ALLOW_CHANGE_DEADLINE"} {
		m[n] = Str("Y")
	}
	for _, n := range []string{"UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM", "ORIGINATOR_ID", "ORIGIN_ID", "ORIGIN_VERSION",
		"LOCATION_ID", "QUOTE_ID", "FACE_ID", "PHOTO", "LOGO", "ADDRESS_2", "ADDRESS_REGION", "ADDRESS_PROVINCE",
		"ADDRESS_LOC_ADDR_ID", "BANKING_DETAILS", "STATUS_DESCRIPTION", "DATE_CLOSED", "PARENT_ID", "STATUS_CHANGED_BY",
		"CLOSED_BY", "CLOSED_DATE", "DATE_START", "START_DATE_PLAN", "END_DATE_PLAN", "XML_ID", "COMMENTS_COUNT",
		"ADDRESS_COUNTRY", "ADDRESS_COUNTRY_CODE", "PARENT_ID_1220", "PARENT_ID_1224", "MARK"} {
		m[n] = Null()
	}
	return m
}()

// fieldGens generates the fields whose value is seeded, by name.
var fieldGens = merge(recordGens, crmGens, personGens, taskGens)

func merge(ms ...map[string]func(*gen) Value) map[string]func(*gen) Value {
	out := map[string]func(*gen) Value{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// same registers one generator under several names.
func same(f func(*gen) Value, names ...string) map[string]func(*gen) Value {
	m := map[string]func(*gen) Value{}
	for _, n := range names {
		m[n] = f
	}
	return m
}

// recordGens: ids, dates, users and sources, common to the entities.
var recordGens = merge(map[string]func(*gen) Value{
	"ID":             func(g *gen) Value { return Str(itoa(g.id)) },
	"ASSIGNED_BY_ID": (*gen).assignee, "RESPONSIBLE_ID": (*gen).assignee,
	"OPENED":      func(g *gen) Value { return yn(g.chance(106, 80)) },
	"CURRENCY_ID": func(g *gen) Value { return Str(g.pick(107, currencies)) },
	"SOURCE_ID":   func(g *gen) Value { return Str(g.pick(108, sources)) },
	"SOURCE_DESCRIPTION": func(g *gen) Value {
		return g.orEmpty(109, 70, func() Value { return Str("Came from " + lowerASCII(g.pick(108, sources))) })
	},
	"UTM_SOURCE": func(g *gen) Value { return g.orNull(110, 60, func() Value { return Str(g.pick(111, utmSources)) }) },
	"UTM_MEDIUM": func(g *gen) Value { return g.orNull(110, 60, func() Value { return Str(g.pick(112, utmMediums)) }) },
	"COMMENTS": func(g *gen) Value {
		return g.orEmpty(113, 50, func() Value { return Str("[B]Note[/B] for record " + itoa(g.id)) })
	},
},
	same(func(g *gen) Value { return g.datetime(g.created()) }, "DATE_CREATE", "CREATED_DATE"),
	same((*gen).modified, "DATE_MODIFY", "CHANGED_DATE", "ACTIVITY_DATE", "STATUS_CHANGED_DATE"),
	same(func(g *gen) Value {
		return g.datetime(g.created().Add(time.Duration(g.n(103)%(24*3600)) * time.Second))
	},
		"MOVED_TIME", "LAST_ACTIVITY_TIME"),
	same(func(g *gen) Value { return g.user(105) },
		"CREATED_BY_ID", "MODIFY_BY_ID", "MOVED_BY_ID", "LAST_ACTIVITY_BY", "CREATED_BY", "CHANGED_BY"),
)

func (g *gen) assignee() Value { return g.user(104) }

// modified is a modification time, never after base (the server's start):
// a portal's modification times are in its past.
func (g *gen) modified() Value {
	m := g.created().Add(time.Duration(g.n(102)%(72*3600)) * time.Second)
	if m.After(g.st.base) {
		m = g.st.base
	}
	return g.datetime(m)
}

func (g *gen) dealCategory() int { return []int{0, 0, 0, 1, 2}[g.intn(160, 5)] }

func (g *gen) dealStage() stage {
	st := dealStages[g.dealCategory()]
	return st[g.intn(161, len(st))]
}

func (g *gen) taskStatus() string {
	return []string{"2", "2", "3", "5", "5", "4", "6"}[g.intn(162, 7)]
}

func yn(b bool) Value {
	if b {
		return Str("Y")
	}
	return Str("N")
}
