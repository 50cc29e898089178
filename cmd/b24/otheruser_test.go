package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestOtherWebhookUserRefused: `b24 list`'s checkpoint and `b24 update`'s
// journal written through user 1's webhook are refused through user 7's
// webhook on the same portal (only the user differs), naming both users,
// with nothing sent and the files left as they were.
func TestOtherWebhookUserRefused(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 4, Deals: 60, Users: 10}))
	seven := &portal{s: p.s, pem: p.pem, env: []string{"B24_WEBHOOK=" + p.s.AddWebhook(7), "SSL_CERT_FILE=" + p.pem}}
	dir := t.TempDir()
	ids := dealIDs(t, p)
	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, fmt.Appendf(nil, "{\"ID\":%d,\"TITLE\":\"new\"}\n", ids[0]), 0o644)
	tests := []struct {
		name string
		args []string
		file string // the checkpoint or journal
		want string
	}{
		{"list checkpoint", []string{"list", "crm.deal.list", "--select", "ID", "-o", filepath.Join(dir, "out.ndjson"), "--checkpoint", filepath.Join(dir, "cp"), "--quiet"},
			filepath.Join(dir, "cp"), "(user 1), not https://127.0.0.1:"},
		{"update journal", []string{"update", "crm.deal.update", "--from", in, "--journal", filepath.Join(dir, "j")},
			filepath.Join(dir, "j"), "(user 1), this run has https://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := p.run(t, "", tt.args...); r.code != exitOK {
				t.Fatalf("through user 1: exit %d: %s", r.code, r.stderr)
			}
			before, _ := os.ReadFile(tt.file)
			requests := p.s.Audit().Requests
			r := seven.run(t, "", tt.args...)
			if r.code == exitOK || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "(user 7)") {
				t.Errorf("through user 7: exit %d, stderr %q; want a refusal naming %q and user 7", r.code, r.stderr, tt.want)
			}
			if after, _ := os.ReadFile(tt.file); string(after) != string(before) {
				t.Errorf("the file changed:\n%s\nhad\n%s", after, before)
			}
			if n := p.s.Audit().Requests; n != requests {
				t.Errorf("the refused run sent %d requests", n-requests)
			}
		})
	}
}
