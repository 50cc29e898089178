package batchwire

import (
	"strings"
	"testing"
)

// TestCheckV2Refs: a reference must name a command that runs before it.
func TestCheckV2Refs(t *testing.T) {
	t.Parallel()
	keys := []string{"a", "b"}
	methods := []string{"crm.deal.list", "crm.deal.get"}
	ref := strings.NewReplacer("$", "%24", "[", "%5B", "]", "%5D")
	for _, tc := range []struct {
		second, err string
	}{
		{"crm.deal.get?id=" + ref.Replace(Ref("result", "a", []any{0, "ID"})), ""},
		{"crm.deal.get?id=" + ref.Replace(Ref("result", "b", nil)), "does not run before it"},
		{"crm.deal.get?id=" + ref.Replace(Ref("next", "zz", nil)), "names no command"},
		{"crm.deal.get?id=" + ref.Replace("$total[]"), "names no command"},
	} {
		err := CheckV2Refs([]string{"crm.deal.list", tc.second}, keys, methods)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v; want %q", tc.second, err, tc.err)
		}
		if !HasV2Ref(tc.second) {
			t.Errorf("%s: HasV2Ref false", tc.second)
		}
	}
}

// TestCheckV3Refs: a $ref names an earlier alias and a path after it.
func TestCheckV3Refs(t *testing.T) {
	t.Parallel()
	aliases := []string{"a", ""}
	methods := []string{"x", "y"}
	for _, tc := range []struct{ q, err string }{
		{`{"id":{"$ref":"a.item.id"}}`, ""},
		{`{"id":{"$ref":"a"}}`, "no path"},
		{`{"id":{"$refArray":"zz.id"}}`, "names no aliased command"},
	} {
		err := CheckV3Refs([][]byte{[]byte(`{}`), []byte(tc.q)}, aliases, methods)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v; want %q", tc.q, err, tc.err)
		}
		if !HasV3Ref([]byte(tc.q)) {
			t.Errorf("%s: HasV3Ref false", tc.q)
		}
	}
}
