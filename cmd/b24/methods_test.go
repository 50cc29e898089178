package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/b24go/b24/cmd/b24/internal/compcache"
)

// TestMethodsCommand: every output format of b24 methods, and the
// completion cache it writes.
func TestMethodsCommand(t *testing.T) {
	p := newPortal(t)
	cache := t.TempDir()
	env := []string{"XDG_CACHE_HOME=" + cache}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"methods_glob", []string{"methods", "crm.deal.*"}, exitOK},
		{"methods_table", []string{"methods", "user", "--format", "table"}, exitOK},
		{"methods_json", []string{"methods", "crm.deal.l*", "--json"}, exitOK},
		{"methods_jq", []string{"methods", "--jq", `[.[] | select(.scope == "")] | length`}, exitOK},
		{"methods_bad_jq", []string{"methods", "--jq", ".a | )"}, exitUsage},
		{"methods_bad_format", []string{"methods", "--format", "csv"}, exitUsage},
		{"methods_bad_glob", []string{"methods", "crm.[deal"}, exitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			goldenRun(t, tc.name+".golden", p.runEnv(t, env, "", tc.args...), tc.code)
		})
	}
	names := compcache.Methods(filepath.Join(cache, "b24"), "")
	if !slices.Contains(names, "crm.deal.list") || !slices.Contains(names, "batch") {
		t.Errorf("the completion cache holds %d names: %v", len(names), names[:min(5, len(names))])
	}
	var ms []methodInfo
	r := p.runEnv(t, env, "", "methods", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &ms); err != nil || len(ms) != len(names) {
		t.Errorf("--json: %d methods (%v), the cache %d", len(ms), err, len(names))
	}
}
