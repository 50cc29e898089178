package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "deals.csv")
	var p *portal
	r := p.run(t, "", "demo", "--deals", "1500", "--update", "300", "--time-scale", "50", "-o", out)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"1. b24 ping", "user:    #1", "1500 deals to", "applied:         300",
		"sync crm_deal: full; 1500 rows written", "sync crm_deal: changes;", "303 records written, 0 written more than once", "limiter waits"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 1501 {
		t.Errorf("deals.csv: %d records, %v", len(recs), err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o644 {
		t.Errorf("deals.csv mode %v", st.Mode())
	}
}

// TestDemoStdout: the demo reads its export back, so -o - is refused (it
// wrote a file named "-").
func TestDemoStdout(t *testing.T) {
	t.Chdir(t.TempDir())
	var p *portal
	r := p.run(t, "", "demo", "--deals", "10", "--update", "1", "--time-scale", "50", "-o", "-")
	if r.code != exitUsage || !strings.Contains(r.stderr, "-o needs a file") {
		t.Errorf("exit %d, stderr %q; want exit 2", r.code, r.stderr)
	}
	if _, err := os.Lstat("-"); err == nil {
		t.Errorf("demo -o - wrote a file named -")
	}
}
