package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestUpdateDryRun: --dry-run reads the current values (one request for
// these rows), prints the field diff or the commands, writes nothing and
// opens no journal.
func TestUpdateDryRun(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 20}))
	dir := t.TempDir()
	ids := dealIDs(t, p)
	in := filepath.Join(dir, "in.csv")
	csv := fmt.Sprintf("ID,TITLE,OPPORTUNITY\n%d,New title,1999.00\n%d,%s,%s\n99999999,x,1\n", ids[0], ids[1], "SAME", "10")
	os.WriteFile(in, []byte(csv), 0o644)
	// Row 2 already holds what it writes.
	if _, err := p.s.CallAs(1, "crm.deal.update", map[string]any{"id": ids[1], "fields": map[string]any{"TITLE": "SAME", "OPPORTUNITY": "10.00"}}); err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(dir, "j")
	before := p.s.Audit()
	cases := []struct {
		name string
		args []string
	}{
		{"update_dry_run", []string{"update", "crm.deal.update", "--from", in, "--journal", jpath, "--dry-run"}},
		{"update_dry_run_json", []string{"update", "crm.deal.update", "--from", in, "--dry-run", "--jq", `.[] | select(.missing | not) | [.row, (.changes | length), .unchanged]`}},
		{"update_dry_run_other", []string{"update", "tasks.task.update", "--from", in, "--dry-run"}},
	}
	for _, tc := range cases {
		goldenRun(t, tc.name+".golden", p.run(t, "", tc.args...), exitOK, dir)
	}
	a := p.s.Audit()
	if len(a.Writes) != len(before.Writes) {
		t.Errorf("a dry run wrote %d records", len(a.Writes)-len(before.Writes))
	}
	if n := a.Requests - before.Requests; n != 2 { // one read per crm run
		t.Errorf("%d requests, want 2 (one batched read per crm.deal.update dry run)", n)
	}
	if _, err := os.Stat(jpath); !os.IsNotExist(err) {
		t.Errorf("the dry run created the journal: %v", err)
	}
}

// TestUpdateDefaultJournal: without --journal the journal goes to the
// state directory, keyed by portal, webhook user and input; the summary
// names it and the rerun finds it (every row already done).
func TestUpdateDefaultJournal(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 20}))
	dir, state := t.TempDir(), t.TempDir()
	in := writeUpdateCSV(t, dir, dealIDs(t, p)[:5], "DJ")
	env := []string{"XDG_STATE_HOME=" + state}
	r := p.runEnv(t, env, "", "update", "crm.deal.update", "--from", in)
	r.stderr = regexpReplace(r.stderr, `127\.0\.0\.1_\d+-u1-[0-9a-f]{16}\.journal`, "127.0.0.1_PORT-u1-HASH.journal")
	goldenRun(t, "update_default_journal.golden", r, exitOK, state)
	r = p.runEnv(t, env, "", "update", "crm.deal.update", "--from", in, "--jq", "del(.seconds, .journal)")
	goldenRun(t, "update_default_journal_rerun.golden", r, exitOK, state)
	js, _ := filepath.Glob(filepath.Join(state, "b24", "journals", "*.journal"))
	if len(js) != 1 {
		t.Errorf("journals %v, want one", js)
	}
	r = p.runEnv(t, env, "", "update", "crm.deal.update", "--from", "-")
	goldenRun(t, "update_default_journal_stdin.golden", r, exitUsage, state)
}
