//go:build !windows

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestListProgressOnTerminal: on a terminal, b24 list draws its bar on
// stderr, the final line before the summary and nothing after it; the
// bar is green unless $NO_COLOR is set.
func TestListProgressOnTerminal(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 2, Deals: 300}))
	for _, tc := range []struct {
		env   []string
		color bool
	}{{nil, true}, {[]string{"NO_COLOR=1"}, false}} {
		term := newPty(t)
		var out strings.Builder
		env := append(append([]string{}, p.env...), tc.env...)
		code := run(context.Background(), []string{"list", "--time-scale", "20", "crm.deal.list", "--select", "ID"}, strings.NewReader(""), &out, term.tty, env)
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
		term.waitFor(t, "b24 list: complete: 300 rows")
		screen := term.output()
		final := strings.LastIndex(screen, "\r\x1b[K")
		summary := strings.Index(screen, "b24 list: 300 rows to stdout")
		if final < 0 || summary < final {
			t.Errorf("the bar's final line (at %d) is not before the summary (at %d): %q", final, summary, screen)
		}
		if !strings.Contains(screen[final:summary], "list: 300/300 rows") {
			t.Errorf("final line %q", screen[final:summary])
		}
		if got := strings.Contains(screen, "\x1b[32m"); got != tc.color {
			t.Errorf("env %v: colour %v, want %v: %q", tc.env, got, tc.color, screen)
		}
	}
}

// TestSyncProgressOnTerminal: b24 sync draws list's progress on a terminal
// (the rows written so far, the rate), its final line before the report.
func TestSyncProgressOnTerminal(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 2, Deals: 300}))
	term := newPty(t)
	var out strings.Builder
	db := "sqlite:" + filepath.Join(t.TempDir(), "crm.db")
	code := run(context.Background(), []string{"sync", "--db", db, "crm.deal"}, strings.NewReader(""), &out, term.tty, p.env)
	if code != exitOK {
		t.Fatalf("exit %d: %q", code, term.output())
	}
	term.waitFor(t, "sync crm_deal: full; 300 rows written")
	screen := term.output()
	final := strings.LastIndex(screen, "\r\x1b[K")
	report := strings.Index(screen, "sync crm_deal: full;")
	if final < 0 || report < final || !strings.Contains(screen[final:report], "sync crm.deal: 300 rows") {
		t.Errorf("no final progress line (at %d) before the report (at %d): %q", final, report, screen)
	}
}
