package store

import (
	"strconv"
	"strings"
)

// Entity names a kind of record. The CRM values equal the portal's entityTypeId.
type Entity uint8

// The entities the store holds.
const (
	Lead    Entity = 1
	Deal    Entity = 2
	Contact Entity = 3
	Company Entity = 4
	Task    Entity = 5
	// Smart is a smart process (a dynamic type, entityTypeId 128), served
	// by crm.item only; never seeded.
	Smart Entity = 128
)

// Entities lists every entity in a fixed order.
var Entities = []Entity{Lead, Deal, Contact, Company, Task}

func (e Entity) String() string {
	switch e {
	case Lead:
		return "lead"
	case Deal:
		return "deal"
	case Contact:
		return "contact"
	case Company:
		return "company"
	case Task:
		return "task"
	case Smart:
		return "smart"
	}
	return "entity" + strconv.Itoa(int(e))
}

// Kind is how a field's values compare and how typed renderings (crm.item, v3) show them.
type Kind uint8

// Field kinds.
const (
	KindString   Kind = iota // text, compared case-insensitively
	KindInt                  // integer (ids, references, users), compared numerically
	KindFloat                // money and other decimals, compared numerically
	KindChar                 // "Y"/"N"
	KindDate                 // date shown as a datetime at midnight UTC
	KindDateTime             // ISO 8601 datetime with offset
	KindList                 // a list of strings (CONTACT_IDS, AUDITORS)
	KindMulti                // a multifield (PHONE, EMAIL, WEB, IM, LINK): rows of Multi
)

// Field describes one field of an entity: its names, kind and the metadata of *.fields.
type Field struct {
	Name       string // UPPER_SNAKE name of the legacy methods
	Camel      string // camelCase name of crm.item and tasks
	Kind       Kind
	Type       string // portal type name: string, integer, double, char, date, datetime, crm_status, user, ...
	Title      string
	StatusType string
	Parent     int // settings.parentEntityTypeId, 0 when none
	ReadOnly   bool
	Required   bool
	Immutable  bool
	Multiple   bool
	Deprecated bool
	Custom     bool // a UF_* field
	Hidden     bool // not part of "*": returned only when selected by name
}

// Schema is the field list of an entity.
type Schema struct {
	Entity Entity
	Fields []Field
	index  map[string]int
}

// Lookup finds a field by its UPPER or camelCase name (exact), or case-insensitively
// by its UPPER name.
func (s *Schema) Lookup(name string) (int, bool) {
	if i, ok := s.index[name]; ok {
		return i, true
	}
	i, ok := s.index[strings.ToUpper(name)]
	return i, ok
}

// Field returns the field with the given name.
func (s *Schema) Field(name string) (Field, bool) {
	i, ok := s.Lookup(name)
	if !ok {
		return Field{}, false
	}
	return s.Fields[i], true
}

// Camel converts an UPPER_SNAKE name to the camelCase the portal uses:
// ASSIGNED_BY_ID → assignedById, PARENT_ID_1220 → parentId1220, UF_CRM_1721244482250 → ufCrm_1721244482250.
func Camel(name string) string {
	parts := strings.Split(strings.ToLower(name), "_")
	var b strings.Builder
	uf := strings.HasPrefix(name, "UF_")
	for i, p := range parts {
		if p == "" {
			continue
		}
		if i == 0 {
			b.WriteString(p)
			continue
		}
		if p[0] >= '0' && p[0] <= '9' {
			if uf {
				b.WriteByte('_')
			}
			b.WriteString(p)
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

// f builds a Field from a compact description: options are ro, req, imm, mul, dep, hid,
// st=STATUS_TYPE, parent=N, camel=name.
func f(name string, kind Kind, typ, title string, opts ...string) Field {
	fd := Field{Name: name, Camel: Camel(name), Kind: kind, Type: typ, Title: title}
	for _, o := range opts {
		switch {
		case o == "ro":
			fd.ReadOnly = true
		case o == "req":
			fd.Required = true
		case o == "imm":
			fd.Immutable = true
		case o == "mul":
			fd.Multiple = true
		case o == "dep":
			fd.Deprecated = true
		case o == "hid":
			fd.Hidden = true
		case strings.HasPrefix(o, "st="):
			fd.StatusType = o[3:]
		case strings.HasPrefix(o, "parent="):
			fd.Parent, _ = strconv.Atoi(o[7:])
		case strings.HasPrefix(o, "camel="):
			fd.Camel = o[6:]
		}
	}
	if strings.HasPrefix(name, "UF_") {
		fd.Custom = true
	}
	return fd
}

func newSchema(e Entity, fields []Field) *Schema {
	s := &Schema{Entity: e, Fields: fields, index: make(map[string]int, 2*len(fields))}
	for i, fd := range fields {
		s.index[fd.Name] = i
		if _, dup := s.index[fd.Camel]; !dup {
			s.index[fd.Camel] = i
		}
	}
	return s
}

// common field groups
func utmFields() []Field {
	return []Field{
		f("UTM_SOURCE", KindString, "string", "Advertising System"),
		f("UTM_MEDIUM", KindString, "string", "Traffic Type"),
		f("UTM_CAMPAIGN", KindString, "string", "Campaign Identifier"),
		f("UTM_CONTENT", KindString, "string", "Campaign Content"),
		f("UTM_TERM", KindString, "string", "Campaign Search Condition"),
	}
}

func multiFields() []Field {
	return []Field{
		f("PHONE", KindMulti, "crm_multifield", "Phone", "mul"),
		f("EMAIL", KindMulti, "crm_multifield", "E-mail", "mul"),
		f("WEB", KindMulti, "crm_multifield", "Website", "mul"),
		f("IM", KindMulti, "crm_multifield", "Messenger", "mul"),
		f("LINK", KindMulti, "crm_multifield", "LINK", "mul"),
	}
}

func cat(groups ...[]Field) []Field {
	var out []Field
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var schemas = map[Entity]*Schema{
	Smart: newSchema(Smart, []Field{
		f("ID", KindInt, "integer", "ID", "ro"),
		f("XML_ID", KindString, "string", "External ID"),
		f("TITLE", KindString, "string", "Name"),
		f("CATEGORY_ID", KindInt, "crm_category", "Pipeline", "imm"),
		f("STAGE_ID", KindString, "crm_status", "Stage"),
		f("ASSIGNED_BY_ID", KindInt, "user", "Responsible"),
		f("CREATED_BY_ID", KindInt, "user", "Created By", "ro", "camel=createdBy"),
		f("MODIFY_BY_ID", KindInt, "user", "Modified By", "ro", "camel=updatedBy"),
		f("DATE_CREATE", KindDateTime, "datetime", "Created on", "ro", "camel=createdTime"),
		f("DATE_MODIFY", KindDateTime, "datetime", "Modified on", "ro", "camel=updatedTime"),
		f("OPPORTUNITY", KindFloat, "double", "Amount"),
		f("CURRENCY_ID", KindString, "crm_currency", "Currency"),
		f("OPENED", KindChar, "char", "Available to All"),
	}),
	Deal: newSchema(Deal, cat([]Field{
		f("ID", KindInt, "integer", "ID", "ro"),
		f("TITLE", KindString, "string", "Title"),
		f("TYPE_ID", KindString, "crm_status", "Type", "st=DEAL_TYPE"),
		f("STAGE_ID", KindString, "crm_status", "Deal Stage", "st=DEAL_STAGE"),
		f("PROBABILITY", KindInt, "integer", "Probability"),
		f("CURRENCY_ID", KindString, "crm_currency", "Currency"),
		f("OPPORTUNITY", KindFloat, "double", "Amount"),
		f("IS_MANUAL_OPPORTUNITY", KindChar, "char", "IS_MANUAL_OPPORTUNITY"),
		f("TAX_VALUE", KindFloat, "double", "Tax Rate"),
		f("LEAD_ID", KindInt, "crm_lead", "Lead", "ro", "parent=1"),
		f("COMPANY_ID", KindInt, "crm_company", "Company", "parent=4"),
		f("CONTACT_ID", KindInt, "crm_contact", "Contact", "dep"),
		f("CONTACT_IDS", KindList, "crm_contact", "Contacts", "mul", "hid"),
		f("QUOTE_ID", KindInt, "crm_quote", "Estimate", "ro", "parent=7"),
		f("BEGINDATE", KindDate, "date", "Start Date", "camel=begindate"),
		f("CLOSEDATE", KindDate, "date", "Close Date", "camel=closedate"),
		f("ASSIGNED_BY_ID", KindInt, "user", "Responsible"),
		f("CREATED_BY_ID", KindInt, "user", "Created By", "ro", "camel=createdBy"),
		f("MODIFY_BY_ID", KindInt, "user", "Modified By", "ro", "camel=updatedBy"),
		f("DATE_CREATE", KindDateTime, "datetime", "Creation Date", "ro", "camel=createdTime"),
		f("DATE_MODIFY", KindDateTime, "datetime", "Modification Date", "ro", "camel=updatedTime"),
		f("OPENED", KindChar, "char", "Available to All"),
		f("CLOSED", KindChar, "char", "Closed"),
		f("COMMENTS", KindString, "string", "Comment"),
		f("ADDITIONAL_INFO", KindString, "string", "Additional Information"),
		f("LOCATION_ID", KindString, "location", "Location"),
		f("CATEGORY_ID", KindInt, "crm_category", "Sales Funnel", "imm"),
		f("STAGE_SEMANTIC_ID", KindString, "string", "Stage Group", "ro"),
		f("IS_NEW", KindChar, "char", "New Deal", "ro"),
		f("IS_RECURRING", KindChar, "char", "Recurring Deal"),
		f("IS_RETURN_CUSTOMER", KindChar, "char", "Repeat Deal"),
		f("IS_REPEATED_APPROACH", KindChar, "char", "Repeated Approach"),
		f("SOURCE_ID", KindString, "crm_status", "Source", "st=SOURCE"),
		f("SOURCE_DESCRIPTION", KindString, "string", "Additional Info about Source"),
		f("ORIGINATOR_ID", KindString, "string", "External Source"),
		f("ORIGIN_ID", KindString, "string", "Identifier in External Source"),
		f("MOVED_BY_ID", KindInt, "user", "MOVED_BY_ID", "ro", "camel=movedBy"),
		f("MOVED_TIME", KindDateTime, "datetime", "MOVED_TIME", "ro"),
		f("LAST_ACTIVITY_TIME", KindDateTime, "datetime", "LAST_ACTIVITY_TIME", "ro"),
	}, utmFields(), []Field{
		f("PARENT_ID_1220", KindInt, "crm_entity", "Parent (Projects)", "parent=1220"),
		f("LAST_ACTIVITY_BY", KindInt, "user", "LAST_ACTIVITY_BY", "ro"),
		f("UF_CRM_1721244482250", KindString, "string", "Greeting"),
		f("UF_CRM_BUDGET", KindFloat, "double", "Budget"),
	})),
	Lead: newSchema(Lead, cat([]Field{
		f("ID", KindInt, "integer", "ID", "ro"),
		f("TITLE", KindString, "string", "Lead Name"),
		f("HONORIFIC", KindString, "crm_status", "Salutation", "st=HONORIFIC"),
		f("NAME", KindString, "string", "First Name"),
		f("SECOND_NAME", KindString, "string", "Middle Name"),
		f("LAST_NAME", KindString, "string", "Last Name"),
		f("COMPANY_TITLE", KindString, "string", "Company Name"),
		f("COMPANY_ID", KindInt, "crm_company", "Company", "parent=4"),
		f("CONTACT_ID", KindInt, "crm_contact", "Contact", "parent=3"),
		f("IS_RETURN_CUSTOMER", KindChar, "char", "Repeat Lead", "ro"),
		f("BIRTHDATE", KindDate, "date", "Date of Birth"),
		f("SOURCE_ID", KindString, "crm_status", "Source", "st=SOURCE"),
		f("SOURCE_DESCRIPTION", KindString, "string", "Source Information"),
		f("STATUS_ID", KindString, "crm_status", "Status", "st=STATUS", "camel=stageId"),
		f("STATUS_DESCRIPTION", KindString, "string", "Additional Status Information"),
		f("POST", KindString, "string", "Position"),
		f("COMMENTS", KindString, "string", "Comment"),
		f("CURRENCY_ID", KindString, "crm_currency", "Currency"),
		f("OPPORTUNITY", KindFloat, "double", "Amount"),
		f("IS_MANUAL_OPPORTUNITY", KindChar, "char", "IS_MANUAL_OPPORTUNITY"),
		f("HAS_PHONE", KindChar, "char", "Has Phone", "ro"),
		f("HAS_EMAIL", KindChar, "char", "Has Email", "ro"),
		f("HAS_IMOL", KindChar, "char", "Has Open Line", "ro"),
		f("ASSIGNED_BY_ID", KindInt, "user", "Responsible"),
		f("CREATED_BY_ID", KindInt, "user", "Created By", "ro", "camel=createdBy"),
		f("MODIFY_BY_ID", KindInt, "user", "Modified By", "ro", "camel=updatedBy"),
		f("DATE_CREATE", KindDateTime, "datetime", "Created", "ro", "camel=createdTime"),
		f("DATE_MODIFY", KindDateTime, "datetime", "Modified", "ro", "camel=updatedTime"),
		f("MOVED_BY_ID", KindInt, "user", "MOVED_BY_ID", "ro", "camel=movedBy"),
		f("MOVED_TIME", KindDateTime, "datetime", "MOVED_TIME", "ro"),
		f("DATE_CLOSED", KindDateTime, "datetime", "Closed", "ro"),
		f("STATUS_SEMANTIC_ID", KindString, "string", "Status Details", "ro", "camel=stageSemanticId"),
		f("OPENED", KindChar, "char", "Available to All"),
		f("ORIGINATOR_ID", KindString, "string", "External Source"),
		f("ORIGIN_ID", KindString, "string", "Identifier in External Source"),
		f("ADDRESS", KindString, "string", "Address"),
		f("ADDRESS_2", KindString, "string", "Address (Line 2)"),
		f("ADDRESS_CITY", KindString, "string", "City"),
		f("ADDRESS_POSTAL_CODE", KindString, "string", "Postal Code"),
		f("ADDRESS_REGION", KindString, "string", "Region"),
		f("ADDRESS_PROVINCE", KindString, "string", "Province"),
		f("ADDRESS_COUNTRY", KindString, "string", "Country"),
		f("ADDRESS_COUNTRY_CODE", KindString, "string", "Country Code"),
		f("ADDRESS_LOC_ADDR_ID", KindInt, "integer", "Location Address ID"),
	}, utmFields(), []Field{
		f("LAST_ACTIVITY_TIME", KindDateTime, "datetime", "Last Activity", "ro"),
		f("LAST_ACTIVITY_BY", KindInt, "user", "Last Activity By", "ro"),
		f("UF_CRM_1720019876534", KindString, "string", "Lead Code"),
	}, multiFields())),
	Contact: newSchema(Contact, cat([]Field{
		f("ID", KindInt, "integer", "ID", "ro"),
		f("HONORIFIC", KindString, "crm_status", "Salutation", "st=HONORIFIC"),
		f("NAME", KindString, "string", "First Name", "req"),
		f("SECOND_NAME", KindString, "string", "Middle Name", "req"),
		f("LAST_NAME", KindString, "string", "Last Name", "req"),
		f("PHOTO", KindString, "file", "Photo"),
		f("BIRTHDATE", KindDate, "date", "Birthdate"),
		f("TYPE_ID", KindString, "crm_status", "Contact Type", "st=CONTACT_TYPE"),
		f("SOURCE_ID", KindString, "crm_status", "Source", "st=SOURCE"),
		f("SOURCE_DESCRIPTION", KindString, "string", "Additional Source Information"),
		f("POST", KindString, "string", "Position"),
		f("ADDRESS", KindString, "string", "Address"),
		f("ADDRESS_2", KindString, "string", "Address (Line 2)"),
		f("ADDRESS_CITY", KindString, "string", "City"),
		f("ADDRESS_POSTAL_CODE", KindString, "string", "Postal Code"),
		f("ADDRESS_REGION", KindString, "string", "Region"),
		f("ADDRESS_PROVINCE", KindString, "string", "Province"),
		f("ADDRESS_COUNTRY", KindString, "string", "Country"),
		f("ADDRESS_COUNTRY_CODE", KindString, "string", "Country Code", "hid"),
		f("ADDRESS_LOC_ADDR_ID", KindInt, "integer", "Location Address ID"),
		f("COMMENTS", KindString, "string", "Comment"),
		f("OPENED", KindChar, "char", "Available to All"),
		f("EXPORT", KindChar, "char", "Participates in Contact Export"),
		f("HAS_PHONE", KindChar, "char", "Phone Set", "ro"),
		f("HAS_EMAIL", KindChar, "char", "E-mail Set", "ro"),
		f("HAS_IMOL", KindChar, "char", "Open Line Set", "ro"),
		f("ASSIGNED_BY_ID", KindInt, "user", "Responsible Person"),
		f("CREATED_BY_ID", KindInt, "user", "Created By", "ro", "camel=createdBy"),
		f("MODIFY_BY_ID", KindInt, "user", "Modified By", "ro", "camel=updatedBy"),
		f("DATE_CREATE", KindDateTime, "datetime", "Creation Date", "ro", "camel=createdTime"),
		f("DATE_MODIFY", KindDateTime, "datetime", "Modification Date", "ro", "camel=updatedTime"),
		f("COMPANY_ID", KindInt, "crm_company", "Company", "dep"),
		f("COMPANY_IDS", KindList, "crm_company", "COMPANY_IDS", "mul", "hid"),
		f("LEAD_ID", KindInt, "crm_lead", "Lead", "ro", "parent=1"),
		f("ORIGINATOR_ID", KindString, "string", "External Source"),
		f("ORIGIN_ID", KindString, "string", "Identifier in External Source"),
		f("ORIGIN_VERSION", KindString, "string", "Original Version"),
		f("FACE_ID", KindInt, "integer", "FACE_ID", "ro"),
	}, utmFields(), []Field{
		f("PARENT_ID_1224", KindInt, "crm_entity", "Parent (Projects)", "parent=1224"),
		f("LAST_ACTIVITY_TIME", KindDateTime, "datetime", "Last Activity", "ro"),
		f("LAST_ACTIVITY_BY", KindInt, "user", "Last Activity By", "ro"),
		f("UF_CRM_1720697698689", KindString, "string", "Nickname"),
	}, multiFields())),
	Company: newSchema(Company, cat([]Field{
		f("ID", KindInt, "integer", "ID", "ro"),
		f("TITLE", KindString, "string", "Company Name", "req"),
		f("COMPANY_TYPE", KindString, "crm_status", "Company Type", "st=COMPANY_TYPE"),
		f("LOGO", KindString, "file", "Logo"),
		f("ADDRESS", KindString, "string", "Address"),
		f("ADDRESS_2", KindString, "string", "Address (Line 2)"),
		f("ADDRESS_CITY", KindString, "string", "City"),
		f("ADDRESS_POSTAL_CODE", KindString, "string", "Postal Code"),
		f("ADDRESS_REGION", KindString, "string", "Region"),
		f("ADDRESS_PROVINCE", KindString, "string", "Province"),
		f("ADDRESS_COUNTRY", KindString, "string", "Country"),
		f("ADDRESS_COUNTRY_CODE", KindString, "string", "Country Code", "hid"),
		f("ADDRESS_LOC_ADDR_ID", KindInt, "integer", "Location Address ID"),
		f("BANKING_DETAILS", KindString, "string", "Payment Details"),
		f("INDUSTRY", KindString, "crm_status", "Industry", "st=INDUSTRY"),
		f("EMPLOYEES", KindString, "crm_status", "Employees", "st=EMPLOYEES"),
		f("CURRENCY_ID", KindString, "crm_currency", "Currency"),
		f("REVENUE", KindFloat, "double", "Annual Revenue"),
		f("OPENED", KindChar, "char", "Available to All"),
		f("COMMENTS", KindString, "string", "Comment"),
		f("HAS_PHONE", KindChar, "char", "Has Phone", "ro"),
		f("HAS_EMAIL", KindChar, "char", "Has Email", "ro"),
		f("HAS_IMOL", KindChar, "char", "Has Open Line", "ro"),
		f("IS_MY_COMPANY", KindChar, "char", "My Company"),
		f("ASSIGNED_BY_ID", KindInt, "user", "Responsible"),
		f("CREATED_BY_ID", KindInt, "user", "Created By", "ro", "camel=createdBy"),
		f("MODIFY_BY_ID", KindInt, "user", "Modified By", "ro", "camel=updatedBy"),
		f("DATE_CREATE", KindDateTime, "datetime", "Created", "ro", "camel=createdTime"),
		f("DATE_MODIFY", KindDateTime, "datetime", "Modified", "ro", "camel=updatedTime"),
		f("CONTACT_ID", KindList, "crm_contact", "Contact", "mul", "hid"),
		f("LEAD_ID", KindInt, "crm_lead", "Lead", "ro", "parent=1"),
		f("ORIGINATOR_ID", KindString, "string", "External Source"),
		f("ORIGIN_ID", KindString, "string", "Identifier in External Source"),
		f("ORIGIN_VERSION", KindString, "string", "Original Version"),
	}, utmFields(), []Field{
		f("LAST_ACTIVITY_TIME", KindDateTime, "datetime", "Last Activity", "ro"),
		f("LAST_ACTIVITY_BY", KindInt, "user", "Last Activity By", "ro"),
		f("UF_CRM_1721244707107", KindString, "string", "Tax Number"),
	}, multiFields())),
	Task: newSchema(Task, []Field{
		f("ID", KindInt, "integer", "ID", "ro"),
		f("PARENT_ID", KindInt, "integer", "Parent task"),
		f("TITLE", KindString, "string", "Name", "req"),
		f("DESCRIPTION", KindString, "string", "Description"),
		f("MARK", KindString, "string", "Rating"),
		f("PRIORITY", KindInt, "enum", "Priority"),
		f("MULTITASK", KindChar, "char", "Multiple responsible"),
		f("NOT_VIEWED", KindChar, "char", "Not viewed", "ro"),
		f("REPLICATE", KindChar, "char", "Repeat task"),
		f("STAGE_ID", KindInt, "integer", "Stage"),
		f("CREATED_BY", KindInt, "integer", "Created by"),
		f("CREATED_DATE", KindDateTime, "datetime", "Created on", "ro"),
		f("RESPONSIBLE_ID", KindInt, "integer", "Assignee"),
		f("CHANGED_BY", KindInt, "integer", "Modified by", "ro"),
		f("CHANGED_DATE", KindDateTime, "datetime", "Modified on", "ro"),
		f("STATUS_CHANGED_BY", KindInt, "integer", "Status changed by", "ro"),
		f("CLOSED_BY", KindInt, "integer", "Closed by", "ro"),
		f("CLOSED_DATE", KindDateTime, "datetime", "Closed on", "ro"),
		f("ACTIVITY_DATE", KindDateTime, "datetime", "Activity date", "ro"),
		f("DATE_START", KindDateTime, "datetime", "Started on"),
		f("DEADLINE", KindDateTime, "datetime", "Deadline"),
		f("START_DATE_PLAN", KindDateTime, "datetime", "Planned start"),
		f("END_DATE_PLAN", KindDateTime, "datetime", "Planned end"),
		f("GUID", KindString, "string", "GUID", "ro"),
		f("XML_ID", KindString, "string", "External ID"),
		f("COMMENTS_COUNT", KindInt, "integer", "Comments", "ro"),
		f("ALLOW_CHANGE_DEADLINE", KindChar, "char", "Assignee can change deadline"),
		f("ALLOW_TIME_TRACKING", KindChar, "char", "Track time"),
		f("TASK_CONTROL", KindChar, "char", "Approve task"),
		f("ADD_IN_REPORT", KindChar, "char", "Add to report"),
		f("TIME_ESTIMATE", KindInt, "integer", "Estimated time"),
		f("MATCH_WORK_TIME", KindChar, "char", "Skip weekends"),
		f("SITE_ID", KindString, "string", "Site"),
		f("DESCRIPTION_IN_BBCODE", KindChar, "char", "Description in BBCode", "ro"),
		f("STATUS", KindInt, "enum", "Status"),
		f("STATUS_CHANGED_DATE", KindDateTime, "datetime", "Status changed on", "ro"),
		f("DURATION_TYPE", KindString, "enum", "Duration type"),
		f("FAVORITE", KindChar, "char", "Favorite"),
		f("GROUP_ID", KindInt, "integer", "Project"),
		f("AUDITORS", KindList, "array", "Observers", "mul"),
		f("ACCOMPLICES", KindList, "array", "Participants", "mul"),
		f("UF_CRM_TASK", KindList, "crm", "CRM items", "mul"),
	}),
}

// SchemaOf returns the schema of an entity (nil for an unknown one).
func SchemaOf(e Entity) *Schema { return schemas[e] }
