package main

import (
	"slices"
	"strings"
	"testing"
)

// TestFetchMethods: every method of the fake's webhook with its scope, in
// three requests (methods, scope, one batch of methods?scope=S).
func TestFetchMethods(t *testing.T) {
	p := newPortal(t)
	before := p.s.Audit()
	ms, err := fetchMethods(t.Context(), p.s.Hook().V2())
	if err != nil {
		t.Fatal(err)
	}
	if n := p.s.Audit().Requests - before.Requests; n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	scope := map[string]string{}
	for _, m := range ms {
		scope[m.Name] = m.Scope
	}
	for name, want := range map[string]string{"crm.deal.list": "crm", "user.get": "user", "batch": "", "profile": ""} {
		if got, ok := scope[name]; !ok || got != want {
			t.Errorf("%s: scope %q (listed %v), want %q", name, got, ok, want)
		}
	}
	if !slices.IsSortedFunc(ms, func(a, b methodInfo) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("not sorted")
	}
}

func TestMatchMethods(t *testing.T) {
	ms := []methodInfo{{Name: "crm.deal.list"}, {Name: "crm.deal.get"}, {Name: "crm.contact.list"}, {Name: "user.get"}}
	cases := []struct {
		pattern string
		want    []string
	}{
		{"", []string{"crm.deal.list", "crm.deal.get", "crm.contact.list", "user.get"}},
		{"crm.deal.*", []string{"crm.deal.list", "crm.deal.get"}},
		{"*.list", []string{"crm.deal.list", "crm.contact.list"}},
		{"DEAL", []string{"crm.deal.list", "crm.deal.get"}},
		{"get", []string{"crm.deal.get", "user.get"}},
		{"nope", nil},
	}
	for _, c := range cases {
		got, err := matchMethods(ms, c.pattern)
		var names []string
		for _, m := range got {
			names = append(names, m.Name)
		}
		if err != nil || !slices.Equal(names, c.want) {
			t.Errorf("%q: %v %v, want %v", c.pattern, names, err, c.want)
		}
	}
	if _, err := matchMethods(ms, "crm.[deal"); err == nil {
		t.Error("a bad glob was accepted")
	}
}
