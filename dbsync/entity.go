package dbsync

import (
	"fmt"
	"strconv"
)

// entity describes how one kind of record is listed, described and filtered.
type entity struct {
	name, table string
	list        string         // the list method
	fields      string         // the *.fields method ("" when none gives types)
	params      map[string]any // parameters every call carries (entityTypeId)
	rowsKey     string         // where a list's rows are in result ("" = result itself)
	fieldsKey   string         // where *.fields puts the fields ("" = result itself)
	idKey       string         // the id's key in rows
	idFilter    string         // the id's key in filter, order and select
	// modKey/modFilter are the modification time's key in rows and in
	// filters; "" when the entity has no filterable one (a full walk each run).
	modKey, modFilter string
	// selectAll is the select of a walk: explicit names are added for the
	// fields "*" leaves out (multifields).
	selectAll []string
	// legacy is a legacy CRM entity: its walk selects every field by name.
	legacy bool
}

var multifields = []string{"PHONE", "EMAIL", "WEB", "IM", "LINK"}

// lookupEntity returns the entity named by a sync's Options.
func lookupEntity(name string, entityTypeID int) (entity, error) {
	switch name {
	case "crm.deal", "crm.contact", "crm.company", "crm.lead":
		e := entity{name: name, list: name + ".list", fields: name + ".fields", idKey: "ID", idFilter: "ID",
			modKey: "DATE_MODIFY", modFilter: "DATE_MODIFY", selectAll: []string{"*", "UF_*"}, legacy: true}
		if name != "crm.deal" {
			e.selectAll = append(e.selectAll, multifields...)
		}
		e.table = map[string]string{"crm.deal": "crm_deal", "crm.contact": "crm_contact",
			"crm.company": "crm_company", "crm.lead": "crm_lead"}[name]
		return e, nil
	case "crm.item":
		if entityTypeID <= 0 {
			return entity{}, fmt.Errorf("%w: crm.item needs an entityTypeId", ErrInvalidOptions)
		}
		return entity{name: name, table: "crm_item_" + strconv.Itoa(entityTypeID), list: "crm.item.list",
			fields: "crm.item.fields", params: map[string]any{"entityTypeId": entityTypeID},
			rowsKey: "items", fieldsKey: "fields", idKey: "id", idFilter: "id",
			modKey: "updatedTime", modFilter: "updatedTime", selectAll: []string{"*"}}, nil
	case "tasks.task":
		return entity{name: name, table: "tasks_task", list: "tasks.task.list", rowsKey: "tasks",
			fields: "tasks.task.getFields", fieldsKey: "fields", idKey: "id", idFilter: "ID", modKey: "changedDate", modFilter: "CHANGED_DATE",
			selectAll: []string{"*", "UF_*"}}, nil
	case "user":
		// user.get has no filterable modification time: a full walk every run.
		return entity{name: name, table: "user", list: "user.get", fields: "user.fields", idKey: "ID", idFilter: "ID"}, nil
	}
	return entity{}, fmt.Errorf("%w: unknown entity %q (crm.deal, crm.contact, crm.company, crm.lead, crm.item, tasks.task, user)", ErrInvalidOptions, name)
}

// withParams returns the entity's fixed parameters plus extra.
func (e entity) withParams(extra map[string]any) map[string]any {
	p := make(map[string]any, len(e.params)+len(extra))
	for k, v := range e.params {
		p[k] = v
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// order returns the parameters that walk the list in ascending id order
// (user.get takes sort and order as top-level strings).
func (e entity) order() map[string]any {
	if e.name == "user" {
		return map[string]any{"sort": e.idFilter, "order": "ASC"}
	}
	return map[string]any{"order": map[string]string{e.idFilter: "ASC"}}
}
