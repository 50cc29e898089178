package store

import (
	"fmt"
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

// value generates the seeded value of field name for this record.
func (g *gen) value(name string) Value {
	switch {
	case g.ent == Task && name == "STAGE_ID":
		return Str("0")
	case g.ent == Company && name == "CONTACT_ID":
		return List(nil)
	case g.ent == Contact && name == "COMPANY_IDS":
		v := g.ref(130, Company, 20)
		if v.Null {
			return List(nil)
		}
		return List([]string{v.S})
	}
	switch name {
	case "ID":
		return Str(itoa(g.id))
	case "DATE_CREATE", "CREATED_DATE":
		return g.datetime(g.created())
	case "DATE_MODIFY", "CHANGED_DATE", "ACTIVITY_DATE", "STATUS_CHANGED_DATE":
		// never after base (the server's start): a portal's modification times are in its past
		m := g.created().Add(time.Duration(g.n(102)%(72*3600)) * time.Second)
		if m.After(g.st.base) {
			m = g.st.base
		}
		return g.datetime(m)
	case "MOVED_TIME", "LAST_ACTIVITY_TIME":
		return g.datetime(g.created().Add(time.Duration(g.n(103)%(24*3600)) * time.Second))
	case "ASSIGNED_BY_ID", "RESPONSIBLE_ID":
		return g.user(104)
	case "CREATED_BY_ID", "MODIFY_BY_ID", "MOVED_BY_ID", "LAST_ACTIVITY_BY", "CREATED_BY", "CHANGED_BY":
		return g.user(105)
	case "OPENED":
		return yn(g.chance(106, 80))
	case "CURRENCY_ID":
		return Str(g.pick(107, currencies))
	case "SOURCE_ID":
		return Str(g.pick(108, sources))
	case "SOURCE_DESCRIPTION":
		if g.chance(109, 70) {
			return Str("")
		}
		return Str("Came from " + lowerASCII(g.pick(108, sources)))
	case "UTM_SOURCE":
		if g.chance(110, 60) {
			return Null()
		}
		return Str(g.pick(111, utmSources))
	case "UTM_MEDIUM":
		if g.chance(110, 60) {
			return Null()
		}
		return Str(g.pick(112, utmMediums))
	case "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM", "ORIGINATOR_ID", "ORIGIN_ID", "ORIGIN_VERSION", "LOCATION_ID", "QUOTE_ID", "FACE_ID", "PHOTO", "LOGO",
		"ADDRESS_2", "ADDRESS_REGION", "ADDRESS_PROVINCE", "ADDRESS_LOC_ADDR_ID", "BANKING_DETAILS", "STATUS_DESCRIPTION", "DATE_CLOSED",
		"PARENT_ID", "STATUS_CHANGED_BY", "CLOSED_BY", "CLOSED_DATE", "DATE_START", "START_DATE_PLAN", "END_DATE_PLAN", "XML_ID", "COMMENTS_COUNT":
		return Null()
	case "COMMENTS":
		if g.chance(113, 50) {
			return Str("")
		}
		return Str("[B]Note[/B] for record " + itoa(g.id))
	case "ADDITIONAL_INFO":
		return Str("")
	case "TITLE":
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
	case "TYPE_ID":
		switch g.ent {
		case Deal:
			return Str(g.pick(119, dealTypes))
		case Contact:
			return Str(g.pick(119, contactTyp))
		}
	case "COMPANY_TYPE":
		return Str(g.pick(119, companyTyp))
	case "INDUSTRY":
		return Str(g.pick(120, industries))
	case "EMPLOYEES":
		return Str([]string{"EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4"}[g.intn(121, 4)])
	case "REVENUE":
		return Str(money(int64(g.n(122)%100000000) * 100))
	case "IS_MY_COMPANY":
		return yn(g.id == 1)
	case "CATEGORY_ID":
		return Str(itoa(int64(g.dealCategory())))
	case "STAGE_ID":
		return Str(g.dealStage().id)
	case "STAGE_SEMANTIC_ID":
		return Str(g.dealStage().sem)
	case "CLOSED":
		return yn(g.dealStage().sem != "P")
	case "STATUS_ID":
		return Str(leadStatuses[g.intn(123, len(leadStatuses))].id)
	case "STATUS_SEMANTIC_ID":
		return Str(leadStatuses[g.intn(123, len(leadStatuses))].sem)
	case "PROBABILITY":
		if g.chance(124, 30) {
			return Null()
		}
		return Str(itoa(int64(g.intn(125, 11) * 10)))
	case "OPPORTUNITY":
		return Str(money(int64(g.n(126)%5000)*1000 + int64(g.intn(127, 4))*2499))
	case "IS_MANUAL_OPPORTUNITY":
		return yn(g.chance(128, 60))
	case "TAX_VALUE":
		return Str("0.00")
	case "LEAD_ID":
		return g.ref(129, Lead, 70)
	case "COMPANY_ID":
		return g.ref(130, Company, 20)
	case "CONTACT_ID":
		return g.ref(131, Contact, 20)
	case "CONTACT_IDS":
		v := g.ref(131, Contact, 20)
		if v.Null {
			return List(nil)
		}
		return List([]string{v.S})
	case "BEGINDATE":
		return g.date(g.created())
	case "CLOSEDATE":
		return g.date(g.created().Add(time.Duration(7+g.intn(132, 60)) * 24 * time.Hour))
	case "IS_NEW":
		return yn(g.dealStage().id == "NEW" || g.dealStage().id[len(g.dealStage().id)-3:] == "NEW")
	case "IS_RECURRING", "IS_REPEATED_APPROACH", "HAS_IMOL", "MULTITASK", "NOT_VIEWED", "REPLICATE", "ALLOW_TIME_TRACKING", "MATCH_WORK_TIME", "ADD_IN_REPORT", "FAVORITE":
		return Str("N")
	case "IS_RETURN_CUSTOMER":
		return yn(g.chance(133, 15))
	case "EXPORT", "DESCRIPTION_IN_BBCODE", "ALLOW_CHANGE_DEADLINE":
		return Str("Y")
	case "HONORIFIC":
		if g.chance(134, 50) {
			return Null()
		}
		return Str(g.pick(135, honorifics))
	case "NAME":
		return Str(g.pick(1, firstNames))
	case "SECOND_NAME":
		return Str("")
	case "LAST_NAME":
		return Str(g.pick(2, lastNames))
	case "POST":
		return Str(g.pick(136, posts))
	case "COMPANY_TITLE":
		return Str(g.pick(115, companyW1) + " " + g.pick(116, companyW2))
	case "BIRTHDATE":
		if g.chance(137, 50) {
			return Str("")
		}
		return g.date(time.Date(1960+g.intn(138, 40), time.Month(1+g.intn(139, 12)), 1+g.intn(140, 28), 0, 0, 0, 0, time.UTC))
	case "HAS_PHONE":
		return hasType(g.multifields(), "PHONE")
	case "HAS_EMAIL":
		return hasType(g.multifields(), "EMAIL")
	case "ADDRESS":
		if g.chance(141, 50) {
			return Null()
		}
		return Str(fmt.Sprintf("%d Main Street", 1+g.intn(142, 200)))
	case "ADDRESS_CITY":
		if g.chance(141, 50) {
			return Null()
		}
		return Str(g.pick(143, cities))
	case "ADDRESS_POSTAL_CODE":
		if g.chance(141, 50) {
			return Null()
		}
		return Str(fmt.Sprintf("%05d", g.intn(144, 99999)))
	case "ADDRESS_COUNTRY", "ADDRESS_COUNTRY_CODE":
		return Null()
	case "PARENT_ID_1220", "PARENT_ID_1224":
		return Null()
	// custom fields
	case "UF_CRM_1721244482250", "UF_CRM_1720697698689", "UF_CRM_1720019876534", "UF_CRM_1721244707107":
		if g.chance(145, 40) {
			return Str("")
		}
		return Str("Custom value " + itoa(int64(g.intn(146, 100))))
	case "UF_CRM_BUDGET":
		if g.chance(147, 30) {
			return Null()
		}
		return Str(money(int64(g.intn(148, 100000)) * 100))
	// tasks
	case "DESCRIPTION":
		return Str("Task description with [B]formatting[/B] #" + itoa(g.id))
	case "MARK":
		return Null()
	case "PRIORITY":
		return Str([]string{"0", "1", "1", "1", "2"}[g.intn(150, 5)])
	case "STATUS":
		return Str(g.taskStatus())
	case "GROUP_ID":
		return Str("0")
	case "DEADLINE":
		if g.chance(151, 40) {
			return Null()
		}
		return g.datetime(g.created().Add(time.Duration(1+g.intn(152, 30)) * 24 * time.Hour))
	case "GUID":
		h := g.n(153)
		h2 := g.n(154)
		return Str(fmt.Sprintf("{%08x-%04x-%04x-%04x-%012x}", uint32(h), uint16(h>>32), uint16(h>>48), uint16(h2), h2>>16&0xffffffffffff))
	case "TASK_CONTROL":
		return yn(g.chance(155, 20))
	case "TIME_ESTIMATE":
		return Str("0")
	case "SITE_ID":
		return Str("s1")
	case "DURATION_TYPE":
		return Str("days")
	case "AUDITORS":
		if g.chance(156, 60) {
			return List(nil)
		}
		return List([]string{g.user(157).S})
	case "ACCOMPLICES":
		return List(nil)
	case "UF_CRM_TASK":
		d := g.ref(158, Deal, 50)
		if d.Null {
			return List(nil)
		}
		return List([]string{"D_" + d.S})
	}
	return Null()
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
