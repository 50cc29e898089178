package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/b24go/b24"
)

var listCommand = &command{
	name:    "list",
	args:    "METHOD",
	summary: "export every row of a list method as NDJSON, CSV or JSON",
	portal:  true,
	long: `Reads every row of METHOD (crm.deal.list, crm.contact.list, crm.item.list
with --param entityTypeId=2, tasks.task.list, ...) by id, without counting,
and writes them to stdout or -o FILE.

--select picks the fields (comma-separated); --filter takes JSON or
key=value pairs ('>OPPORTUNITY=1000'), repeatable. CSV columns are those of
--select, or every field the method's *.fields method lists when selecting
everything; nested values are written as JSON.

With -o FILE the file is written under a temporary name and renamed at the
end, so FILE is either complete or untouched. With --checkpoint CP rows are
appended to FILE instead, and after every request CP records, once FILE is
synced, its length and the walk's cursor; run the same command again after a
crash or an interrupt and it truncates FILE to that length and goes on:
FILE then holds every row exactly once.`,
	setup: func(fs *flag.FlagSet, c *cli) func(context.Context, []string) int {
		l := &lister{c: c}
		fs.StringVar(&l.sel, "select", "", "fields to read, comma-separated (default: all)")
		fs.Var(&l.filters, "filter", "filter as JSON or `key=value` ('>ID=100', 'STAGE_ID=WON'); repeatable")
		fs.Var(&l.extra, "param", "other method parameter `key=value` (e.g. entityTypeId=2); repeatable")
		fs.StringVar(&l.format, "format", "ndjson", "output format: ndjson, csv or json")
		fs.StringVar(&l.out, "o", "", "write to `FILE` instead of stdout")
		fs.StringVar(&l.checkpoint, "checkpoint", "", "checkpoint `file`: append to -o FILE and resume after a crash")
		return func(ctx context.Context, args []string) int { return l.run(ctx, args) }
	},
}

type lister struct {
	c          *cli
	sel        string
	filters    pairList
	extra      pairList
	format     string
	out        string
	checkpoint string
}

// checkpoint is what --checkpoint records after every synced request.
type checkpoint struct {
	Version int             `json:"v"`
	Query   string          `json:"query"` // hash of method, params and format
	File    string          `json:"file"`
	Offset  int64           `json:"offset"`
	Rows    int64           `json:"rows"`
	Cursor  json.RawMessage `json:"cursor,omitempty"`
	Done    bool            `json:"done"`
}

// params builds the method's parameters from the flags.
func (l *lister) params() (map[string]any, error) {
	p := map[string]any{}
	if len(l.extra) > 0 {
		arr, err := parsePairs(l.extra)
		if err != nil {
			return nil, err
		}
		b, _ := marshalJSON(arr, "")
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, usagef("--param: %v", err)
		}
	}
	filter := map[string]any{}
	for _, f := range l.filters {
		if looksJSON(f) {
			var m map[string]any
			if err := json.Unmarshal([]byte(f), &m); err != nil {
				return nil, usagef("--filter %q: %v", f, err)
			}
			for k, v := range m {
				filter[k] = v
			}
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, usagef("--filter %q is neither JSON nor key=value", f)
		}
		filter[k] = v
	}
	if len(filter) > 0 {
		p["filter"] = filter
	}
	if sel := splitList(l.sel); len(sel) > 0 {
		p["select"] = sel
	}
	return p, nil
}

func (l *lister) run(ctx context.Context, args []string) int {
	c := l.c
	if len(args) != 1 {
		return c.fail(ctx, usagef("want one METHOD (b24 list crm.deal.list)"))
	}
	method := args[0]
	if l.format != "ndjson" && l.format != "csv" && l.format != "json" {
		return c.fail(ctx, usagef("--format must be ndjson, csv or json, not %q", l.format))
	}
	if l.checkpoint != "" && l.out == "" {
		return c.fail(ctx, usagef("--checkpoint needs -o FILE"))
	}
	if l.checkpoint != "" && l.format == "json" {
		return c.fail(ctx, usagef("--checkpoint works with --format ndjson or csv (a JSON array cannot be appended to)"))
	}
	params, err := l.params()
	if err != nil {
		return c.fail(ctx, err)
	}
	h, err := c.hook(ctx)
	if err != nil {
		return c.fail(ctx, err)
	}
	defer h.Close()
	api := c.api(h)
	n, err := exportList(ctx, c, api, method, params, l.format, l.out, l.checkpoint, splitList(l.sel))
	if err != nil {
		return c.fail(ctx, err)
	}
	_ = n
	return exitOK
}

// exportList writes every row of method to out (stdout when empty) and
// returns the number of rows written by this run.
func exportList(ctx context.Context, c *cli, api *b24.API, method string, params map[string]any, format, out, cpPath string, sel []string) (int64, error) {
	var columns []string
	if format == "csv" {
		var err error
		if columns, err = csvColumns(ctx, api, method, params, sel); err != nil {
			return 0, err
		}
	}
	qb, _ := json.Marshal([]any{api.Version().String(), method, params, format, columns})
	sum := sha256.Sum256(qb)
	query := hex.EncodeToString(sum[:8])

	prog := c.newProgress("list", "rows", 0)
	start := time.Now()
	defer func() {
		prog.Done()
	}()
	var (
		w       io.Writer
		file    *os.File
		atomic  *atomicFile
		cp      checkpoint
		resumed bool
	)
	switch {
	case cpPath != "":
		if b, err := os.ReadFile(cpPath); err == nil {
			if err := json.Unmarshal(b, &cp); err != nil || cp.Version != 1 {
				return 0, usagef("--checkpoint %s is not a b24 list checkpoint", cpPath)
			}
			if cp.Query != query {
				return 0, usagef("--checkpoint %s belongs to another method, filter, select or format", cpPath)
			}
			if cp.Done {
				if !c.g.quiet {
					fmt.Fprintf(c.stderr, "%s: already complete: %d rows in %s\n", c.name, cp.Rows, out)
				}
				return 0, nil
			}
			resumed = true
		} else if !os.IsNotExist(err) {
			return 0, err
		}
		f, err := os.OpenFile(out, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := f.Truncate(cp.Offset); err != nil {
			return 0, err
		}
		if _, err := f.Seek(cp.Offset, io.SeekStart); err != nil {
			return 0, err
		}
		file, w = f, f
		cp = checkpoint{Version: 1, Query: query, File: out, Offset: cp.Offset, Rows: cp.Rows, Cursor: cp.Cursor}
		if resumed && !c.g.quiet {
			fmt.Fprintf(c.stderr, "%s: resuming after %d rows (%d bytes)\n", c.name, cp.Rows, cp.Offset)
		}
	case out != "":
		a, err := createAtomic(out)
		if err != nil {
			return 0, err
		}
		defer a.Abort() // no-op after Commit
		atomic, w = a, a
	default:
		w = c.stdout
	}
	cw := &countWriter{w: w, n: cp.Offset}
	rw, err := newRowWriter(format, cw, columns)
	if err != nil {
		return 0, err
	}
	if !resumed {
		if err := rw.Header(); err != nil {
			return 0, err
		}
	}
	var rows int64
	err = walkList(ctx, api, method, params, cp.Cursor, func(page []json.RawMessage, cursor json.RawMessage) error {
		for _, r := range page {
			if err := rw.Row(r); err != nil {
				return err
			}
		}
		rows += int64(len(page))
		prog.Add(len(page))
		if file == nil {
			return nil
		}
		// The rows first, synced; then the checkpoint that points past them.
		if err := rw.Flush(); err != nil {
			return err
		}
		if err := file.Sync(); err != nil {
			return err
		}
		cp.Offset, cp.Rows, cp.Cursor = cw.n, cp.Rows+int64(len(page)), cursor
		return saveCheckpoint(cpPath, cp)
	})
	if err != nil {
		if file == nil {
			rw.Flush()
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil && file != nil && !c.g.quiet {
			fmt.Fprintf(c.stderr, "%s: interrupted; %s holds %d rows, run again with the same --checkpoint to go on\n", c.name, out, cp.Rows)
		}
		return rows, err
	}
	if err := rw.Footer(); err != nil {
		return rows, err
	}
	if err := rw.Flush(); err != nil {
		return rows, err
	}
	switch {
	case atomic != nil:
		if err := atomic.Commit(); err != nil {
			return rows, err
		}
	case file != nil:
		if err := file.Sync(); err != nil {
			return rows, err
		}
		cp.Offset, cp.Done, cp.Cursor = cw.n, true, nil
		if err := saveCheckpoint(cpPath, cp); err != nil {
			return rows, err
		}
	}
	if !c.g.quiet {
		where := "stdout"
		if out != "" {
			where = out
		}
		el := time.Since(start)
		fmt.Fprintf(c.stderr, "%s: %d rows to %s in %s (%.0f rows/s)\n", c.name, rows, where, el.Round(time.Millisecond), float64(rows)/max(el.Seconds(), 1e-9))
	}
	return rows, nil
}

func saveCheckpoint(path string, cp checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// countWriter counts the bytes written through it, from n.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// csvColumns returns the CSV columns: --select without wildcards, or the
// fields the method's *.fields method lists.
func csvColumns(ctx context.Context, api *b24.API, method string, params map[string]any, sel []string) ([]string, error) {
	wild := len(sel) == 0
	for _, s := range sel {
		if strings.Contains(s, "*") {
			wild = true
		}
	}
	if !wild {
		return sel, nil
	}
	i := strings.LastIndexByte(method, '.')
	if i < 0 {
		return nil, usagef("cannot tell the fields method of %s: give the columns with --select", method)
	}
	fieldsMethod := method[:i] + ".fields"
	var fp map[string]any
	if et, ok := params["entityTypeId"]; ok {
		fp = map[string]any{"entityTypeId": et}
	}
	resp, err := api.Call(ctx, fieldsMethod, fp)
	if err != nil {
		return nil, fmt.Errorf("reading the CSV columns from %s (or give them with --select): %w", fieldsMethod, err)
	}
	raw := resp.Result
	if inner, err := b24.Unwrap(raw, "fields"); err == nil {
		raw = inner
	}
	keys, err := b24.Keys(raw)
	if err != nil || len(keys) == 0 {
		return nil, fmt.Errorf("%s listed no fields; give the columns with --select", fieldsMethod)
	}
	return keys, nil
}
