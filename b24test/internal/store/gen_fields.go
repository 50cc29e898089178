package store

import (
	"fmt"
	"time"
)

// The seeded generators of the CRM, person and task fields (gen.value).

// crmGens: companies, deals, leads and their links.
var crmGens = map[string]func(*gen) Value{
	"COMPANY_TYPE": func(g *gen) Value { return Str(g.pick(119, companyTyp)) },
	"INDUSTRY":     func(g *gen) Value { return Str(g.pick(120, industries)) },
	"EMPLOYEES": func(g *gen) Value {
		return Str([]string{"EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4"}[g.intn(121, 4)])
	},
	"REVENUE":            func(g *gen) Value { return Str(money(int64(g.n(122)%100000000) * 100)) },
	"IS_MY_COMPANY":      func(g *gen) Value { return yn(g.id == 1) },
	"CATEGORY_ID":        func(g *gen) Value { return Str(itoa(int64(g.dealCategory()))) },
	"STAGE_ID":           func(g *gen) Value { return Str(g.dealStage().id) },
	"STAGE_SEMANTIC_ID":  func(g *gen) Value { return Str(g.dealStage().sem) },
	"CLOSED":             func(g *gen) Value { return yn(g.dealStage().sem != "P") },
	"STATUS_ID":          func(g *gen) Value { return Str(leadStatuses[g.intn(123, len(leadStatuses))].id) },
	"STATUS_SEMANTIC_ID": func(g *gen) Value { return Str(leadStatuses[g.intn(123, len(leadStatuses))].sem) },
	"PROBABILITY": func(g *gen) Value {
		return g.orNull(124, 30, func() Value { return Str(itoa(int64(g.intn(125, 11) * 10))) })
	},
	"OPPORTUNITY": func(g *gen) Value {
		return Str(money(int64(g.n(126)%5000)*1000 + int64(g.intn(127, 4))*2499))
	},
	"IS_MANUAL_OPPORTUNITY": func(g *gen) Value { return yn(g.chance(128, 60)) },
	"LEAD_ID":               func(g *gen) Value { return g.ref(129, Lead, 70) },
	"COMPANY_ID":            func(g *gen) Value { return g.ref(130, Company, 20) },
	"CONTACT_ID":            func(g *gen) Value { return g.ref(131, Contact, 20) },
	"CONTACT_IDS":           func(g *gen) Value { return g.refList(131, Contact, 20) },
	"BEGINDATE":             func(g *gen) Value { return g.date(g.created()) },
	"CLOSEDATE": func(g *gen) Value {
		return g.date(g.created().Add(time.Duration(7+g.intn(132, 60)) * 24 * time.Hour))
	},
	"IS_NEW": func(g *gen) Value {
		id := g.dealStage().id
		return yn(id == "NEW" || id[len(id)-3:] == "NEW")
	},
	"IS_RETURN_CUSTOMER": func(g *gen) Value { return yn(g.chance(133, 15)) },
	"UF_CRM_BUDGET": func(g *gen) Value {
		return g.orNull(147, 30, func() Value { return Str(money(int64(g.intn(148, 100000)) * 100)) })
	},
}

// personGens: contacts' names, birthdays, addresses and multifield flags,
// and the custom string fields.
var personGens = merge(map[string]func(*gen) Value{
	"HONORIFIC":     func(g *gen) Value { return g.orNull(134, 50, func() Value { return Str(g.pick(135, honorifics)) }) },
	"NAME":          func(g *gen) Value { return Str(g.pick(1, firstNames)) },
	"LAST_NAME":     func(g *gen) Value { return Str(g.pick(2, lastNames)) },
	"POST":          func(g *gen) Value { return Str(g.pick(136, posts)) },
	"COMPANY_TITLE": func(g *gen) Value { return Str(g.pick(115, companyW1) + " " + g.pick(116, companyW2)) },
	"BIRTHDATE": func(g *gen) Value {
		return g.orEmpty(137, 50, func() Value {
			return g.date(time.Date(1960+g.intn(138, 40), time.Month(1+g.intn(139, 12)), 1+g.intn(140, 28), 0, 0, 0, 0, time.UTC))
		})
	},
	"HAS_PHONE": func(g *gen) Value { return hasType(g.multifields(), "PHONE") },
	"HAS_EMAIL": func(g *gen) Value { return hasType(g.multifields(), "EMAIL") },
	"ADDRESS": func(g *gen) Value {
		return g.orNull(141, 50, func() Value { return Str(fmt.Sprintf("%d Main Street", 1+g.intn(142, 200))) })
	},
	"ADDRESS_CITY": func(g *gen) Value { return g.orNull(141, 50, func() Value { return Str(g.pick(143, cities)) }) },
	"ADDRESS_POSTAL_CODE": func(g *gen) Value {
		return g.orNull(141, 50, func() Value { return Str(fmt.Sprintf("%05d", g.intn(144, 99999))) })
	},
}, same(func(g *gen) Value {
	return g.orEmpty(145, 40, func() Value { return Str("Custom value " + itoa(int64(g.intn(146, 100)))) })
}, "UF_CRM_1721244482250", "UF_CRM_1720697698689", "UF_CRM_1720019876534", "UF_CRM_1721244707107"))

// taskGens: the tasks' own fields.
var taskGens = map[string]func(*gen) Value{
	"DESCRIPTION": func(g *gen) Value { return Str("Task description with [B]formatting[/B] #" + itoa(g.id)) },
	"PRIORITY":    func(g *gen) Value { return Str([]string{"0", "1", "1", "1", "2"}[g.intn(150, 5)]) },
	"STATUS":      func(g *gen) Value { return Str(g.taskStatus()) },
	"DEADLINE": func(g *gen) Value {
		return g.orNull(151, 40, func() Value {
			return g.datetime(g.created().Add(time.Duration(1+g.intn(152, 30)) * 24 * time.Hour))
		})
	},
	"GUID": func(g *gen) Value {
		h, h2 := g.n(153), g.n(154)
		return Str(fmt.Sprintf("{%08x-%04x-%04x-%04x-%012x}", uint32(h), uint16(h>>32), uint16(h>>48), uint16(h2), h2>>16&0xffffffffffff))
	},
	"TASK_CONTROL": func(g *gen) Value { return yn(g.chance(155, 20)) },
	"AUDITORS": func(g *gen) Value {
		if g.chance(156, 60) {
			return List(nil)
		}
		return List([]string{g.user(157).S})
	},
	"UF_CRM_TASK": func(g *gen) Value {
		d := g.ref(158, Deal, 50)
		if d.Null {
			return List(nil)
		}
		return List([]string{"D_" + d.S})
	},
}
