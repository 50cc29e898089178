package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b24go/b24"
)

// CRMUpdate settles one crm.<entity>.update command (crm.deal.update, ...,
// crm.item.update) by reading the record with the matching get method and
// comparing the written fields (docs/batches.md tells why):
//
//   - done: every field holds the written value, as the portal formats it
//     (numbers by value, true/false as Y/N or 1/0, dates as instants);
//   - not done (safe to send again): every field is a scalar, so that a
//     resend is idempotent, and one provably holds another value (an
//     integer, Y/N or a boolean, or plain text, compared exactly);
//   - an error otherwise: a multifield (a resend would add its rows twice),
//     an array or object, a field the record lacks, or a difference the
//     portal's formatting may explain.
//
// It sees no conflicts; CRMUpdates reads many records back at once and does.
func CRMUpdate(ctx context.Context, api *b24.API, cmd b24.Cmd) (bool, error) {
	entity, id, typeID, fields, err := parseCRMUpdate(cmd)
	if err != nil {
		return false, err
	}
	getParams := map[string]any{"id": id}
	if entity == "item" {
		getParams["entityTypeId"] = typeID
	}
	resp, err := api.Call(ctx, "crm."+entity+".get", getParams)
	if err != nil {
		return false, err
	}
	dec := json.NewDecoder(strings.NewReader(string(resp.Result)))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		return false, fmt.Errorf("reconcile.CRMUpdate: the record is not an object: %w", err)
	}
	if entity == "item" {
		if it, ok := rec["item"].(map[string]any); ok {
			rec = it
		}
	}
	return settleFields(fields, rec)
}

// parseCRMUpdate reads a crm.<entity>.update command: the entity, the
// record id, crm.item's entityTypeId and the written fields.
func parseCRMUpdate(cmd b24.Cmd) (entity, id, typeID string, fields map[string]any, err error) {
	parts := strings.Split(strings.ToLower(cmd.Method), ".")
	if len(parts) != 3 || parts[0] != "crm" || parts[2] != "update" {
		return "", "", "", nil, fmt.Errorf("reconcile.CRMUpdate: %s is not a crm.<entity>.update method", cmd.Method)
	}
	params, err := decodeParams(cmd, "reconcile.CRMUpdate")
	if err != nil {
		return "", "", "", nil, err
	}
	idv, ok := foldGet(params, "id")
	if _, isInt := exactInt(idv); !ok || !isInt {
		return "", "", "", nil, errors.New("reconcile.CRMUpdate: no integer id in params")
	}
	fv, _ := foldGet(params, "fields")
	fields, ok = fv.(map[string]any)
	if !ok || len(fields) == 0 {
		return "", "", "", nil, errors.New("reconcile.CRMUpdate: no fields in params")
	}
	if parts[1] == "item" {
		et, ok := foldGet(params, "entityTypeId")
		if !ok {
			return "", "", "", nil, errors.New("reconcile.CRMUpdate: crm.item.update without entityTypeId")
		}
		typeID = scalarString(et)
	}
	return parts[1], scalarString(idv), typeID, fields, nil
}

// decodeParams reads a command's params as a JSON object, numbers kept as
// json.Number; who names the caller in the error.
func decodeParams(cmd b24.Cmd, who string) (map[string]any, error) {
	raw, err := json.Marshal(cmd.Params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", who, err)
	}
	var params map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil || params == nil {
		return nil, fmt.Errorf("%s: params are not an object", who)
	}
	return params, nil
}

// foldGet looks a key up exactly, then ignoring case and underscores
// (crm.item answers in camelCase, legacy methods in UPPER_SNAKE).
func foldGet(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	nk := norm(key)
	for k, v := range m {
		if norm(k) == nk {
			return v, true
		}
	}
	return nil, false
}

// verdict is what the read-back of one written field shows.
type verdict int

const (
	fieldMatches verdict = iota // the record holds the written value
	fieldDiffers                // the record provably holds another value
	fieldUnclear                // another value, which the portal's formatting may explain
)

// multifields are the CRM fields whose rows without an ID are added: a
// resend would add them twice.
var multifields = []string{"PHONE", "EMAIL", "WEB", "IM", "LINK", "FM"}

// settleFields decides CRMUpdate from the written fields and the
// record read back: done, not done (every field a scalar, one provably
// different), or an error (b24.CommandAmbiguous).
func settleFields(fields, rec map[string]any) (bool, error) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	differs, unclear := "", ""
	for _, k := range keys {
		got, ok := foldGet(rec, k)
		if !ok {
			return false, fmt.Errorf("reconcile.CRMUpdate: the record has no field %s", k)
		}
		v, err := compareField(k, fields[k], got)
		if err != nil {
			return false, fmt.Errorf("reconcile.CRMUpdate: field %s: %w", k, err)
		}
		switch {
		case v == fieldDiffers && differs == "":
			differs = k
		case v == fieldUnclear && unclear == "":
			unclear = k
		}
	}
	switch {
	case differs != "":
		return false, nil
	case unclear != "":
		return false, fmt.Errorf("reconcile.CRMUpdate: field %s holds another value, which the portal's formatting may explain", unclear)
	}
	return true, nil
}

// compareField compares a written field with the record's value. An error
// means a field whose resend is not idempotent or that cannot be compared.
func compareField(name string, want, got any) (verdict, error) {
	norm := strings.ToUpper(strings.ReplaceAll(name, "_", ""))
	if slices.Contains(multifields, norm) {
		return 0, errors.New("a multifield: a row without an ID is added, so a resend could add it twice")
	}
	switch want.(type) {
	case []any, map[string]any:
		return 0, errors.New("an array or object (a list, a file, rows): not compared")
	}
	switch got.(type) {
	case []any, map[string]any:
		return 0, errors.New("the record holds an array or object: not compared")
	}
	if looseEqual(want, got) {
		return fieldMatches, nil
	}
	if provablyDiffer(want, got) {
		return fieldDiffers, nil
	}
	return fieldUnclear, nil
}

// looseEqual compares a written scalar with what the portal returns, as
// the portal formats it.
func looseEqual(want, got any) bool {
	ws, gs := scalarString(want), scalarString(got)
	if ws == gs {
		return true
	}
	if wb, ok := boolish(ws); ok {
		if gb, ok := boolish(gs); ok {
			return wb == gb
		}
	}
	wf, err1 := strconv.ParseFloat(ws, 64)
	gf, err2 := strconv.ParseFloat(gs, 64)
	if err1 == nil && err2 == nil {
		return wf == gf || math.Abs(wf-gf) <= 1e-9*math.Max(math.Abs(wf), math.Abs(gf))
	}
	if gt, err := time.Parse(time.RFC3339, gs); err == nil {
		if wt, err := time.Parse(time.RFC3339, ws); err == nil {
			return wt.Equal(gt)
		}
		if _, err := time.Parse(time.DateOnly, ws); err == nil {
			return strings.HasPrefix(gs, ws)
		}
	}
	return false
}

// provablyDiffer reports whether two values that are not looseEqual are
// different values whatever the portal's formatting: both integers, both
// Y/N or booleans, or plain text against plain text or an empty field.
func provablyDiffer(want, got any) bool {
	if _, ok := exactInt(want); ok {
		_, ok := exactInt(got)
		return ok
	}
	if _, ok := exactBool(want); ok {
		_, ok := exactBool(got)
		return ok
	}
	return plainText(want) && (plainText(got) || got == nil || got == "")
}

var intText = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})$`)

// exactInt reads an integer written as one: 42, "42" (not "042", "42.0").
func exactInt(v any) (string, bool) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	default:
		return "", false
	}
	return s, intText.MatchString(s)
}

// exactBool reads true, false, "Y" or "N".
func exactBool(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch t {
		case "Y":
			return true, true
		case "N":
			return false, true
		}
	}
	return false, false
}

// dateLike matches text a date field may read ("30.08.2024", "8/30/24").
var dateLike = regexp.MustCompile(`[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}`)

// plainText reports whether v is text the portal stores and returns as it
// is: at most 255 bytes of UTF-8 without control characters, markup
// characters or surrounding spaces, and neither a number nor a date.
func plainText(v any) bool {
	s, ok := v.(string)
	if !ok || s == "" || len(s) > 255 || !utf8.ValidString(s) || strings.TrimSpace(s) != s {
		return false
	}
	if strings.ContainsAny(s, "<>&\"'\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	if _, ok := exactBool(s); ok {
		return false
	}
	if _, err := b24.ParseDateTime(s); err == nil || dateLike.MatchString(s) {
		return false
	}
	return true
}

func scalarString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "Y"
		}
		return "N"
	}
	return fmt.Sprint(v)
}

func boolish(s string) (bool, bool) {
	switch strings.ToUpper(s) {
	case "Y", "1", "TRUE":
		return true, true
	case "N", "0", "FALSE", "":
		return false, true
	}
	return false, false
}
