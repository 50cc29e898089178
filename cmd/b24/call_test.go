package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/b24go/b24/b24test"
)

func TestCall(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 7, Deals: 120}))
	params := filepath.Join(t.TempDir(), "params.json")
	if err := os.WriteFile(params, []byte(`{"filter": {"ID": 3}, "select": ["ID","TITLE"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"json", "", []string{"crm.deal.list", `{"filter": {"ID": 2}, "select": ["ID", "TITLE", "OPPORTUNITY"]}`}, exitOK},
		{"file", "", []string{"crm.deal.list", "@" + params}, exitOK},
		{"stdin", `{"filter": {"@ID": [4, 5]}, "select": ["ID", "STAGE_ID"]}`, []string{"crm.deal.list", "-"}, exitOK},
		{"pairs", "", []string{"crm.deal.list", "filter[>ID]=110", "select[]=ID", "select[]=TITLE", "order[ID]=ASC", "--compact"}, exitOK},
		{"not_found", "", []string{"crm.deal.get", "id=100000"}, exitAPI},
		{"unknown_method", "", []string{"no.such.method"}, exitAPI},
		{"bad_json", "", []string{"crm.deal.get", `{"id": `}, exitUsage},
		{"bad_pair", "", []string{"crm.deal.get", "id"}, exitUsage},
		{"no_method", "", nil, exitUsage},
		{"v3", "", []string{"crm.item.get", "--api", "v3", "entityTypeId=2", "id=5"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.run(t, tt.stdin, append([]string{"call"}, tt.args...)...)
			if tt.code < 0 { // only check that it ran and printed JSON
				if r.code != exitOK && r.code != exitAPI {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				return
			}
			goldenRun(t, "call_"+tt.name+".golden", r, tt.code, params)
			if tt.code == exitOK && !json.Valid([]byte(r.stdout)) {
				t.Errorf("stdout is not JSON: %q", r.stdout)
			}
		})
	}
}

func TestCallRaw(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 7, Deals: 120}))
	r := p.run(t, "", "call", "crm.deal.list", "filter[>ID]=110", "select[]=ID", "--raw")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var env struct {
		Result []map[string]string `json:"result"`
		Total  *int                `json:"total"`
		Time   map[string]any      `json:"time"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &env); err != nil {
		t.Fatalf("stdout %q: %v", r.stdout, err)
	}
	if len(env.Result) == 0 || env.Result[0]["ID"] != "111" || env.Total == nil || *env.Total != len(env.Result) || env.Time["processing"] == nil {
		t.Errorf("envelope %s", r.stdout)
	}
}

func TestParsePairs(t *testing.T) {
	tests := []struct {
		args []string
		want string
		err  bool
	}{
		{[]string{"id=5"}, `{"id":"5"}`, false},
		{[]string{"filter[>ID]=5", "filter[STAGE_ID]=WON"}, `{"filter":{">ID":"5","STAGE_ID":"WON"}}`, false},
		{[]string{"select[]=ID", "select[]=TITLE"}, `{"select":["ID","TITLE"]}`, false},
		{[]string{"fields[TITLE]=a=b"}, `{"fields":{"TITLE":"a=b"}}`, false},
		{[]string{"fields[TITLE]="}, `{"fields":{"TITLE":""}}`, false},
		{[]string{"a[x][y]=1"}, `{"a":{"x":{"y":"1"}}}`, false},
		{[]string{"filter[<=ID]=3"}, `{"filter":{"<=ID":"3"}}`, false},
		{[]string{"filter[>=DATE_CREATE]=2025-01-01", "filter[!=STAGE_ID]=WON"}, `{"filter":{">=DATE_CREATE":"2025-01-01","!=STAGE_ID":"WON"}}`, false},
		{[]string{"a[x=1][=]=2=3"}, `{"a":{"x=1":{"=":"2=3"}}}`, false},
		{[]string{"a[b=c"}, `{"a_b":"c"}`, false}, // brackets left open: the first "=", as PHP
		{[]string{"noequals"}, "", true},
		{[]string{"=5"}, "", true},
		{[]string{"[a]=5"}, "", true},
	}
	for _, tt := range tests {
		arr, err := parsePairs(tt.args)
		if (err != nil) != tt.err {
			t.Errorf("parsePairs(%q) error %v, want error %v", tt.args, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		b, _ := marshalJSON(arr, "")
		var got, want any
		json.Unmarshal(b, &got)
		json.Unmarshal([]byte(tt.want), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("parsePairs(%q) = %s, want %s", tt.args, b, tt.want)
		}
	}
}

// FuzzParsePairs checks that any key=value argument either is refused or
// gives a JSON object that holds the value somewhere, and that a plain key
// round-trips exactly.
func FuzzParsePairs(f *testing.F) {
	for _, s := range []string{"id=5", "filter[>ID]=5", "select[]=ID", "a[b][c]=", "a]=1", "a[=1", "a.b=1", "x=%41", "[]=1", "a[][]=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		arr, err := parsePairs([]string{arg})
		if err != nil {
			return
		}
		b, err := json.Marshal(arr)
		if err != nil {
			t.Fatalf("parsePairs(%q): JSON: %v", arg, err)
		}
		var top any
		if err := json.Unmarshal(b, &top); err != nil {
			t.Fatalf("parsePairs(%q) = %s: not JSON: %v", arg, b, err)
		}
		m, isObject := top.(map[string]any)
		if _, isList := top.([]any); !isObject && !isList {
			t.Fatalf("parsePairs(%q) = %s: neither an object nor a list (PHP array with keys 0..n-1)", arg, b)
		}
		k, v, _ := cutEq(arg)
		if isPlainKey(k) && isObject {
			if got, ok := m[k]; !ok || got != v {
				t.Fatalf("parsePairs(%q) = %s, want %q: %q", arg, b, k, v)
			}
		}
	})
}

func cutEq(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// isPlainKey reports whether PHP keeps k as it is (no brackets, no mangled
// characters, valid UTF-8 letters and digits only).
func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// TestCallDryRunAndDelete: --dry-run sends no write (a crm update shows
// its field diff from one read; another write its request); a delete is
// refused off a terminal without --yes, and runs with it; --jq picks from
// the result.
func TestCallDryRunAndDelete(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 4, Deals: 5}))
	before := p.s.Audit()
	steps := []struct {
		name string
		args []string
		code int
	}{
		{"call_dry_run_update", []string{"call", "crm.deal.update", "id=1", "fields[TITLE]=New", "fields[STAGE_ID]=WON", "--dry-run"}, exitOK},
		{"call_dry_run_add", []string{"call", "crm.deal.add", `{"fields":{"TITLE":"Сделка"}}`, "--dry-run"}, exitOK},
		{"call_delete_refused", []string{"call", "crm.deal.delete", "id=2"}, exitUsage},
		{"call_jq", []string{"call", "crm.deal.get", "id=1", "--jq", ".TITLE"}, exitOK},
	}
	for _, s := range steps {
		goldenRun(t, s.name+".golden", p.run(t, "", s.args...), s.code)
	}
	if a := p.s.Audit(); len(a.Writes) != len(before.Writes) {
		t.Fatalf("%d writes before --yes", len(a.Writes)-len(before.Writes))
	}
	goldenRun(t, "call_delete_yes.golden", p.run(t, "", "call", "crm.deal.delete", "id=2", "--yes"), exitOK)
	if a := p.s.Audit(); a.WriteCount("deal", 2) != 1 {
		t.Errorf("deal 2 written %d times, want 1 (the delete)", a.WriteCount("deal", 2))
	}
}
