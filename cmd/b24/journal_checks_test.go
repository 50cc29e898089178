package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/journal"
)

// testSecret is the webhook secret newPortal gives every fake portal.
const testSecret = "s3cr3tS3CR3Tsecr"

// TestUpdateDuplicateIDs: an input naming one record twice is refused
// before anything is sent, naming the lines (it used to send both, and with
// a lost answer write the record three times, ending with the older value).
func TestUpdateDuplicateIDs(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 20}))
	ids := dealIDs(t, p)
	tests := []struct {
		name, file, content, want string
	}{
		{"csv", "in.csv", fmt.Sprintf("ID,TITLE\n%d,new\n%d,x\n%d,old\n", ids[0], ids[1], ids[0]), fmt.Sprintf("ID %d on lines 2 and 4", ids[0])},
		{"ndjson", "in.ndjson", fmt.Sprintf("{\"ID\":%d,\"TITLE\":\"new\"}\n\n{\"id\":\"%d\",\"fields\":{\"TITLE\":\"old\"}}\n", ids[2], ids[2]), fmt.Sprintf("ID %d on lines 1 and 3", ids[2])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in, j := filepath.Join(dir, tt.file), filepath.Join(dir, "j")
			os.WriteFile(in, []byte(tt.content), 0o644)
			r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", j)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d naming %q", r.code, r.stderr, exitUsage, tt.want)
			}
			if _, err := os.Stat(j); !os.IsNotExist(err) {
				t.Errorf("the journal was created: %v", err)
			}
		})
	}
	if w := p.s.Audit().Writes; len(w) != 0 {
		t.Errorf("records written: %v", w)
	}
}

// TestUpdateJournalIsInput: --journal naming the input file is refused and
// the input left alone (an empty input used to get a journal header
// written into it).
func TestUpdateJournalIsInput(t *testing.T) {
	p := newPortal(t)
	in := filepath.Join(t.TempDir(), "in.ndjson")
	os.WriteFile(in, nil, 0o644)
	r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", in)
	if r.code != exitUsage || !strings.Contains(r.stderr, "name the same file") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(in); len(b) != 0 {
		t.Errorf("the input was written: %q", b)
	}
}

// TestUpdateJournalRefused: a journal of another portal, an old format, a
// damaged line in the middle, or a journal another process holds is refused
// with exit 2, before anything is sent, and left as it was. On the old
// format these ran: another portal's journal said "already done" and wrote
// nothing, a damaged line silently dropped every line after it, and a
// second process wrote every record again.
func TestUpdateJournalRefused(t *testing.T) {
	a := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 30}))
	ids := dealIDs(t, a)[:20]
	dir := t.TempDir()
	in := writeUpdateCSV(t, dir, ids, "Journal")
	good := filepath.Join(dir, "good")
	if r := a.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", good); r.code != exitOK {
		t.Fatalf("first run: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	done, _ := os.ReadFile(good)
	if bytes.Contains(done, []byte(testSecret)) {
		t.Fatalf("the journal holds the webhook secret:\n%s", done)
	}
	lines := strings.SplitAfter(string(done), "\n")
	if len(lines) < 6 {
		t.Fatalf("journal of %d lines", len(lines))
	}
	damaged := lines[0] + lines[1] + "{\"row\":7,\"id\n" + strings.Join(lines[3:], "")

	tests := []struct {
		name    string
		portal  *portal // nil: a fresh portal with the same deals
		content string
		hold    bool // another Open holds the journal
		want    string
	}{
		{"other portal", nil, string(done), false, "records portal https://127.0.0.1:"},
		{"damaged line", a, damaged, false, "line 3 of"},
		{"old format", a, `{"journal":1,"method":"crm.deal.update","input":"sha256:00","rows":20}` + "\n", false, "journal format 1"},
		{"in use", a, "", true, "another b24 update is running with it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.portal
			if p == nil {
				p = newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 3, Deals: 30}))
			}
			j := filepath.Join(t.TempDir(), "j")
			if tt.hold {
				held, _, err := journal.Open(j, journal.Header{Method: "x"})
				if err != nil {
					t.Fatal(err)
				}
				defer held.Close()
			} else {
				os.WriteFile(j, []byte(tt.content), 0o644)
			}
			before, _ := os.ReadFile(j)
			writes := len(p.s.Audit().Writes)
			r := p.run(t, "", "update", "crm.deal.update", "--from", in, "--journal", j)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d naming %q", r.code, r.stdout, r.stderr, exitUsage, tt.want)
			}
			if strings.Contains(r.stderr, testSecret) {
				t.Errorf("the secret in stderr: %s", r.stderr)
			}
			if n := len(p.s.Audit().Writes); n != writes {
				t.Errorf("%d records written", n-writes)
			}
			if after, _ := os.ReadFile(j); !bytes.Equal(before, after) {
				t.Errorf("the refused journal changed:\n%s", after)
			}
		})
	}
}

// TestUpdateTwoProcesses runs "b24 update" in a child process and, while it
// runs, the same update with the same journal here: the second is refused
// (it used to write every record a second time). The child is then killed
// with SIGKILL, and a rerun takes the journal over without any manual
// unlock and completes: every record written once.
func TestUpdateTwoProcesses(t *testing.T) {
	bin := buildB24(t)
	lat := b24test.DefaultLatency()
	lat.Write = 60 * time.Millisecond // a batch of 50 takes 150 ms at scale 20: the child runs about 3 s
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 12, Deals: 1200}), b24test.WithLatency(lat))
	ids := dealIDs(t, p)[:1000]
	dir := t.TempDir()
	in, j := writeUpdateCSV(t, dir, ids, "Twice"), filepath.Join(dir, "j")
	args := []string{"update", "crm.deal.update", "--from", in, "--journal", j, "--time-scale", "20", "--quiet", "--concurrency", "1"}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), p.env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Wait (bounded) until the child has sent its first batch.
	for i := 0; ; i++ {
		if b, _ := os.ReadFile(j); bytes.Contains(b, []byte(`"state":"sent"`)) {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the child ended before sending: %v\n%s", err, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
		if i == 3000 {
			t.Fatal("the child sent nothing in 30 s")
		}
	}
	r := p.run(t, "", args[:len(args)-3]...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "another b24 update is running with it") {
		t.Errorf("second process: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	cmd.Process.Kill()
	<-exited
	r = p.run(t, "", args[:len(args)-3]...)
	if r.code != exitOK {
		t.Fatalf("rerun after kill -9: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkTitles(t, p, ids, "Twice")
}
