package b24test

// tasks.task.getFields (result.fields: UPPER_SNAKE names, each with title and
// type; Y/N flags are "enum" with values Y and N, lists "array", the CRM
// binding "crm"; no multiplicity) and user.fields (result: name → title
// only, no types), as a real portal answers them.

import (
	"github.com/b24go/b24/b24test/internal/store"
	"github.com/b24go/b24/internal/php"
)

// taskEnumValues are the values the portal lists for the task enums that
// are not Y/N flags.
var taskEnumValues = map[string][][2]string{
	"PRIORITY": {{"2", "High"}, {"1", "Medium"}, {"0", "Low"}},
	"STATUS":   {{"2", "Pending"}, {"3", "In Progress"}, {"4", "Awaiting Control"}, {"5", "Completed"}, {"6", "Deferred"}},
}

func (h *tasks) getFields(c *Call) (Result, *Error) {
	fields := php.NewArray()
	for _, fd := range h.sc.Fields {
		d := php.NewArray()
		d.Set("title", fd.Title)
		typ := fd.Type
		values := taskEnumValues[fd.Name]
		switch {
		case fd.Name == "MATCH_WORK_TIME":
			typ = "integer" // as the portal describes it, though its value is "Y" or "N"
		case fd.Kind == store.KindChar:
			typ, values = "enum", [][2]string{{"Y", "Yes"}, {"N", "No"}}
		}
		d.Set("type", typ)
		if fd.Name == "ID" {
			d.Set("primary", true)
		}
		if fd.Required {
			d.Set("required", true)
		}
		if len(values) > 0 {
			v := php.NewArray()
			for _, kv := range values {
				v.Set(kv[0], kv[1])
			}
			d.Set("values", v)
		}
		fields.Set(fd.Name, d)
	}
	out := php.NewArray()
	out.Set("fields", fields)
	return Value(out), nil
}

// userFieldTitles are user.fields' names and titles, in the portal's order.
var userFieldTitles = [][2]string{
	{"ID", "ID"}, {"XML_ID", "External code"}, {"ACTIVE", "Activity"}, {"NAME", "First Name"},
	{"LAST_NAME", "Last Name"}, {"SECOND_NAME", "Middle Name"}, {"TITLE", "User List"}, {"EMAIL", "E-Mail"},
	{"LAST_LOGIN", "Last Login"}, {"DATE_REGISTER", "Registration Date"}, {"TIME_ZONE", "TIME_ZONE"},
	{"IS_ONLINE", "IS_ONLINE"}, {"TIMESTAMP_X", "TIMESTAMP_X"}, {"LAST_ACTIVITY_DATE", "LAST_ACTIVITY_DATE"},
	{"PERSONAL_GENDER", "Gender"}, {"PERSONAL_PROFESSION", "Profession"}, {"PERSONAL_WWW", "Homepage"},
	{"PERSONAL_BIRTHDAY", "Birthday"}, {"PERSONAL_PHOTO", "Photo"}, {"PERSONAL_PHONE", "Personal Phone"},
	{"PERSONAL_MOBILE", "Personal Mobile"}, {"PERSONAL_CITY", "City of Residence"}, {"PERSONAL_COUNTRY", "Country"},
	{"WORK_PHONE", "Company Phone"}, {"WORK_COMPANY", "Company"}, {"WORK_POSITION", "Position"},
	{"WORK_DEPARTMENT", "Department"}, {"UF_EMPLOYMENT_DATE", "Employment Date"}, {"UF_DEPARTMENT", "Departments"},
	{"UF_PHONE_INNER", "Internal Phone"}, {"USER_TYPE", "USER_TYPE"},
}

func userFields(*Call) (Result, *Error) {
	out := php.NewArray()
	for _, kv := range userFieldTitles {
		out.Set(kv[0], kv[1])
	}
	return Value(out), nil
}
