package main

import (
	"strings"
	"testing"
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
