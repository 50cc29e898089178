package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/b24go/b24"
)

// methodInfo is one method as "b24 methods" prints it.
type methodInfo struct {
	Name  string `json:"name"`
	Scope string `json:"scope"` // "" for methods of no scope (batch, profile, ...)
}

// fetchMethods asks the portal for the webhook's methods: "methods" lists
// them all, "scope" the webhook's scopes, and one batch of "methods?scope=S"
// (one command a scope) tells each method's scope: 3 requests in all.
func fetchMethods(ctx context.Context, api *b24.API) ([]methodInfo, error) {
	var all, scopes []string
	if err := callInto(ctx, api, "methods", &all); err != nil {
		return nil, err
	}
	if err := callInto(ctx, api, "scope", &scopes); err != nil {
		return nil, err
	}
	cmds := make([]b24.Cmd, len(scopes))
	for i, s := range scopes {
		cmds[i] = b24.Cmd{Method: "methods", Params: map[string]any{"scope": s}}
	}
	scopeOf := map[string]string{}
	if len(cmds) > 0 {
		res, err := api.BatchByChunk(ctx, cmds)
		if err != nil {
			return nil, err
		}
		for i, cr := range res.Commands {
			var names []string
			if err := json.Unmarshal(cr.Result, &names); err != nil {
				return nil, fmt.Errorf("methods?scope=%s: unexpected result: %v", scopes[i], err)
			}
			for _, n := range names {
				scopeOf[strings.ToLower(n)] = scopes[i]
			}
		}
	}
	out := make([]methodInfo, 0, len(all))
	for _, n := range all {
		out = append(out, methodInfo{Name: n, Scope: scopeOf[strings.ToLower(n)]})
	}
	slices.SortFunc(out, func(a, b methodInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// callInto calls method without parameters and decodes its result into v.
func callInto(ctx context.Context, api *b24.API, method string, v any) error {
	resp, err := api.Call(ctx, method, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Result, v); err != nil {
		return fmt.Errorf("%s: unexpected result: %v", method, err)
	}
	return nil
}

// matchMethods keeps the methods pattern names: a shell glob when it has
// one of *?[ ("crm.deal.*"), else a substring; case is ignored, as the
// portal ignores it in method names.
func matchMethods(ms []methodInfo, pattern string) ([]methodInfo, error) {
	if pattern == "" {
		return ms, nil
	}
	p := strings.ToLower(pattern)
	glob := strings.ContainsAny(p, "*?[")
	if _, err := path.Match(p, ""); glob && err != nil {
		return nil, usagef("PATTERN %q: %v", pattern, err)
	}
	var out []methodInfo
	for _, m := range ms {
		n := strings.ToLower(m.Name)
		ok := strings.Contains(n, p)
		if glob {
			ok, _ = path.Match(p, n)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}
