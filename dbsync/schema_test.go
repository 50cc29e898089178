package dbsync

import (
	"strings"
	"testing"
)

// TestColumnName: a name that fits and is free is kept; a long one or one
// colliding case-insensitively gets a prefix and a hash, within the limit
// and distinct from every name taken.
func TestColumnName(t *testing.T) {
	taken := map[string]bool{"id": true}
	long := "UF_CRM_" + strings.Repeat("X", 80)
	long2 := "UF_CRM_" + strings.Repeat("X", 79) + "Y"
	for _, tt := range []struct {
		name string
		keep bool
	}{{"TITLE", true}, {"id", false}, {"Title", false}, {long, false}, {long2, false}} {
		c := columnName(tt.name, taken, 63)
		if (c == tt.name) != tt.keep || len(c) > 63 || taken[strings.ToLower(c)] {
			t.Errorf("%s → %s (keep %v)", tt.name, c, tt.keep)
		}
		taken[strings.ToLower(c)] = true
	}
}

// TestLogicalType: the *.fields types map to the documented column types;
// multiple fields are JSON whatever their type.
func TestLogicalType(t *testing.T) {
	for in, want := range map[string]string{"integer": "integer", "user": "integer", "double": "numeric",
		"money": "text", "date": "date", "datetime": "timestamptz", "char": "boolean", "boolean": "boolean",
		"crm_multifield": "json", "string": "text", "crm_status": "text", "enumeration": "text"} {
		if got := logicalType(in, false); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
	if got := logicalType("integer", true); got != "json" {
		t.Errorf("multiple integer → %s", got)
	}
}
