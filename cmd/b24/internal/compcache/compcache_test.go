package compcache

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if err := WriteMethods(dir, "a.bitrix24.com", []string{"crm.deal.list", "batch", "batch"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMethods(dir, "127.0.0.1:8443", []string{"profile"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFields(dir, "a.bitrix24.com", "crm.deal", []string{"TITLE", "ID", "UF_CRM_1"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		got, want []string
	}{
		{Methods(dir, "a.bitrix24.com"), []string{"batch", "crm.deal.list"}},
		{Methods(dir, "127.0.0.1:8443"), []string{"profile"}},
		{Methods(dir, ""), []string{"batch", "crm.deal.list", "profile"}},
		{Methods(dir, "unknown.example"), nil},
		{Fields(dir, "a.bitrix24.com", "crm.deal"), []string{"ID", "TITLE", "UF_CRM_1"}},
		{Fields(dir, "", "crm.deal"), []string{"ID", "TITLE", "UF_CRM_1"}},
		{Fields(dir, "a.bitrix24.com", "crm.lead"), nil},
	}
	for i, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("case %d: %v, want %v", i, c.got, c.want)
		}
	}
}

// TestHostile: a host or entity that would leave the cache directory is
// refused; a damaged file completes nothing.
func TestHostile(t *testing.T) {
	dir := t.TempDir()
	for _, h := range []string{"..", "../x", "a/b", "", `a\b`} {
		if err := WriteMethods(dir, h, []string{"x"}); err == nil {
			t.Errorf("WriteMethods(%q) accepted", h)
		}
	}
	for _, e := range []string{"../x", "crm/deal", ""} {
		if err := WriteFields(dir, "a.example", e, []string{"x"}); err == nil {
			t.Errorf("WriteFields(%q) accepted", e)
		}
	}
	os.MkdirAll(filepath.Join(dir, "a.example"), 0o700)
	os.WriteFile(filepath.Join(dir, "a.example", "methods.json"), []byte(`{"version":1,"names":[`), 0o600)
	if got := Methods(dir, "a.example"); got != nil {
		t.Fatalf("damaged file read: %v", got)
	}
}

func TestHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://A.bitrix24.com/rest/1/x/":  "a.bitrix24.com",
		"https://127.0.0.1:8443/rest/1/x/":  "127.0.0.1:8443",
		"not a url":                         "",
		"https://a.example%2F..%2F/rest/1/": "",
	} {
		if got := Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}
