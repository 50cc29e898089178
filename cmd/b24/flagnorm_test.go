package main

import (
	"reflect"
	"strings"
	"testing"
)

// TestNormalizeArgs: single-dash long flags become double-dash ones; values,
// shorthands, positional arguments and what follows "--" stay as written.
func TestNormalizeArgs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-quiet ping", "--quiet ping"},
		{"-plan enterprise ping", "--plan enterprise ping"},
		{"ping -quiet", "ping --quiet"},
		{"list crm.deal.list -select=ID,TITLE", "list crm.deal.list --select=ID,TITLE"},
		{"list crm.deal.list -o deals.csv", "list crm.deal.list -o deals.csv"},
		{"list crm.deal.list -ofile.csv", "list crm.deal.list -ofile.csv"},
		{"list crm.deal.list --filter -select", "list crm.deal.list --filter -select"},
		{"list crm.deal.list -filter -quiet", "list crm.deal.list --filter -quiet"},
		{"list crm.deal.list -output x.csv", "list crm.deal.list --output x.csv"},
		{"list crm.deal.list -selet ID", "list crm.deal.list --selet ID"},
		{"call crm.deal.get - -raw", "call crm.deal.get - --raw"},
		{"call crm.deal.get -- -raw", "call crm.deal.get -- -raw"},
		{"fake -batch-weight -0.5", "fake --batch-weight -0.5"},
		{"fake -operating-ban -1s", "fake --operating-ban -1s"},
		{"ping -help", "ping --help"},
		{"ping -h", "ping -h"},
		{"docs man -help", "docs man --help"},
		{"-frobnicate", "--frobnicate"},
		{"call list -quiet", "call list --quiet"},
	}
	for _, tt := range tests {
		st := &runState{c: &cli{}}
		got := normalizeArgs(newRoot(st), strings.Fields(tt.in))
		if want := strings.Fields(tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, want)
		}
	}
}

// TestGlobalFlagsAnywhere: a global flag before the command, in single- or
// double-dash spelling, acts as after it.
func TestGlobalFlagsAnywhere(t *testing.T) {
	p := newPortal(t)
	for _, args := range [][]string{
		{"--quiet", "--time-scale", "20", "ping"},
		{"-quiet", "-time-scale", "20", "ping"},
		{"--plan=enterprise", "ping", "--time-scale=20"},
	} {
		var out, errb strings.Builder
		code := run(t.Context(), args, strings.NewReader(""), &out, &errb, p.env)
		if code != exitOK || !strings.Contains(out.String(), "user:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
	for _, args := range [][]string{{"--plan", "gold", "ping"}, {"--log-level", "loud", "version"}, {"version", "--api", "v9"}} {
		r := p.run(t, "", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, " must be ") {
			t.Errorf("%q: exit %d, stderr %q: a bad global value is an error, even where unused", args, r.code, r.stderr)
		}
	}
}

// TestOldOutputSpelling: "--o FILE", the flag package's spelling of -o,
// still writes FILE.
func TestOldOutputSpelling(t *testing.T) {
	p := newPortal(t)
	for _, flag := range []string{"--o", "-o", "--output", "-output"} {
		out := t.TempDir() + "/deals.ndjson"
		r := p.run(t, "", "list", "crm.deal.list", "--select", "ID", flag, out, "--quiet")
		if r.code != exitOK || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", flag, r.code, r.stdout, r.stderr)
		}
	}
}

func TestCloseTo(t *testing.T) {
	tests := []struct {
		typed, name string
		want        bool
	}{
		{"selet", "select", true},
		{"slect", "select", true},
		{"sel", "select", true},
		{"qiuet", "quiet", true},
		{"x", "o", false},
		{"format", "from", false},
		{"journl", "journal", true},
		{"cheese", "checkpoint", false},
		{"api", "adaptive", false},
	}
	for _, tt := range tests {
		if got := closeTo(tt.typed, tt.name); got != tt.want {
			t.Errorf("closeTo(%q, %q) = %v, want %v (distance %d)", tt.typed, tt.name, got, tt.want, levenshtein(tt.typed, tt.name))
		}
	}
}

// FuzzNormalizeArgs: the rewrite keeps the number and order of arguments,
// only ever adds one dash to a single-dash argument, and never touches an
// argument after "--" or one that does not start with a dash.
func FuzzNormalizeArgs(f *testing.F) {
	f.Add("list\x00crm.deal.list\x00-select\x00ID\x00-o\x00x.csv")
	f.Add("-quiet\x00-plan\x00enterprise\x00ping")
	f.Add("call\x00m\x00--\x00-raw\x00-")
	f.Add("fake\x00-batch-weight\x00-0.5\x00-ofile")
	root := newRoot(&runState{c: &cli{}})
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		got := normalizeArgs(root, args)
		if len(got) != len(args) {
			t.Fatalf("%q -> %q: length changed", args, got)
		}
		ended := false
		for i, a := range args {
			switch {
			case got[i] == a:
			case ended || !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--") || got[i] != "-"+a:
				t.Fatalf("%q -> %q: argument %d rewritten to %q", args, got, i, got[i])
			}
			ended = ended || a == "--"
		}
	})
}
