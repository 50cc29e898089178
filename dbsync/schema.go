package dbsync

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/b24go/b24"
)

// field is one field as the portal describes it.
type field struct {
	Name     string // the key in list rows
	Type     string // logical type (logicalType)
	Multiple bool
}

// column is a field's column, as recorded in the state's name map.
type column struct {
	field
	Col string // column name (the field's, unless too long or colliding)
}

// logicalType maps a *.fields type to a column's logical type: integer,
// numeric, date, timestamptz, boolean, json (multiple and composite values)
// or text.
func logicalType(portalType string, multiple bool) string {
	if multiple {
		return "json"
	}
	switch portalType {
	case "integer", "user", "employee", "crm_contact", "crm_company", "crm_lead", "crm_deal", "crm_category":
		return "integer"
	case "double": // OPPORTUNITY and the like; a money user field is "amount|currency": text
		return "numeric"
	case "date":
		return "date"
	case "datetime":
		return "timestamptz"
	case "char", "boolean":
		return "boolean"
	case "crm_multifield", "file", "address", "crm", "location", "iblock_section", "iblock_element":
		return "json"
	}
	return "text"
}

// fieldsMeta is one entry of a *.fields answer.
type fieldsMeta struct {
	Type       string `json:"type"`
	IsMultiple bool   `json:"isMultiple"`
}

// fetchFields reads the entity's fields with their types (for an entity
// without *.fields: nil, columns come from the rows).
func fetchFields(ctx context.Context, api *b24.API, e entity) ([]field, error) {
	if e.fields == "" {
		return nil, nil
	}
	resp, err := api.Call(ctx, e.fields, e.withParams(nil))
	if err != nil {
		return nil, fmt.Errorf("dbsync: %s: %w", e.fields, err)
	}
	return decodeFields(e, resp.Result)
}

// decodeFields reads a *.fields answer (under fieldsKey when set).
func decodeFields(e entity, raw json.RawMessage) ([]field, error) {
	if e.fieldsKey != "" {
		var wrap map[string]json.RawMessage
		if err := json.Unmarshal(raw, &wrap); err != nil {
			return nil, fmt.Errorf("dbsync: %s: %w", e.fields, err)
		}
		raw = wrap[e.fieldsKey]
	}
	return parseFields(e, raw)
}

// inferredType types a column for a key *.fields did not describe (the
// task's derived keys such as responsible): the id an integer, the change
// time a timestamp, others text.
func inferredType(e entity, name string) string {
	switch {
	case name == e.idKey:
		return "integer"
	case name == e.modKey:
		return "timestamptz"
	}
	return "text"
}

// columnName gives a field its column: its own name unless that is too long
// or collides (case-insensitively: SQLite ignores case) with a name taken;
// then a prefix and a hash of the name.
func columnName(fieldName string, taken map[string]bool, maxLen int) string {
	if len(fieldName) <= maxLen && !taken[strings.ToLower(fieldName)] {
		return fieldName
	}
	h := fnv.New32a()
	h.Write([]byte(fieldName))
	suffix := "_" + strconv.FormatUint(uint64(h.Sum32()), 36)
	for n := 0; ; n++ {
		s := suffix
		if n > 0 {
			s += "_" + strconv.Itoa(n)
		}
		base := fieldName
		if len(base)+len(s) > maxLen {
			base = base[:maxLen-len(s)]
		}
		if c := base + s; !taken[strings.ToLower(c)] {
			return c
		}
	}
}

// legacySelect is a legacy CRM walk's select: every field but the user
// fields by name (hidden ones are returned only so), and UF_*.
func legacySelect(fields []field) []string {
	out := []string{}
	for _, f := range fields {
		if !strings.HasPrefix(f.Name, "UF_") {
			out = append(out, f.Name)
		}
	}
	return append(out, "UF_*")
}
