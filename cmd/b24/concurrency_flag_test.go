package main

import (
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestConcurrencyFlagBounds: --shards and --concurrency outside
// [1, b24.MaxConcurrency] are usage errors naming the flag, before any request.
func TestConcurrencyFlagBounds(t *testing.T) {
	p := newPortal(t)
	for _, tt := range []struct {
		args []string
		flag string
	}{
		{[]string{"list", "crm.deal.list", "--shards", "0"}, "--shards"},
		{[]string{"list", "crm.deal.list", "--shards", "65"}, "--shards"},
		{[]string{"list", "crm.deal.list", "--shards", "100000"}, "--shards"},
		{[]string{"list", "crm.deal.list", "--concurrency", "0"}, "--concurrency"},
		{[]string{"list", "crm.deal.list", "--concurrency", "65"}, "--concurrency"},
		{[]string{"list", "crm.deal.list", "--concurrency", "x"}, "-concurrency"},
		{[]string{"list", "crm.deal.list", "--shards", "x"}, "-shards"},
		{[]string{"list", "crm.deal.list", "--shards", "2", "--concurrency", "3"}, "--shards is the old name of --concurrency"},
		{[]string{"batch", "--concurrency", "0"}, "--concurrency"},
		{[]string{"batch", "--concurrency", "65"}, "--concurrency"},
	} {
		before := p.s.Audit().Requests
		r := p.run(t, `{"method":"crm.deal.get","params":{"id":1}}`+"\n", tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.flag) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming %s", tt.args, r.code, r.stderr, tt.flag)
		}
		if n := p.s.Audit().Requests - before; n != 0 {
			t.Errorf("%v: %d requests sent", tt.args, n)
		}
	}
}

// TestListConcurrencySpellings: list's --concurrency and the deprecated
// --shards give the same walk (rows and the summary); only
// --shards prints the deprecation note.
func TestListConcurrencySpellings(t *testing.T) {
	type walk struct{ stdout, summary string }
	walkWith := func(args ...string) (walk, string) {
		p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 230}))
		r := p.run(t, "", append([]string{"list", "crm.deal.list", "--select", "ID,TITLE"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		var note, summary []string
		for _, line := range strings.Split(strings.TrimSpace(normalize(r.stderr)), "\n") {
			if strings.Contains(line, "deprecated") {
				note = append(note, line)
			} else {
				summary = append(summary, line)
			}
		}
		return walk{r.stdout, strings.Join(summary, "\n")}, strings.Join(note, "\n")
	}
	for _, n := range []string{"1", "3"} {
		viaNew, noteNew := walkWith("--concurrency", n)
		viaOld, noteOld := walkWith("--shards", n)
		if viaNew != viaOld {
			t.Errorf("n=%s: --concurrency and --shards differ:\n%+v\n---\n%+v", n, viaNew, viaOld)
		}
		if noteNew != "" || noteOld != "b24 list: --shards is deprecated; use --concurrency" {
			t.Errorf("n=%s: deprecation notes %q (--concurrency), %q (--shards)", n, noteNew, noteOld)
		}
	}
}
