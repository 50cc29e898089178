package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/b24go/b24"
)

// fieldInfo is one field as "b24 fields" prints it.
type fieldInfo struct {
	Code      string `json:"code"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Required  bool   `json:"required"`
	ReadOnly  bool   `json:"read_only"`
	Multiple  bool   `json:"multiple"`
	UserField bool   `json:"user_field"`
}

// fieldDesc is a field's description in a *.fields answer.
type fieldDesc struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	ListLabel   string `json:"listLabel"`
	FormLabel   string `json:"formLabel"`
	IsRequired  bool   `json:"isRequired"`
	IsReadOnly  bool   `json:"isReadOnly"`
	IsMultiple  bool   `json:"isMultiple"`
	IsDynamic   bool   `json:"isDynamic"`
	UpperType   string `json:"TYPE"` // the capitalised form some methods use
	UpperTitle  string `json:"TITLE"`
	UpperNeeded bool   `json:"REQUIRED"`
}

// fieldsMethod is the method describing entity's fields: "crm.deal" →
// crm.deal.fields; a name ending in .fields (or tasks.task.getFields) is kept.
func fieldsMethod(entity string) string {
	if strings.HasSuffix(entity, ".fields") || strings.HasSuffix(strings.ToLower(entity), ".getfields") {
		return entity
	}
	return entity + ".fields"
}

// entityOf is the prefix a fields method describes ("crm.deal.fields" → crm.deal).
func entityOf(method string) string {
	i := strings.LastIndexByte(method, '.')
	return method[:max(i, 0)]
}

// fetchFields calls entity's fields method with params and returns its
// fields in the portal's order, user fields (UF_*, isDynamic) included.
func fetchFields(ctx context.Context, api *b24.API, entity string, params map[string]any) ([]fieldInfo, error) {
	method := fieldsMethod(entity)
	var p any
	if len(params) > 0 {
		p = params
	}
	resp, err := api.Call(ctx, method, p)
	if err != nil {
		return nil, err
	}
	out, err := decodeFields(resp.Result)
	if err != nil {
		return nil, fmt.Errorf("%s: unexpected result: %v", method, err)
	}
	return out, nil
}

// decodeFields reads {"CODE": {description}, ...} in order, or the same
// under "fields" (crm.item.fields, tasks.task.getFields).
func decodeFields(raw json.RawMessage) ([]fieldInfo, error) {
	var wrapped struct {
		Fields json.RawMessage `json:"fields"`
	}
	if json.Unmarshal(raw, &wrapped) == nil && len(bytes.TrimSpace(wrapped.Fields)) > 0 && bytes.TrimSpace(wrapped.Fields)[0] == '{' {
		raw = wrapped.Fields
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object of field descriptions")
	}
	var out []fieldInfo
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		code, _ := t.(string)
		var d fieldDesc
		if err := dec.Decode(&d); err != nil {
			return nil, fmt.Errorf("field %s: %v", code, err)
		}
		out = append(out, d.info(code))
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, fmt.Errorf("the object of field descriptions is cut short")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the object of field descriptions")
	}
	return out, nil
}

// info is the printed form of d: a user field's title is its label, the
// portal repeating the code as its title.
func (d fieldDesc) info(code string) fieldInfo {
	f := fieldInfo{Code: code, Type: d.Type, Title: d.Title, Required: d.IsRequired || d.UpperNeeded,
		ReadOnly: d.IsReadOnly, Multiple: d.IsMultiple,
		UserField: d.IsDynamic || strings.HasPrefix(strings.ToUpper(code), "UF_")}
	if f.Type == "" {
		f.Type = d.UpperType
	}
	if f.Title == "" {
		f.Title = d.UpperTitle
	}
	if f.Title == "" || f.Title == code {
		for _, l := range []string{d.ListLabel, d.FormLabel} {
			if l != "" {
				f.Title = l
				break
			}
		}
	}
	return f
}

// fieldRows are fs as table rows.
func fieldRows(fs []fieldInfo) [][]string {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return ""
	}
	rows := make([][]string, len(fs))
	for i, f := range fs {
		uf := ""
		if f.UserField {
			uf = "user"
		}
		rows[i] = []string{f.Code, f.Type, f.Title, yes(f.Required), yes(f.ReadOnly), yes(f.Multiple), uf}
	}
	return rows
}

var fieldHeaders = []string{"CODE", "TYPE", "TITLE", "REQUIRED", "READ-ONLY", "MULTIPLE", "KIND"}
