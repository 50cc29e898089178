//go:build !windows

package main

import (
	"context"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

// TestCallDeleteAsksOnTerminal: b24 call crm.deal.delete on a terminal
// asks on stderr and deletes only after "y"; "n" is exit 2, nothing sent.
func TestCallDeleteAsksOnTerminal(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 4, Deals: 5}))
	for _, tc := range []struct {
		answer string
		code   int
		writes int
	}{{"n", exitUsage, 0}, {"y", exitOK, 1}} {
		term := newPty(t)
		var out strings.Builder
		done := make(chan int, 1)
		go func() {
			done <- run(context.Background(), []string{"call", "--time-scale", "20", "crm.deal.delete", "id=3"}, term.tty, &out, term.tty, p.env)
		}()
		term.waitFor(t, "crm.deal.delete on https://127.0.0.1:")
		term.waitFor(t, "deletes a record. Continue? [y/N] ")
		term.typeLine(t, tc.answer)
		if code := <-done; code != tc.code {
			t.Errorf("answer %q: exit %d, want %d; the terminal shows %q", tc.answer, code, tc.code, term.output())
		}
		if n := p.s.Audit().WriteCount("deal", 3); n != tc.writes {
			t.Errorf("answer %q: deal 3 written %d times, want %d", tc.answer, n, tc.writes)
		}
	}
}
