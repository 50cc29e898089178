package main

import (
	"encoding/json"
	"testing"
)

// TestFetchFields: crm.deal.fields in the portal's order, user fields
// (UF_*) included and titled by their label.
func TestFetchFields(t *testing.T) {
	p := newPortal(t)
	fs, err := fetchFields(t.Context(), p.s.Hook().V2(), "crm.deal", nil)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]fieldInfo{}
	for _, f := range fs {
		by[f.Code] = f
	}
	if len(fs) == 0 || fs[0].Code != "ID" {
		t.Fatalf("first field %v, want ID first as the portal sends it", fs[:min(1, len(fs))])
	}
	if f := by["ID"]; !f.ReadOnly || f.Type != "integer" || f.UserField {
		t.Errorf("ID: %+v", f)
	}
	uf, ok := by["UF_CRM_1721244482250"]
	if !ok || !uf.UserField || uf.Title != "Greeting" {
		t.Errorf("user field: %+v (listed %v)", uf, ok)
	}
}

func TestDecodeFields(t *testing.T) {
	cases := []struct {
		name, raw string
		want      []fieldInfo
	}{
		{"v2", `{"TITLE":{"type":"string","isRequired":true,"title":"Name"},"UF_X":{"type":"enumeration","isMultiple":true,"isDynamic":true,"title":"UF_X","listLabel":"Colour"}}`,
			[]fieldInfo{{Code: "TITLE", Type: "string", Title: "Name", Required: true}, {Code: "UF_X", Type: "enumeration", Title: "Colour", Multiple: true, UserField: true}}},
		{"wrapped", `{"fields":{"id":{"type":"integer","isReadOnly":true,"title":"ID"}}}`,
			[]fieldInfo{{Code: "id", Type: "integer", Title: "ID", ReadOnly: true}}},
		{"upper", `{"NAME":{"TYPE":"string","TITLE":"Name","REQUIRED":true}}`,
			[]fieldInfo{{Code: "NAME", Type: "string", Title: "Name", Required: true}}},
	}
	for _, c := range cases {
		got, err := decodeFields(json.RawMessage(c.raw))
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%s: %v %v", c.name, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %+v, want %+v", c.name, got[i], c.want[i])
			}
		}
	}
	for _, bad := range []string{`[]`, `"x"`, `{"A":1}`} {
		if _, err := decodeFields(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
