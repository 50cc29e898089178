package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports how far a long command got, on stderr: a bar redrawn in
// place when stderr is a terminal, a plain line every interval otherwise,
// nothing with --quiet.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	quiet    bool
	label    string
	unit     string
	total    int64 // 0: unknown
	n        int64
	start    time.Time
	last     time.Time
	interval time.Duration
}

// plainInterval is how often a plain progress line is printed.
var plainInterval = 5 * time.Second

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (c *cli) newProgress(label, unit string, total int64) *progress {
	return newProgressOn(c.stderr, isTerminal(c.stderr), c.g.quiet, label, unit, total)
}

// newProgressOn reports on w, as on a terminal when tty (tests force it).
func newProgressOn(w io.Writer, tty, quiet bool, label, unit string, total int64) *progress {
	p := &progress{w: w, tty: tty, quiet: quiet, label: label, unit: unit,
		total: total, start: time.Now(), interval: plainInterval}
	p.last = p.start
	if p.tty {
		p.interval = 100 * time.Millisecond
	}
	return p
}

// SetTotal sets the expected count, when it becomes known.
func (p *progress) SetTotal(n int64) {
	p.mu.Lock()
	p.total = n
	p.mu.Unlock()
}

// Add counts n more units and redraws when it is time.
func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += int64(n)
	if p.quiet {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	p.draw(now, false)
}

// draw writes the progress; the final one has no ETA.
func (p *progress) draw(now time.Time, final bool) {
	el := now.Sub(p.start)
	rate := 0.0
	if el > 0 {
		rate = float64(p.n) / el.Seconds()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", p.label, p.n)
	if p.total > 0 {
		fmt.Fprintf(&b, "/%d", p.total)
	}
	fmt.Fprintf(&b, " %s, %.0f/s", p.unit, rate)
	if !final && p.total > 0 && rate > 0 && p.n < p.total {
		eta := time.Duration(float64(p.total-p.n) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
	}
	if p.tty {
		bar := ""
		if p.total > 0 {
			const width = 24
			done := int(float64(width) * float64(min(p.n, p.total)) / float64(p.total))
			bar = "[" + strings.Repeat("=", done) + strings.Repeat(" ", width-done) + "] "
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s%s", bar, b.String())
		return
	}
	fmt.Fprintln(p.w, b.String())
}

// Done ends the bar (a terminal's line is finished).
func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet || !p.tty {
		return
	}
	p.draw(time.Now(), true)
	fmt.Fprintln(p.w)
}

// Count returns the units counted.
func (p *progress) Count() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}
