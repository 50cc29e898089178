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
