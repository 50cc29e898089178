//go:build !windows

package main

import (
	"strings"
	"testing"
)

// TestAuthAddHiddenPrompt: on a terminal the webhook is asked for without
// echo: the secret never shows on the screen.
func TestAuthAddHiddenPrompt(t *testing.T) {
	term := newPty(t)
	c := &cli{name: "b24 auth add", stdin: term.tty, stderr: term.tty, env: []string{"XDG_CONFIG_HOME=" + t.TempDir()}}
	errc := make(chan error, 1)
	go func() { errc <- c.authAdd(t.Context(), "work") }()
	term.waitFor(t, "Webhook URL for profile work: ")
	term.typeLine(t, hookWork)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	term.waitFor(t, "added profile work")
	if out := term.output(); strings.Contains(out, "workworkworkwor1") {
		t.Errorf("the secret was echoed: %q", out)
	}
	if w, _ := mustStore(t, c).Webhook("work"); w != hookWork {
		t.Errorf("stored %q", w)
	}
}
