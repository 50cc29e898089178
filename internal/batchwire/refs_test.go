package batchwire

import (
	"reflect"
	"regexp"
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

// v2RefPattern is the pattern v2Refs finds references by.
var v2RefPattern = regexp.MustCompile(`%24(result|next|total|time|error)%5B(.*?)%5D`)

// FuzzV2Refs: v2Refs finds the references the pattern finds, in order.
func FuzzV2Refs(f *testing.F) {
	for _, s := range []string{"filter%5B%3EID%5D=%24result%5Bp0%5D%5B49%5D%5BID%5D", "%24result%5B%5D", "%24%24time%5Ba%5D%5D%24next%5Bb",
		"%24error%5Ba\nb%5D%24total%5Bc%5D", "%24results%5Bx%5D", "%24resul%24result%5Bk%5D", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		var got [][2]string
		v2Refs(q, func(sec, key string) bool { got = append(got, [2]string{sec, key}); return true })
		var want [][2]string
		for _, m := range v2RefPattern.FindAllStringSubmatch(q, -1) {
			want = append(want, [2]string{m[1], m[2]})
		}
		if len(got) != len(want) || len(got) > 0 && !reflect.DeepEqual(got, want) {
			t.Fatalf("v2Refs(%q) = %q, the pattern finds %q", q, got, want)
		}
		if HasV2Ref(q) != v2RefPattern.MatchString(q) {
			t.Fatalf("HasV2Ref(%q) = %v", q, HasV2Ref(q))
		}
	})
}
