package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

func TestBatch(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 5, Deals: 50}))
	ids := dealIDs(t, p)
	in := fmt.Sprintf(`{"key":"a","method":"crm.deal.list","params":{"filter":{"ID":%d},"select":["ID","STAGE_ID"]}}
{"key":"b","method":"crm.deal.get","params":{"id":99999}}

{"method":"server.time"}
{"key":"d","method":"crm.deal.update","params":{"id":%d,"fields":{"TITLE":"Batch"}}}
`, ids[0], ids[1])
	r := p.run(t, in, "batch")
	r.stdout = regexpReplace(r.stdout, `"result":"20[^"]*"`, `"result":"TIME"`)
	goldenRun(t, "batch.golden", r, exitPartial)
	r = p.run(t, in, "batch", "--halt")
	r.stdout = regexpReplace(r.stdout, `"result":"20[^"]*"`, `"result":"TIME"`)
	goldenRun(t, "batch_halt.golden", r, exitPartial)
	r = p.run(t, "{\"method\":", "batch")
	goldenRun(t, "batch_bad_input.golden", r, exitUsage)
}

// TestBatchMany runs more commands than one batch holds.
func TestBatchMany(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 5, Deals: 200}))
	ids := dealIDs(t, p)
	var b strings.Builder
	for i, id := range ids[:180] {
		fmt.Fprintf(&b, `{"key":"k%d","method":"crm.deal.get","params":{"id":%d}}`+"\n", i, id)
	}
	r := p.run(t, b.String(), "batch")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var out struct {
			Key    string
			State  string
			Result struct{ ID string }
		}
		if err := json.Unmarshal(sc.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		if out.Key != fmt.Sprintf("k%d", n) || out.State != "done" || out.Result.ID != fmt.Sprint(ids[n]) {
			t.Errorf("line %d: %+v", n, out)
		}
		n++
	}
	if n != 180 {
		t.Errorf("%d lines, want 180", n)
	}
}

// TestBatchSafety: an auth failure exits 1 (it was 3, as if some commands
// had failed); --dry-run sends no write; deletes piped in are refused
// without --yes and run with it; --json prints the summary as JSON.
func TestBatchSafety(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 4, Deals: 5}))
	bad := strings.Replace(p.s.WebhookURL(), "s3cr3tS3CR3Tsecr", "wrongwrongwrong1", 1)
	get := `{"key":"a","method":"crm.deal.get","params":{"id":1}}` + "\n"
	updates := `{"key":"u1","method":"crm.deal.update","params":{"id":1,"fields":{"TITLE":"New"}}}` + "\n" +
		`{"key":"u2","method":"crm.deal.update","params":{"id":2,"fields":{"STAGE_ID":"WON"}}}` + "\n"
	deletes := `{"key":"d","method":"crm.deal.delete","params":{"id":3}}` + "\n"
	goldenRun(t, "batch_auth_failure.golden", p.runEnv(t, []string{"B24_WEBHOOK=" + bad}, get, "batch"), exitAPI)
	before := p.s.Audit()
	goldenRun(t, "batch_dry_run_updates.golden", p.run(t, updates, "batch", "--dry-run"), exitOK)
	goldenRun(t, "batch_dry_run_mixed.golden", p.run(t, updates+deletes, "batch", "--dry-run"), exitOK)
	goldenRun(t, "batch_delete_refused.golden", p.run(t, get+deletes, "batch"), exitUsage)
	if a := p.s.Audit(); len(a.Writes) != len(before.Writes) || a.Calls("crm.deal.get") != before.Calls("crm.deal.get") {
		t.Fatalf("writes or calls before --yes: %d writes", len(a.Writes)-len(before.Writes))
	}
	goldenRun(t, "batch_delete_yes_json.golden", p.run(t, deletes, "batch", "--yes", "--json"), exitOK)
	if n := p.s.Audit().WriteCount("deal", 3); n != 1 {
		t.Errorf("deal 3 written %d times, want 1", n)
	}
}
