package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/b24go/b24/cmd/b24/internal/compcache"
)

// TestFieldsCommand: every output format of b24 fields, and the
// completion cache it writes.
func TestFieldsCommand(t *testing.T) {
	p := newPortal(t)
	cache := t.TempDir()
	env := []string{"XDG_CACHE_HOME=" + cache}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"fields_table", []string{"fields", "crm.lead"}, exitOK},
		{"fields_json", []string{"fields", "crm.deal.fields", "--json", "--jq", `[.[] | select(.user_field)]`}, exitOK},
		{"fields_jq", []string{"fields", "crm.item", "--param", "entityTypeId=2", "--jq", `.[0:3][] | "\(.code) \(.type)"`}, exitOK},
		{"fields_unknown", []string{"fields", "crm.nope"}, exitAPI},
		{"fields_no_entity", []string{"fields"}, exitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			goldenRun(t, tc.name+".golden", p.runEnv(t, env, "", tc.args...), tc.code)
		})
	}
	got := compcache.Fields(filepath.Join(cache, "b24"), "", "crm.deal")
	if !slices.Contains(got, "TITLE") || !slices.Contains(got, "UF_CRM_1721244482250") {
		t.Errorf("the completion cache of crm.deal: %v", got)
	}
}
