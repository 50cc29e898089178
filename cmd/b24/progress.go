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
// place when stderr is a terminal (green unless $NO_COLOR is set or
// $TERM is dumb), a plain line every interval otherwise, nothing with
// --quiet. Nothing is drawn after Done: the final line stays the last.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	quiet    bool
	color    bool
	done     bool
	base     int64 // units done by earlier runs (a resumed export)
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
	p := newProgressOn(c.stderr, isTerminal(c.stderr), c.g.quiet, label, unit, total)
	p.color = p.tty && c.colorOK()
	return p
}

// colorOK reports whether colours are wanted: $NO_COLOR (no-color.org,
// any value but empty) or $TERM=dumb turns them off.
func (c *cli) colorOK() bool {
	return c.getenv("NO_COLOR") == "" && c.getenv("TERM") != "dumb"
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

// Resume counts base units as done by an earlier run: they are shown in
// the count, not in the rate, and the ETA is of what is left.
func (p *progress) Resume(base int64) {
	p.mu.Lock()
	p.base = base
	p.mu.Unlock()
}

// Add counts n more units and redraws when it is time.
func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += int64(n)
	if p.quiet || p.done {
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
	n := p.base + p.n
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", p.label, n)
	if p.total > 0 {
		fmt.Fprintf(&b, "/%d", p.total)
	}
	fmt.Fprintf(&b, " %s, %.0f/s", p.unit, rate)
	if !final && p.total > 0 && rate > 0 && n < p.total {
		eta := time.Duration(float64(p.total-n) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s%s", p.bar(n), b.String())
		return
	}
	fmt.Fprintln(p.w, b.String())
}

// bar is the terminal's bar for n units of the total ("" while unknown).
func (p *progress) bar(n int64) string {
	if p.total <= 0 {
		return ""
	}
	const width = 24
	done := int(float64(width) * float64(min(n, p.total)) / float64(p.total))
	fill := strings.Repeat("=", done)
	if p.color && done > 0 {
		fill = "\x1b[32m" + fill + "\x1b[0m"
	}
	return "[" + fill + strings.Repeat(" ", width-done) + "] "
}

// Done ends the bar (a terminal's line is finished); later calls of Add
// and Done draw nothing.
func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet || !p.tty || p.done {
		p.done = true
		return
	}
	p.done = true
	p.draw(time.Now(), true)
	fmt.Fprintln(p.w)
}

// Count returns the units counted.
func (p *progress) Count() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}
