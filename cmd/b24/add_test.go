package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/journal"
	"github.com/b24go/b24/internal/reltest"
)

// writeAddCSV writes n new deals, TITLE "<tag> #i", and returns the file.
func writeAddCSV(t *testing.T, dir string, n int, tag string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("TITLE,OPPORTUNITY\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s #%d,%d\n", tag, i, i)
	}
	path := filepath.Join(dir, "add.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// keyedDeal is a deal as the key search sees it.
type keyedDeal struct {
	ID, TITLE, ORIGINATOR_ID, ORIGIN_ID string
}

// checkCreatedOnce checks that the portal holds exactly one deal for each
// of the n rows (ORIGINATOR_ID = "b24:" + the journal's run id, ORIGIN_ID =
// the row's number, TITLE "<tag> #row"), each deal written once; it returns
// the deals by row key.
func checkCreatedOnce(t *testing.T, p *portal, journalPath string, n int, tag string) map[string][]reltest.KeyedDeal {
	t.Helper()
	data, err := os.ReadFile(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	var hdr journal.Header
	json.Unmarshal([]byte(strings.SplitN(string(data), "\n", 2)[0]), &hdr)
	if len(hdr.Run) < 16 {
		t.Fatalf("the journal's run id %q", hdr.Run)
	}
	if c := reltest.CreatedRecords(t, p.s.Audit(), "deal"); c != n {
		t.Errorf("%d deals created, want %d", c, n)
	}
	byKey := reltest.KeyedDeals(t, t.Context(), p.s.Hook(), "b24:"+hdr.Run)
	if len(byKey) != n {
		t.Errorf("%d keys created, want %d", len(byKey), n)
	}
	for i := 1; i <= n; i++ {
		ds := byKey[itoa(i)]
		if len(ds) != 1 {
			t.Errorf("row %d: %d deals", i, len(ds))
		} else if want := fmt.Sprintf("%s #%d", tag, i); ds[0].Title != want {
			t.Errorf("row %d: deal %d has TITLE %q, want %q", i, ds[0].ID, ds[0].Title, want)
		}
	}
	return byKey
}

// journalIDs returns the created id each row's last journal entry holds.
func journalIDs(t *testing.T, path string) map[int]int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]int64{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		var e journal.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		ids[e.Row] = e.ID
	}
	return ids
}

// TestAddExactlyOnce: 200 creates under lost answers (two batches reset
// after running, one refused by a 502 before running, one run 50 s after the
// client gave up at 0.5 s = 10 s scaled): every row is created once, the journal holds each
// record's id, and a rerun creates nothing.
func TestAddExactlyOnce(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	in := writeAddCSV(t, dir, 200, "New")
	j := filepath.Join(dir, "j")
	p.s.FailNext("batch", 1, b24test.FaultLateRun)
	p.s.FailNext("batch", 2, b24test.FaultReset)
	p.s.FailNext("batch", 1, b24test.FaultBadGateway)
	r := p.run(t, "", "add", "deal", "--from", in, "--journal", j, "--timeout", "500ms", "--concurrency", "1")
	if r.code != exitOK || !strings.Contains(r.stderr, "created:         50\n") || !strings.Contains(r.stderr, "settled by read: 150 done, 50 sent again") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	byKey := checkCreatedOnce(t, p, j, 200, "New")
	for row, id := range journalIDs(t, j) {
		if ds := byKey[itoa(row)]; len(ds) != 1 || int64(ds[0].ID) != id {
			t.Errorf("row %d: journal holds id %d, the portal's records are %v", row, id, ds)
		}
	}
	before := p.s.Audit().Requests
	r = p.run(t, "", "add", "deal", "--from", in, "--journal", j)
	if r.code != exitOK || !strings.Contains(r.stderr, "already done:    200") || p.s.Audit().Requests != before {
		t.Errorf("rerun: exit %d, %d requests:\n%s", r.code, p.s.Audit().Requests-before, r.stderr)
	}
	checkCreatedOnce(t, p, j, 200, "New")
}

// TestAddConcurrentEdits: after the answer of a batch is lost, another user
// edits one created record (its key untouched) and creates a copy of another
// by hand with the same key. The edited record is found (done, not created
// again); the key found twice is ambiguous (exit 3), never sent again, on
// this run or the next.
func TestAddConcurrentEdits(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	in := writeAddCSV(t, dir, 3, "Edit")
	j := filepath.Join(dir, "j")
	p.s.FailNext("batch", 1, b24test.FaultLateRun)
	// A colleague edits row 1 and copies row 2's key after the late run and
	// before the read-back: made inside the fake when the read-back's search
	// arrives, so no clock decides the order.
	var once sync.Once
	p.s.On("crm.deal.list", func(c *b24test.Call) (b24test.Result, *b24test.Error) {
		if c.Batched {
			once.Do(func() { colleagueEdits(t, p.s) })
		}
		return c.Run()
	})
	r := p.run(t, "", "add", "deal", "--from", in, "--journal", j, "--timeout", "500ms")
	if r.code != exitPartial || !strings.Contains(r.stderr, "settled by read: 2 done, 0 sent again") || !strings.Contains(r.stderr, "row 2 (key 2): not settled: ") {
		t.Fatalf("exit %d:\n%s\n%s", r.code, r.stderr, p.s.Audit().JSON())
	}
	r = p.run(t, "", "add", "deal", "--from", in, "--journal", j)
	if r.code != exitPartial || !strings.Contains(r.stderr, "row 2 (key 2): not settled: ") {
		t.Fatalf("rerun: exit %d:\n%s", r.code, r.stderr)
	}
	if n := p.s.Audit().ByMethod["batch"]; total(n) != 1+2 { // the add, then one search a run
		t.Errorf("batch requests %v: want the add once and one search a run", n)
	}
}

// colleagueEdits has user 7 edit the newest deal with ORIGIN_ID 1 and add a
// copy carrying the newest ORIGIN_ID 2's key.
func colleagueEdits(t *testing.T, s *b24test.Server) {
	raw, err := s.CallAs(7, "crm.deal.list", map[string]any{"select": []string{"ID", "ORIGINATOR_ID", "ORIGIN_ID"}, "order": map[string]string{"ID": "DESC"}})
	var rows []keyedDeal
	if err == nil {
		err = json.Unmarshal(raw, &rows)
	}
	if err != nil || len(rows) < 3 {
		t.Errorf("colleague: %d rows, %v", len(rows), err)
		return
	}
	for _, r := range rows[:3] { // the newest: this run's
		switch r.ORIGIN_ID {
		case "1":
			s.CallAs(7, "crm.deal.update", map[string]any{"id": r.ID, "fields": map[string]any{"TITLE": "Edit #1", "COMMENTS": "colleague"}})
		case "2":
			s.CallAs(7, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "copy", "ORIGINATOR_ID": r.ORIGINATOR_ID, "ORIGIN_ID": "2"}})
		}
	}
}

func total(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestAddRefusals: what exactly-once mode refuses, with exit 2 and nothing
// sent.
func TestAddRefusals(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		return path
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"sets ORIGIN_ID", []string{"deal", "--from", write("o.csv", "TITLE,ORIGIN_ID\na,1\n")}, "sets ORIGIN_ID itself"},
		{"sets originatorId", []string{"lead", "--from", write("o.ndjson", `{"TITLE":"a","originatorId":"1c"}`+"\n")}, "sets ORIGINATOR_ID itself"},
		{"duplicate keys", []string{"deal", "--key", "ext", "--from", write("d.csv", "ext,TITLE\nA-1,a\nb,b\na-1,c\n")}, "key a-1 on lines 2 and 4"},
		{"no key column", []string{"deal", "--key", "ext", "--from", write("n.csv", "TITLE\na\n")}, "no ext column"},
		{"key too long", []string{"deal", "--key", "ext", "--from", write("l.csv", "ext,TITLE\n"+strings.Repeat("k", 256)+",a\n")}, "must be 1 to 255"},
		{"non-ASCII key", []string{"deal", "--key", "ext", "--from", write("u.csv", "ext,TITLE\nключ,a\n")}, "not printable ASCII"},
		{"task", []string{"task", "--from", write("t.csv", "TITLE\na\n")}, "exactly-once creates are made for"},
		{"quote item", []string{"item", "--param", "entityTypeId=7", "--from", write("q.csv", "title\na\n")}, "entityTypeId 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := filepath.Join(t.TempDir(), "j")
			r := p.run(t, "", append([]string{"add"}, append(tc.args, "--journal", j)...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", r.code, exitUsage, tc.want, r.stderr)
			}
		})
	}
	if n := p.s.Audit().Requests; n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestAddDryRun: --dry-run prints the creates with their keys (under the
// run id "<run>"), opens no journal and sends nothing; input that sets a
// key field is refused there too.
func TestAddDryRun(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("ext,TITLE\nA,one\n"), 0o644)
	j := filepath.Join(dir, "j")
	r := p.run(t, "", "add", "deal", "--key", "ext", "--from", in, "--journal", j, "--dry-run")
	want := `{"method":"crm.deal.add","params":{"fields":{"ORIGINATOR_ID":"b24:<run>","ORIGIN_ID":"A","TITLE":"one"}}}`
	if r.code != exitOK || strings.TrimSpace(r.stdout) != want {
		t.Errorf("exit %d, stdout %s, want %s\n%s", r.code, r.stdout, want, r.stderr)
	}
	if _, err := os.Stat(j); err == nil {
		t.Error("a dry run created the journal")
	}
	os.WriteFile(in, []byte("TITLE,ORIGIN_ID\none,1c\n"), 0o644)
	if r = p.run(t, "", "add", "deal", "--from", in, "--journal", j, "--dry-run"); r.code != exitUsage {
		t.Errorf("a key field in a dry run: exit %d\n%s", r.code, r.stderr)
	}
	if n := p.s.Audit().Requests; n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestAddSmartProcess: items of a smart process carry xmlId; a lost answer
// is settled by searching it.
func TestAddSmartProcess(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, []byte(`{"ext":"A","title":"one"}`+"\n"+`{"ext":"B","fields":{"title":"two"}}`+"\n"), 0o644)
	p.s.FailNext("batch", 1, b24test.FaultReset)
	r := p.run(t, "", "add", "item", "--param", "entityTypeId=128", "--key", "ext", "--from", in, "--journal", filepath.Join(dir, "j"))
	if r.code != exitOK || !strings.Contains(r.stderr, "settled by read: 2 done") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	type item struct {
		ID    b24.ID `json:"id"`
		XMLID string `json:"xmlId"`
		Title string `json:"title"`
	}
	res, _, err := b24.CallAs[struct{ Items []item }](t.Context(), p.s.Hook().V2(), "crm.item.list", map[string]any{"entityTypeId": 128})
	if err != nil || len(res.Items) != 2 {
		t.Fatalf("items %v %v", res, err)
	}
	for _, it := range res.Items {
		if !strings.HasPrefix(it.XMLID, "b24:") || !strings.HasSuffix(it.XMLID, map[string]string{"one": ":A", "two": ":B"}[it.Title]) {
			t.Errorf("item %+v", it)
		}
	}
}

// TestKillAdd kills "b24 add" with SIGKILL at seeded random moments, reruns
// it each time, and checks that every row ends created exactly once.
func TestKillAdd(t *testing.T) {
	bin := buildB24(t)
	lat := b24test.DefaultLatency()
	lat.Write = 60 * time.Millisecond // see TestKillUpdate
	p := newPortal(t, b24test.WithLatency(lat))
	dir := t.TempDir()
	in := writeAddCSV(t, dir, 1000, "Killed")
	args := []string{"add", "deal", "--from", in, "--journal", filepath.Join(dir, "j"), "--time-scale", "20", "--quiet", "--concurrency", "2"}
	killAndRerun(t, bin, p.env, 4, args...)
	checkCreatedOnce(t, p, filepath.Join(dir, "j"), 1000, "Killed")
}

// TestAddJournalsSendTime: the limiter holds the second and third batches
// (bucket 1, one request a second); each row's last journal entry before its
// answer is the send, after that wait, not the moment it was queued: a rerun
// waits out the portal's cut-off from it. Before, the entry before the
// request was the only one, up to the limiter's wait too early.
func TestAddJournalsSendTime(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	in := writeAddCSV(t, dir, 3, "Paced")
	j := filepath.Join(dir, "j")
	r := p.run(t, "", "add", "deal", "--from", in, "--journal", j, "--chunk", "1", "--concurrency", "3",
		"--time-scale", "1", "--burst", "1", "--drain", "1")
	if r.code != exitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(j)
	first, last := map[int]float64{}, map[int]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		var e journal.Entry
		json.Unmarshal([]byte(line), &e)
		if e.State != journal.Sent {
			continue
		}
		if _, ok := first[e.Row]; !ok {
			first[e.Row] = e.Time
		}
		last[e.Row] = e.Time
	}
	waited := 0
	for row := 1; row <= 3; row++ {
		if last[row]-first[row] >= 0.9 {
			waited++
		}
	}
	if waited < 2 {
		t.Errorf("%d rows journaled as sent after the limiter's wait, want 2 (first %v, last %v)", waited, first, last)
	}
}

// TestAddV3IdempotencyKey: REST 3.0 tasks, each one call carrying
// Idempotency-Key b24:<run>:<key>. Answers lost after the create ran
// (reset, truncated) are settled by sending again with the same key: the
// portal replays the stored answer, so each task is created once; a rerun
// creates nothing.
func TestAddV3IdempotencyKey(t *testing.T) {
	p := newPortal(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("ext,title\nA,one\nB,two\nC,three\nD,four\n"), 0o644)
	j := filepath.Join(dir, "j")
	// Row A: three attempts reset after the create ran: the SDK gives up
	// (ambiguous); row B: one truncated answer, retried by the SDK.
	p.s.FailNext("tasks.task.add", 2, b24test.FaultReset)
	p.s.FailNext("tasks.task.add", 2, b24test.FaultTruncated)
	r := p.run(t, "", "add", "task", "--api", "v3", "--key", "ext", "--from", in, "--journal", j, "--concurrency", "1", "--chunk", "1")
	if r.code != exitOK || !strings.Contains(r.stderr, "created:         4") || !strings.Contains(r.stderr, "0 done, 1 sent again") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	a := p.s.Audit()
	created := reltest.CreatedRecords(t, a, "task")
	replayed := 0
	for _, rec := range a.Log {
		if rec.Replayed {
			replayed++
		}
	}
	if created != 4 || replayed == 0 {
		t.Errorf("%d tasks created, %d replays: want 4, some", created, replayed)
	}
	before := a.Requests
	if r = p.run(t, "", "add", "task", "--api", "v3", "--key", "ext", "--from", in, "--journal", j); r.code != exitOK || p.s.Audit().Requests != before {
		t.Errorf("rerun: exit %d, %d requests:\n%s", r.code, p.s.Audit().Requests-before, r.stderr)
	}
}
