package b24test

import (
	"strings"
	"testing"
)

// user.get refuses a filter it cannot evaluate instead of answering every
// user; the keys it knows still filter.
func TestUserGetFilterRefused(t *testing.T) {
	s := newTestServer(t, WithSeed(Seed{Users: 30}))
	for _, tc := range []struct {
		body, names string
	}{
		{`{"FILTER":{">ID":"7"}}`, ">ID"},
		{`{"filter":{"UF_DEPARTMENT":"1"}}`, "UF_DEPARTMENT"},
		{`{"FILTER":{"!ID":"7"}}`, "!ID"},
		{`{"FILTER":{"ID":["7","8"]}}`, "ID"},
		{`{"FILTER":"ID=7"}`, "filter"},
	} {
		r := v2(t, s, "user.get", tc.body)
		desc, _ := path(r.body, "error_description").(string)
		if r.status != 400 || !strings.Contains(desc, tc.names) {
			t.Errorf("user.get %s: %d %q, want 400 naming %q", tc.body, r.status, desc, tc.names)
		}
	}
	r := v2(t, s, "user.get", `{"FILTER":{"NAME_SEARCH":"zzzz-no-such-user"}}`)
	if rows, _ := path(r.body, "result").([]any); r.status != 200 || len(rows) != 0 {
		t.Errorf("user.get NAME_SEARCH: %d, %d rows, want none", r.status, len(rows))
	}
}
