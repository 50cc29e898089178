package dbsync

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// parseFields reads an entity's *.fields answer (its fieldsKey unwrapped)
// into typed fields named as the list answers them.
func parseFields(e entity, raw json.RawMessage) ([]field, error) {
	var out []field
	var err error
	switch e.name {
	case "tasks.task":
		out, err = taskFields(raw)
	case "user":
		out, err = userFields(raw)
	default:
		out, err = crmFields(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("dbsync: %s: not a field map: %w", e.fields, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func crmFields(raw json.RawMessage) ([]field, error) {
	var m map[string]fieldsMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := make([]field, 0, len(m))
	for name, fm := range m {
		if name != "" {
			out = append(out, field{Name: name, Type: logicalType(fm.Type, fm.IsMultiple), Multiple: fm.IsMultiple})
		}
	}
	return out, nil
}

// taskFieldMeta is one entry of tasks.task.getFields: a type, and for an
// enum its values (an object, or a list for DURATION_TYPE); no multiplicity.
type taskFieldMeta struct {
	Type   string          `json:"type"`
	Values json.RawMessage `json:"values"`
}

// taskTypeOverrides are task fields whose described type is not what
// tasks.task.list answers: MATCH_WORK_TIME is described as an integer and
// holds "Y"/"N"; FORKED_BY_TEMPLATE_ID is described as a Y/N enum and holds
// a template's id or null.
var taskTypeOverrides = map[string]string{"MATCH_WORK_TIME": "boolean", "FORKED_BY_TEMPLATE_ID": "text"}

// taskFields types tasks.task.getFields' fields (UPPER_SNAKE names) under
// the camelCase names tasks.task.list answers. User fields are JSON when
// composite (crm, files) and text otherwise: the answer does not say which
// are multiple, and a multiple one holds a list.
func taskFields(raw json.RawMessage) ([]field, error) {
	var m map[string]taskFieldMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := make([]field, 0, len(m))
	for name, fm := range m {
		if name != "" {
			out = append(out, field{Name: camelName(name), Type: taskType(name, fm)})
		}
	}
	return out, nil
}

func taskType(name string, fm taskFieldMeta) string {
	if t, ok := taskTypeOverrides[name]; ok {
		return t
	}
	switch fm.Type {
	case "array", "crm", "disk_file", "file", "address":
		return "json"
	}
	if strings.HasPrefix(name, "UF_") {
		return "text"
	}
	switch fm.Type {
	case "integer":
		return "integer"
	case "double":
		return "numeric"
	case "date":
		return "date"
	case "datetime":
		return "timestamptz"
	case "enum":
		if yesNo(fm.Values) {
			return "boolean"
		}
	}
	return "text"
}

// yesNo reports whether an enum's values are exactly Y and N.
func yesNo(values json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(values, &m) != nil || len(m) != 2 {
		return false
	}
	_, y := m["Y"]
	_, n := m["N"]
	return y && n
}

// userTypes types user.get's fields by name: user.fields gives titles only.
// LAST_ACTIVITY_DATE and TIMESTAMP_X are text: the portal answers them
// without an offset ("2024-07-23 08:08:50") or as an empty object.
var userTypes = map[string]string{
	"ID": "integer", "ACTIVE": "boolean", "IS_ONLINE": "boolean",
	"LAST_LOGIN": "timestamptz", "DATE_REGISTER": "timestamptz",
	"PERSONAL_BIRTHDAY": "date", "UF_EMPLOYMENT_DATE": "date", "UF_DEPARTMENT": "json",
}

// userFields reads user.fields (name → title) and types each field by
// userTypes, text when not listed.
func userFields(raw json.RawMessage) ([]field, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := make([]field, 0, len(m))
	for name := range m {
		if name == "" {
			continue
		}
		t := userTypes[name]
		if t == "" {
			t = "text"
		}
		out = append(out, field{Name: name, Type: t})
	}
	return out, nil
}

// camelName is the name tasks.task.list gives an UPPER_SNAKE field:
// CHANGED_DATE → changedDate, UF_CRM_TASK → ufCrmTask; a part that starts
// with a digit keeps its underscore in a user field (UF_AUTO_123 → ufAuto_123).
func camelName(name string) string {
	var b strings.Builder
	uf := strings.HasPrefix(name, "UF_")
	for i, p := range strings.Split(strings.ToLower(name), "_") {
		switch {
		case p == "":
		case i == 0:
			b.WriteString(p)
		case p[0] >= '0' && p[0] <= '9':
			if uf {
				b.WriteByte('_')
			}
			b.WriteString(p)
		default:
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}
