package reconcile

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCRMUpdateClasses: NotExecuted (send it again) only when
// every written field is a scalar (the resend is idempotent) and one
// provably holds another value; anything not proven stays Ambiguous. Before,
// any mismatch was NotExecuted: a phone added by a write that ran (the
// record then has two phones) was reported not executed, resent and added
// twice; so were truncated dates and rounded money.
func TestCRMUpdateClasses(t *testing.T) {
	t.Parallel()
	const (
		done = "done"
		not  = "not executed"
		amb  = "ambiguous"
	)
	phone := func(id, v string) map[string]any { return map[string]any{"ID": id, "VALUE_TYPE": "WORK", "VALUE": v} }
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name        string
		fields, rec map[string]any
		want        string
	}{
		{"text equal", map[string]any{"TITLE": "abc"}, map[string]any{"TITLE": "abc"}, done},
		{"money as the portal formats it", map[string]any{"OPPORTUNITY": 19999.99}, map[string]any{"OPPORTUNITY": "19999.99"}, done},
		{"integer against a decimal", map[string]any{"OPPORTUNITY": json.Number("5")}, map[string]any{"OPPORTUNITY": "5.00"}, done},
		{"true is Y", map[string]any{"OPENED": true}, map[string]any{"OPENED": "Y"}, done},
		{"false is N", map[string]any{"OPENED": false}, map[string]any{"OPENED": "N"}, done},
		{"null is empty", map[string]any{"COMMENTS": nil}, map[string]any{"COMMENTS": ""}, done},
		{"date as an instant", map[string]any{"CLOSEDATE": "2024-08-30T14:29:00+02:00"}, map[string]any{"CLOSEDATE": "2024-08-30T12:29:00+00:00"}, done},
		{"date-only at midnight", map[string]any{"BEGINDATE": "2024-08-30"}, map[string]any{"BEGINDATE": "2024-08-30T00:00:00+02:00"}, done},
		{"camelCase answer", map[string]any{"ASSIGNED_BY_ID": "7"}, map[string]any{"assignedById": json.Number("7")}, done},

		{"text differs", map[string]any{"TITLE": "new"}, map[string]any{"TITLE": "old"}, not},
		{"integer differs", map[string]any{"ASSIGNED_BY_ID": "7"}, map[string]any{"ASSIGNED_BY_ID": "8"}, not},
		{"JSON integer differs", map[string]any{"ASSIGNED_BY_ID": json.Number("7")}, map[string]any{"assignedById": json.Number("8")}, not},
		{"Y against N", map[string]any{"OPENED": "Y"}, map[string]any{"OPENED": "N"}, not},
		{"true against N", map[string]any{"OPENED": true}, map[string]any{"OPENED": "N"}, not},
		{"text against an empty field", map[string]any{"COMMENTS": "note"}, map[string]any{"COMMENTS": ""}, not},
		{"text against null", map[string]any{"TITLE": "new"}, map[string]any{"TITLE": nil}, not},
		{"one proof among scalars", map[string]any{"TITLE": "new", "OPPORTUNITY": 100.5}, map[string]any{"TITLE": "old", "OPPORTUNITY": "0.00"}, not},

		{"phone added by a write that ran", map[string]any{"PHONE": []any{map[string]any{"VALUE": "+1 555", "VALUE_TYPE": "WORK"}}},
			map[string]any{"PHONE": []any{phone("1", "+1 444"), phone("2", "+1 555")}}, amb},
		{"phone not added", map[string]any{"PHONE": []any{map[string]any{"VALUE": "+1 555", "VALUE_TYPE": "WORK"}}},
			map[string]any{"PHONE": []any{phone("1", "+1 444")}}, amb},
		{"multifield with a provable scalar", map[string]any{"TITLE": "new", "EMAIL": []any{map[string]any{"VALUE": "a@b.c"}}},
			map[string]any{"TITLE": "old", "EMAIL": []any{phone("1", "x@y.z")}}, amb},
		{"multifield row with an ID", map[string]any{"PHONE": []any{map[string]any{"ID": "1", "VALUE": "+1 555"}}},
			map[string]any{"PHONE": []any{phone("1", "+1 444")}}, amb},
		{"multifield as a scalar", map[string]any{"WEB": "x.example"}, map[string]any{"WEB": "y.example"}, amb},
		{"crm.item fm", map[string]any{"fm": []any{map[string]any{"typeId": "PHONE", "value": "1"}}}, map[string]any{"fm": []any{}}, amb},
		{"array of ids", map[string]any{"CONTACT_IDS": []any{"1", "2"}}, map[string]any{"CONTACT_IDS": []any{"1"}}, amb},
		{"equal arrays prove nothing", map[string]any{"UF_CRM_TAGS": []any{"1", "2"}}, map[string]any{"UF_CRM_TAGS": []any{json.Number("1"), json.Number("2")}}, amb},
		{"file", map[string]any{"UF_CRM_FILE": map[string]any{"fileData": []any{"a.txt", "eA=="}}}, map[string]any{"UF_CRM_FILE": map[string]any{"id": json.Number("3")}}, amb},
		{"record holds an object", map[string]any{"UF_CRM_X": "1"}, map[string]any{"UF_CRM_X": map[string]any{"id": "1"}}, amb},
		{"record lacks the field", map[string]any{"TITLE": "new"}, map[string]any{"NAME": "old"}, amb},
		{"date truncated to minutes", map[string]any{"CLOSEDATE": "2024-08-30T14:29:59+02:00"}, map[string]any{"CLOSEDATE": "2024-08-30T14:29:00+02:00"}, amb},
		{"locale date", map[string]any{"CLOSEDATE": "30.08.2024"}, map[string]any{"CLOSEDATE": "2024-08-30T00:00:00+02:00"}, amb},
		{"money rounded", map[string]any{"OPPORTUNITY": 100.555}, map[string]any{"OPPORTUNITY": "100.56"}, amb},
		{"money differs", map[string]any{"OPPORTUNITY": 100.5}, map[string]any{"OPPORTUNITY": "0.00"}, amb},
		{"integer against text", map[string]any{"UF_CRM_N": "42"}, map[string]any{"UF_CRM_N": "forty-two"}, amb},
		{"leading zeros", map[string]any{"UF_CRM_N": "042"}, map[string]any{"UF_CRM_N": "43"}, amb},
		{"text the portal may trim", map[string]any{"TITLE": "abc "}, map[string]any{"TITLE": "abd"}, amb},
		{"text the portal may escape", map[string]any{"TITLE": "a<b"}, map[string]any{"TITLE": "a&lt;b"}, amb},
		{"text the portal may cut", map[string]any{"TITLE": long}, map[string]any{"TITLE": long[:255]}, amb},
		{"multiline text", map[string]any{"COMMENTS": "a\r\nb"}, map[string]any{"COMMENTS": "a\nb"}, amb},
		{"null against text", map[string]any{"COMMENTS": nil}, map[string]any{"COMMENTS": "x"}, amb},
		{"Y against empty", map[string]any{"OPENED": "Y"}, map[string]any{"OPENED": ""}, amb},
		{"unknown type", map[string]any{"X": "a"}, map[string]any{"X": json.Number("1.5")}, amb},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := settleFields(tc.fields, tc.rec)
			got := map[bool]string{true: done, false: not}[ok]
			if err != nil {
				got = amb
			}
			if got != tc.want {
				t.Errorf("%s (%v); want %s", got, err, tc.want)
			}
		})
	}
}
