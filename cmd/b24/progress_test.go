package main

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"
)

// TestProgress drives the progress display on the bubble's clock: the bar
// redrawn in place (carriage return, clear to the end of the line) at most
// every 100 ms on a terminal, a plain line every 5 s otherwise, nothing
// with --quiet. Done is called last in every case.
func TestProgress(t *testing.T) {
	type step struct {
		after    time.Duration // sleep first
		add      int
		setTotal int64 // > 0: SetTotal before the Add
	}
	const redraw = "\r\x1b[K"
	// The same run of a batch of 100 commands: 1 at once (too early to
	// draw), 9 at 1 s, 10 at 1.05 s (too early), 30 at 2 s, 50 at 4 s.
	batchRun := []step{{0, 1, 0}, {time.Second, 9, 0}, {50 * time.Millisecond, 10, 0},
		{950 * time.Millisecond, 30, 0}, {2 * time.Second, 50, 0}}
	tests := []struct {
		name        string
		tty, quiet  bool
		label, unit string
		total       int64
		steps       []step
		want        string
		wantN       int64
	}{
		{name: "tty with a total", tty: true, label: "batch", unit: "commands", total: 100, steps: batchRun,
			want: redraw + "[==                      ] batch: 10/100 commands, 10/s, ETA 9s" +
				redraw + "[============            ] batch: 50/100 commands, 25/s, ETA 2s" +
				redraw + "[========================] batch: 100/100 commands, 25/s" +
				redraw + "[========================] batch: 100/100 commands, 25/s\n",
			wantN: 100},
		{name: "tty, the total known later", tty: true, label: "list", unit: "rows",
			// Drawn at 100 ms, not at 199 ms (99 ms later), again at 200 ms.
			steps: []step{{100 * time.Millisecond, 40, 0}, {99 * time.Millisecond, 10, 0}, {time.Millisecond, 50, 400}},
			want: redraw + "list: 40 rows, 400/s" +
				redraw + "[======                  ] list: 100/400 rows, 500/s, ETA 1s" + // 0.6 s rounds up
				redraw + "[======                  ] list: 100/400 rows, 500/s\n", // stopped early: no ETA on the final line
			wantN: 100},
		{name: "tty past an estimated total", tty: true, label: "list", unit: "rows", total: 50,
			steps: []step{{time.Second, 60, 0}},
			want: redraw + "[========================] list: 60/50 rows, 60/s" +
				redraw + "[========================] list: 60/50 rows, 60/s\n",
			wantN: 60},
		{name: "tty done at once", tty: true, label: "batch", unit: "commands", total: 100,
			want:  redraw + "[                        ] batch: 0/100 commands, 0/s\n",
			wantN: 0},
		{name: "plain", label: "update", unit: "rows", total: 100,
			steps: []step{{time.Second, 10, 0}, {4 * time.Second, 40, 0}, {time.Second, 50, 0}},
			want:  "update: 50/100 rows, 10/s, ETA 5s\n", // at 5 s; Done adds nothing
			wantN: 100},
		{name: "quiet on a terminal", tty: true, quiet: true, label: "batch", unit: "commands", total: 100,
			steps: batchRun, want: "", wantN: 100},
		{name: "quiet", quiet: true, label: "update", unit: "rows", total: 100,
			steps: []step{{5 * time.Second, 50, 0}}, want: "", wantN: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var buf bytes.Buffer
				p := newProgressOn(&buf, tt.tty, tt.quiet, tt.label, tt.unit, tt.total)
				for _, s := range tt.steps {
					time.Sleep(s.after)
					if s.setTotal > 0 {
						p.SetTotal(s.setTotal)
					}
					p.Add(s.add)
				}
				p.Done()
				if got := buf.String(); got != tt.want {
					t.Errorf("output\n%q\nwant\n%q", got, tt.want)
				}
				if n := p.Count(); n != tt.wantN {
					t.Errorf("Count %d, want %d", n, tt.wantN)
				}
			})
		})
	}
}

// TestProgressResume: an export resumed after 9,000 of 10,000 rows counts
// them in, not in the rate: 500 rows in 1 s is 9500/10000, 500/s, ETA 1s
// (not "500/10000 ... ETA 19s", nor an ETA of the whole list at this run's rate).
func TestProgressResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		p := newProgressOn(&buf, false, false, "list", "rows", 10000)
		p.Resume(9000)
		time.Sleep(5 * time.Second)
		p.Add(2500 - 2000) // 500 rows in 5 s: 100/s
		want := "list: 9500/10000 rows, 100/s, ETA 5s\n"
		if buf.String() != want {
			t.Errorf("got %q, want %q", buf.String(), want)
		}
		if p.Count() != 500 {
			t.Errorf("Count %d, want this run's 500", p.Count())
		}
	})
}

// TestProgressNothingAfterDone: the final line stays the last thing the
// bar draws, whatever is added or ended after it.
func TestProgressNothingAfterDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		p := newProgressOn(&buf, true, false, "list", "rows", 0)
		time.Sleep(time.Second)
		p.Add(10)
		p.Done()
		after := buf.Len()
		time.Sleep(time.Second)
		p.Add(10)
		p.Done()
		if buf.Len() != after {
			t.Errorf("drawn after Done: %q", buf.String()[after:])
		}
	})
}

// TestProgressColor: the bar's filled part is green on a terminal, plain
// with $NO_COLOR or TERM=dumb.
func TestProgressColor(t *testing.T) {
	for _, tc := range []struct {
		env   []string
		color bool
	}{{nil, true}, {[]string{"NO_COLOR=1"}, false}, {[]string{"TERM=dumb"}, false}, {[]string{"NO_COLOR="}, true}} {
		c := &cli{env: tc.env}
		p := newProgressOn(&bytes.Buffer{}, true, false, "x", "rows", 10)
		p.color = c.colorOK()
		if got := p.bar(5); (got != "[============            ] ") == !tc.color || (tc.color && got != "[\x1b[32m============\x1b[0m            ] ") {
			t.Errorf("env %v: bar %q", tc.env, got)
		}
	}
}
