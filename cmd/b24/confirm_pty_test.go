//go:build !windows

package main

import (
	"errors"
	"testing"
)

// TestConfirmOnTerminal: on a terminal the question is asked on stderr;
// "y" goes on, anything else is a refusal (exit 2) with nothing sent.
func TestConfirmOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		answer string
		ok     bool
	}{{"y", true}, {"YES", true}, {"n", false}, {"", false}} {
		term := newPty(t)
		c := &cli{stdin: term.tty, stderr: term.tty}
		errc := make(chan error, 1)
		go func() { errc <- c.confirm(t.Context(), "delete 2 records (crm.deal.delete)", false) }()
		term.waitFor(t, "delete 2 records (crm.deal.delete). Continue? [y/N] ")
		term.typeLine(t, tc.answer)
		err := <-errc
		var ue *usageError
		if tc.ok && err != nil || !tc.ok && !errors.As(err, &ue) {
			t.Errorf("answer %q: %v", tc.answer, err)
		}
	}
}
