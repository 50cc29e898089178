//go:build !windows

package main

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// term is a pseudo-terminal: tty is the side the command gets as stdin
// and stderr (a real terminal to it: isatty, no echo for a password);
// what the command writes there is collected from the other side.
type ptyTerm struct {
	tty, ptmx *os.File
	mu        sync.Mutex
	out       bytes.Buffer
}

func newPty(t *testing.T) *ptyTerm {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	p := &ptyTerm{tty: tty, ptmx: ptmx}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); ptmx.Close() })
	return p
}

// output is what the command wrote to the terminal so far.
func (p *ptyTerm) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits (at most 10 s) until the output holds s.
func (p *ptyTerm) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.output(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows %q", s, p.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// typeLine types line and Enter at the terminal.
func (p *ptyTerm) typeLine(t *testing.T, line string) {
	t.Helper()
	if _, err := p.ptmx.Write([]byte(line + "\r")); err != nil {
		t.Fatal(err)
	}
}
