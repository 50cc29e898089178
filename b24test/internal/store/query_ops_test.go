package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// opsStore holds four deals, one value of each field type apiece, in a portal
// west of Greenwich (-05:00), so a date kept as midnight UTC would show the day before.
func opsStore(t *testing.T) *Store {
	t.Helper()
	loc := time.FixedZone("", -5*3600)
	created := []time.Time{
		time.Date(2026, 12, 1, 9, 0, 0, 0, loc),
		time.Date(2026, 12, 6, 0, 0, 0, 0, loc),
		time.Date(2026, 12, 6, 23, 30, 0, 0, loc),
		time.Date(2026, 12, 10, 12, 0, 0, 0, loc),
	}
	n := 0
	s := New(Config{Counts: map[Entity]int{}, Location: loc, Now: func() time.Time { n++; return created[n-1] }})
	rows := []map[string]Value{
		{"TITLE": Str("Alpha deal"), "PROBABILITY": Str("10"), "OPPORTUNITY": Str("100"), "BEGINDATE": Str("2026-12-01"),
			"OPENED": Str("Y"), "STAGE_ID": Str("NEW"), "CONTACT_IDS": List([]string{"3", "4"})},
		{"TITLE": Str("beta Deal"), "PROBABILITY": Str("20"), "OPPORTUNITY": Str("250.5"), "BEGINDATE": Str("2026-12-06"),
			"OPENED": Str("N"), "STAGE_ID": Str("WON"), "CONTACT_IDS": List([]string{"5"})},
		{"TITLE": Str("Gamma"), "PROBABILITY": Str("30"), "OPPORTUNITY": Str("300"), "BEGINDATE": Str("10.12.2026"),
			"OPENED": Str("Y"), "STAGE_ID": Str("NEW"), "CONTACT_IDS": List(nil)},
		{"TITLE": Str(""), "PROBABILITY": Str(""), "OPPORTUNITY": Str(""), "BEGINDATE": Str(""),
			"OPENED": Str("N"), "STAGE_ID": Str("LOSE"), "CONTACT_IDS": List(nil)},
	}
	for _, r := range rows {
		var in []Input
		for k, v := range r {
			in = append(in, Input{Name: k, Value: v})
		}
		if _, err := s.Add(Deal, in); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestFilterOperatorsByType runs every documented operator on every field type.
func TestFilterOperatorsByType(t *testing.T) {
	s := opsStore(t)
	for _, tc := range []struct {
		typ, key string
		vals     []string
		want     string
	}{
		{"int", "PROBABILITY", []string{"20"}, "[2]"},
		{"int", "=PROBABILITY", []string{"20"}, "[2]"},
		{"int", "!PROBABILITY", []string{"20"}, "[1 3 4]"},
		{"int", "!=PROBABILITY", []string{"20"}, "[1 3 4]"},
		{"int", ">PROBABILITY", []string{"10"}, "[2 3]"},
		{"int", ">=PROBABILITY", []string{"20"}, "[2 3]"},
		{"int", "<PROBABILITY", []string{"20"}, "[1]"},
		{"int", "<=PROBABILITY", []string{"20"}, "[1 2]"},
		{"int", "><PROBABILITY", []string{"15", "30"}, "[2 3]"},
		{"int", "!><PROBABILITY", []string{"15", "30"}, "[1 4]"},
		{"int", "@PROBABILITY", []string{"10", "30"}, "[1 3]"},
		{"int", "!@PROBABILITY", []string{"10", "30"}, "[2 4]"},
		{"int", "%PROBABILITY", []string{"0"}, "[1 2 3]"},
		{"int", "=%PROBABILITY", []string{"1%"}, "[1]"},
		{"int", "%=PROBABILITY", []string{"%0"}, "[1 2 3]"},
		{"int", "!%PROBABILITY", []string{"1"}, "[2 3 4]"},
		{"int", "PROBABILITY", []string{""}, "[4]"},
		{"int as PHP reads it", "PROBABILITY", []string{"20abc"}, "[2]"},
		{"int as PHP reads it", ">PROBABILITY", []string{"abc"}, "[1 2 3]"},
		{"int as PHP reads it", ">PROBABILITY", []string{"19.9"}, "[2 3]"},
		{"int as PHP reads it", ">=PROBABILITY", []string{"$result[cmd][ID]"}, "[1 2 3]"},
		{"money", "OPPORTUNITY", []string{"250.5"}, "[2]"},
		{"money", ">OPPORTUNITY", []string{"250.5"}, "[3]"},
		{"money", "><OPPORTUNITY", []string{"100", "250.50"}, "[1 2]"},
		{"money", "!><OPPORTUNITY", []string{"100", "250.50"}, "[3 4]"},
		{"money", "<=OPPORTUNITY", []string{"1e2"}, "[1]"},
		{"money", "@OPPORTUNITY", []string{"100", "300.00"}, "[1 3]"},
		{"money as PHP reads it", "<OPPORTUNITY", []string{"250.6 EUR"}, "[1 2]"},
		{"money as PHP reads it", "@OPPORTUNITY", []string{"lots", "1e2"}, "[1]"},
		{"string", "TITLE", []string{"GAMMA"}, "[3]"},
		{"string", "%TITLE", []string{"DEAL"}, "[1 2]"},
		{"string", "=%TITLE", []string{"%a"}, "[3]"},
		{"string", "%=TITLE", []string{"b%"}, "[2]"},
		{"string", "=%TITLE", []string{"_amma"}, "[3]"},
		{"string", "!%TITLE", []string{"deal"}, "[3 4]"},
		{"string", "!=%TITLE", []string{"%deal"}, "[3 4]"},
		{"string", "@TITLE", []string{"gamma", "alpha deal"}, "[1 3]"},
		{"string", "!@TITLE", []string{"gamma", "alpha deal"}, "[2 4]"},
		{"string", ">TITLE", []string{"b"}, "[2 3]"},
		{"string", "><TITLE", []string{"a", "c"}, "[1 2]"},
		{"string", "TITLE", []string{""}, "[4]"},
		{"string", "!TITLE", []string{""}, "[1 2 3]"},
		{"date", "BEGINDATE", []string{"2026-12-06"}, "[2]"},
		{"date", "BEGINDATE", []string{"06.12.2026"}, "[2]"},
		{"date", "BEGINDATE", []string{"2026-12-06T05:00:00Z"}, "[2]"},
		{"date", ">=BEGINDATE", []string{"2026-12-06"}, "[2 3]"},
		{"date", "<BEGINDATE", []string{"2026-12-06"}, "[1]"},
		{"date", "><BEGINDATE", []string{"2026-12-01", "2026-12-06"}, "[1 2]"},
		{"date", "!><BEGINDATE", []string{"2026-12-01", "2026-12-06"}, "[3 4]"},
		{"date", "@BEGINDATE", []string{"2026-12-01", "2026-12-10"}, "[1 3]"},
		{"date", "BEGINDATE", []string{""}, "[4]"},
		{"datetime", ">=DATE_CREATE", []string{"2026-12-06"}, "[2 3 4]"},
		{"datetime", "<DATE_CREATE", []string{"2026-12-06T02:00:00"}, "[1 2]"},
		{"datetime", "<DATE_CREATE", []string{"2026-12-06T02:00:00Z"}, "[1]"},
		{"datetime", "DATE_CREATE", []string{"2026-12-06T05:00:00+00:00"}, "[2]"},
		{"datetime", "><DATE_CREATE", []string{"2026-12-06", "06.12.2026 23:59:59"}, "[2 3]"},
		{"datetime", "!><DATE_CREATE", []string{"2026-12-06", "06.12.2026 23:59:59"}, "[1 4]"},
		{"Y/N", "OPENED", []string{"Y"}, "[1 3]"},
		{"Y/N", "OPENED", []string{"n"}, "[2 4]"},
		{"Y/N", "!OPENED", []string{"Y"}, "[2 4]"},
		{"Y/N", "@OPENED", []string{"Y", "N"}, "[1 2 3 4]"},
		{"Y/N", "%OPENED", []string{"y"}, "[1 3]"},
		{"Y/N matches Y or N only", "OPENED", []string{"1"}, "[]"},
		{"enum", "STAGE_ID", []string{"NEW"}, "[1 3]"},
		{"enum", "!STAGE_ID", []string{"NEW"}, "[2 4]"},
		{"enum", "@STAGE_ID", []string{"WON", "LOSE"}, "[2 4]"},
		{"enum", "!@STAGE_ID", []string{"WON", "LOSE"}, "[1 3]"},
		{"multiple", "CONTACT_IDS", []string{"4"}, "[1]"},
		{"multiple", "@CONTACT_IDS", []string{"4", "5"}, "[1 2]"},
		{"multiple", "!CONTACT_IDS", []string{"4"}, "[2 3 4]"},
		{"multiple", "!@CONTACT_IDS", []string{"4", "5"}, "[3 4]"},
		{"multiple", "><CONTACT_IDS", []string{"4", "5"}, "[1 2]"},
		{"multiple", ">CONTACT_IDS", []string{"4"}, "[2]"},
		{"multiple", "CONTACT_IDS", []string{""}, "[3 4]"},
	} {
		t.Run(tc.typ+" "+tc.key+" "+fmt.Sprint(tc.vals), func(t *testing.T) {
			op, field, err := ParseKey(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Query(Deal, Query{Filter: Filter{Conds: []Cond{{Field: field, Op: op, Values: tc.vals, Key: tc.key}}}, Count: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ids(p)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestFilterRefused: a condition the engine cannot evaluate is an error naming it, never all rows.
func TestFilterRefused(t *testing.T) {
	s := opsStore(t)
	for _, tc := range []struct {
		key  string
		vals []string
	}{
		{">PROBABILITY", []string{"1", "2"}},
		{">PROBABILITY", nil},
		{"><OPPORTUNITY", []string{"100"}},
		{"><OPPORTUNITY", []string{"1", "2", "3"}},
		{"!><OPPORTUNITY", []string{"1"}},
		{"><BEGINDATE", []string{"", "2026-12-06"}},
		{">DATE_CREATE", []string{" "}},
		{"BEGINDATE", []string{"yesterday"}},
		{">DATE_CREATE", []string{"2026-13-01"}},
		{"%STAGE_ID", []string{"NE"}},
		{"%BEGINDATE", []string{"2026"}},
		{"!%DATE_CREATE", []string{"2026"}},
		{"=%CONTACT_IDS", []string{"4%"}},
		{"%COMPANY_ID", []string{"1"}},
	} {
		t.Run(tc.key+fmt.Sprint(tc.vals), func(t *testing.T) {
			op, field, err := ParseKey(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Query(Deal, Query{Filter: Filter{Conds: []Cond{{Field: field, Op: op, Values: tc.vals, Key: tc.key}}}})
			var ce *FilterError
			if !errors.As(err, &ce) || ce.Key != tc.key || ce.Reason == "" {
				t.Fatalf("got %d rows, err %v; want a *FilterError naming %q", len(p.Records), err, tc.key)
			}
		})
	}
}

// TestDateOnlyKeepsItsDate: a date written without a time reads back as that date, at
// midnight in the portal's offset, east and west of Greenwich.
func TestDateOnlyKeepsItsDate(t *testing.T) {
	for _, tc := range []struct {
		off  int
		in   string
		want string
	}{
		{-5, "2026-12-06", "2026-12-06T00:00:00-05:00"},
		{3, "2026-12-06", "2026-12-06T00:00:00+03:00"},
		{-5, "06.12.2026", "2026-12-06T00:00:00-05:00"},
		{0, "2026-12-06", "2026-12-06T00:00:00+00:00"},
		{3, "2026-12-06T01:00:00+03:00", "2026-12-06T00:00:00+03:00"},
	} {
		loc := time.FixedZone("", tc.off*3600)
		s := New(Config{Counts: map[Entity]int{}, Location: loc})
		id, err := s.Add(Deal, []Input{{Name: "BEGINDATE", Value: Str(tc.in)}, {Name: "CLOSEDATE", Value: Str(tc.in)}})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := s.Get(Deal, id)
		for _, f := range []string{"BEGINDATE", "CLOSEDATE"} {
			if got := val(t, r, f).S; got != tc.want {
				t.Errorf("%+03d: %s %q reads %q, want %q", tc.off, f, tc.in, got, tc.want)
			}
		}
	}
}

// TestDateTimeWithoutOffset: a datetime written without an offset is in the portal's.
func TestDateTimeWithoutOffset(t *testing.T) {
	loc := time.FixedZone("", 3*3600)
	s := New(Config{Counts: map[Entity]int{}, Location: loc})
	for in, want := range map[string]string{
		"2026-12-06T10:30:00":       "2026-12-06T10:30:00+03:00",
		"2026-12-06 10:30:00":       "2026-12-06T10:30:00+03:00",
		"06.12.2026 10:30:00":       "2026-12-06T10:30:00+03:00",
		"2026-12-06T10:30:00Z":      "2026-12-06T13:30:00+03:00",
		"2026-12-06T10:30:00+01:00": "2026-12-06T12:30:00+03:00",
	} {
		id, err := s.Add(Task, []Input{{Name: "TITLE", Value: Str("t")}, {Name: "DEADLINE", Value: Str(in)}})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := s.Get(Task, id)
		if got := val(t, r, "DEADLINE").S; got != want {
			t.Errorf("DEADLINE %q reads %q, want %q", in, got, want)
		}
	}
}
