package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/dbsync"
)

var demoCommand = &command{
	name:    "demo",
	summary: "export and bulk-update deals of an in-process fake portal",
	example: `  b24 demo
  b24 demo --deals 50000 --update 5000 -o /tmp/deals.csv`,
	long: `Starts a fake portal in this process (no webhook, no network: an in-memory
transport) seeded with 10,000 deals, then does the main job end to end:
  1. ping: profile and app.info;
  2. export every deal to deals.csv in the current directory (-o);
  3. update 1,000 of them (a new TITLE each) through batches, with a
     journal in a temporary directory;
  4. sync the deals into a SQLite database in that directory, add 3 and
     sync again (the second run reads only the changes);
and prints what it did with the limiter's figures: requests, waits, rows a
second. The fake runs --time-scale times faster than a real portal (its
limits too), so the figures are those of a portal K times faster.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		deals := fs.Int("deals", 10000, "deals seeded in the fake portal")
		updates := fs.Int("update", 1000, "deals to update")
		out := fs.StringP("output", "o", "deals.csv", "where to export the deals")
		scale := fs.Float64("time-scale", 20, "the fake portal runs `K` times faster than a real one")
		fs.BoolVar(&c.g.quiet, "quiet", false, "no progress on stderr")
		return func(ctx context.Context, args []string) int {
			if len(args) > 0 {
				return c.fail(ctx, usagef("unexpected arguments %q", args))
			}
			if *out == "" || *out == "-" {
				return c.fail(ctx, usagef("-o needs a file: the demo reads its export back to update"))
			}
			if *deals < 1 || *updates < 0 || *updates > *deals || *scale <= 0 {
				return c.fail(ctx, usagef("want --deals >= 1, 0 <= --update <= --deals, --time-scale > 0"))
			}
			if err := runDemo(ctx, c, *deals, *updates, *out, *scale); err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
}

func runDemo(ctx context.Context, c *cli, deals, updates int, out string, scale float64) error {
	c.g.plan, c.g.logLevel, c.g.logFormat, c.g.api, c.g.timeScale = "standard", "error", "text", "v2", scale
	w := c.stdout
	start := time.Now()
	s, err := b24test.Start(b24test.InMemory(), b24test.WithTimeScale(scale),
		b24test.WithSeed(b24test.Seed{Seed: 1, Deals: deals}))
	if err != nil {
		return err
	}
	defer s.Close()
	h := s.Hook(b24.WithLogger(c.logger()))
	defer h.Close()
	l := s.Limits()
	fmt.Fprintf(w, "fake portal: %d deals, in memory, %g× real time (bucket %d, drain %g/s)\n\n", deals, scale, l.Burst, l.Drain)

	fmt.Fprintf(w, "1. b24 ping\n")
	if err := ping(ctx, indent{w}, h); err != nil {
		return err
	}

	fmt.Fprintf(w, "\n2. b24 list crm.deal.list --format csv -o %s\n", out)
	before := h.Stats()
	t0 := time.Now()
	rep, err := exportList(ctx, c, h.V2(), "crm.deal.list", map[string]any{}, exportOpts{format: "csv", out: out, shards: defaultShards, noSummary: true})
	if err != nil {
		return err
	}
	n := rep.Rows
	el := time.Since(t0)
	after := h.Stats()
	abs, _ := filepath.Abs(out)
	fmt.Fprintf(w, "   %d deals to %s in %s: %.0f rows/s, %s\n", n, abs, el.Round(time.Millisecond), float64(n)/el.Seconds(), statsDelta(before, after))
	fmt.Fprintf(w, "   %s\n", reportLine(rep, rep.Rows, false))

	fmt.Fprintf(w, "\n3. b24 update crm.deal.update --from update.csv --journal update.journal\n")
	tmp, err := os.MkdirTemp("", "b24-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	in := filepath.Join(tmp, "update.csv")
	if err := demoUpdateInput(out, in, updates); err != nil {
		return err
	}
	before = h.Stats()
	t0 = time.Now()
	u := &updater{c: &cli{stdin: c.stdin, stdout: indent{w}, stderr: c.stderr, env: c.env, name: "b24 update", g: c.g},
		from: in, journalPath: filepath.Join(tmp, "update.journal"), chunk: b24.MaxBatchCommands, concurrency: 4, summaryTo: indent{w}}
	u.c.hookOpts = nil
	if code := u.runWithHook(ctx, h, []string{"crm.deal.update"}); code != exitOK {
		return fmt.Errorf("the update did not complete (exit %d)", code)
	}
	el = time.Since(t0)
	after = h.Stats()
	fmt.Fprintf(w, "   %d deals updated in %s: %.0f rows/s, %s\n", updates, el.Round(time.Millisecond), float64(updates)/el.Seconds(), statsDelta(before, after))
	if err := demoSync(ctx, w, h, filepath.Join(tmp, "crm.db")); err != nil {
		return err
	}

	st := h.Stats()
	fmt.Fprintf(w, "\nin all: %d requests (%d retries, %d refused by the portal), %d waits for the limiter (%s), %s\n",
		st.Requests, st.Retries, st.RateRefusals+st.OpRefusals, st.Waits, st.WaitTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	a := s.Audit()
	twice := 0
	for _, n := range a.Writes {
		if n > 1 {
			twice++
		}
	}
	fmt.Fprintf(w, "portal audit: %d requests, %d records written, %d written more than once\n", a.Requests, len(a.Writes), twice)
	return nil
}

func statsDelta(a, b b24.Stats) string {
	return fmt.Sprintf("%d requests, %d limiter waits (%s)", b.Requests-a.Requests, b.Waits-a.Waits, (b.WaitTime - a.WaitTime).Round(time.Millisecond))
}

// demoUpdateInput writes an update of the first n deals of the export: a
// new TITLE for each.
func demoUpdateInput(export, path string, n int) error {
	f, err := os.Open(export)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return err
	}
	idCol, titleCol := -1, -1
	for i, h := range header {
		switch h {
		case "ID":
			idCol = i
		case "TITLE":
			titleCol = i
		}
	}
	if idCol < 0 || titleCol < 0 {
		return fmt.Errorf("%s has no ID or TITLE column", export)
	}
	var b strings.Builder
	b.WriteString("ID,TITLE\n")
	for i := 0; i < n; i++ {
		rec, err := r.Read()
		if err != nil {
			return err
		}
		id, _ := strconv.Atoi(rec[idCol])
		title := strings.ReplaceAll(rec[titleCol], `"`, `""`)
		fmt.Fprintf(&b, "%d,\"%s (demo)\"\n", id, title)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// indent prefixes every line written through it with three spaces.
type indent struct {
	w interface{ Write([]byte) (int, error) }
}

func (in indent) Write(p []byte) (int, error) {
	s := strings.ReplaceAll(strings.TrimSuffix(string(p), "\n"), "\n", "\n   ")
	if _, err := in.w.Write([]byte("   " + s + "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// demoSync syncs the deals into a SQLite database twice, with 3 new deals
// between: a full walk, then a change walk and an id walk.
func demoSync(ctx context.Context, w io.Writer, h *b24.Hook, path string) error {
	fmt.Fprintf(w, "\n4. b24 sync crm.deal --db sqlite:%s (then 3 new deals, and again)\n", path)
	db, err := dbsync.Open(ctx, "sqlite:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for run := range 2 {
		if run == 1 {
			for i := range 3 {
				if _, err := h.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": fmt.Sprint("new ", i)}}); err != nil {
					return err
				}
			}
		}
		rep, err := db.Sync(ctx, h, dbsync.Options{Entity: "crm.deal", Logger: quiet})
		if err != nil {
			return err
		}
		printSyncReport(indent{w}, rep)
	}
	return nil
}
