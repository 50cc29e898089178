package b24

import (
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
)

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

// settleFields decides ReconcileCRMUpdate from the written fields and the
// record read back: done, not done (every field a scalar, one provably
// different), or an error (Ambiguous).
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
			return false, fmt.Errorf("ReconcileCRMUpdate: the record has no field %s", k)
		}
		v, err := compareField(k, fields[k], got)
		if err != nil {
			return false, fmt.Errorf("ReconcileCRMUpdate: field %s: %w", k, err)
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
		return false, fmt.Errorf("ReconcileCRMUpdate: field %s holds another value, which the portal's formatting may explain", unclear)
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
	if _, err := ParseDateTime(s); err == nil || dateLike.MatchString(s) {
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
