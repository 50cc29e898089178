package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
	"github.com/b24go/b24/rawjson"
)

var listCommand = &command{
	name:     "list",
	args:     "METHOD",
	summary:  "export every row of a list method as NDJSON, CSV or JSON",
	complete: completeMethod,
	values: map[string]valuesFunc{
		"format": fixed("ndjson", "csv", "json", "table"),
		"select": fieldValues,
	},
	example: `  b24 list crm.deal.list --select ID,TITLE,STAGE_ID --filter STAGE_ID=WON > won.ndjson
  b24 list crm.deal.list -o deals.csv                  # CSV, from the extension
  b24 list crm.contact.list --filter '{">DATE_CREATE": "2025-01-01"}' --format json
  b24 list crm.deal.list -o deals.csv --checkpoint deals.cp   # rerun to resume
  b24 list crm.item.list --param entityTypeId=2 -o items.ndjson
  b24 list crm.deal.list --limit 10                    # a sample: one request`,
	portal: true,
	long: `Reads every row of METHOD (crm.deal.list, crm.contact.list, crm.item.list
with --param entityTypeId=2, tasks.task.list, ...) by id, without counting,
and writes them to stdout or -o FILE.

--select picks the fields (comma-separated); --filter takes JSON or
[OP]FIELD=VALUE ('>OPPORTUNITY=1000', '<=ID=3', '@ID=1,2', '><ID=1,9'),
repeatable; with --api v3 it becomes REST 3.0's conditions. CSV columns are those of
--select, or every field the method's *.fields method lists when selecting
everything; nested values are written as JSON.

The format follows -o's extension (.csv, .json, .ndjson or .jsonl; else
NDJSON) unless --format says otherwise. Rows on stdout are flushed after
every request, so a pipe sees them at once.

With -o FILE the file is written under a temporary name and renamed at the
end, so FILE is either complete or untouched. With --checkpoint CP rows are
appended to FILE instead, and after every request CP records, once FILE is
synced, its length and the walk's cursor; run the same command again after a
crash or an interrupt and it truncates FILE to that length and goes on:
FILE then holds every row exactly once. CP and FILE are locked while a run
goes on (the lock ends with the process, even on kill -9); a checkpoint of
another portal, user or query, or whose FILE is missing, shorter or
changed, is refused with exit 2; so is a new CP with a FILE not empty.

--format table prints aligned columns (those CSV would have) for a
terminal, once every row is read: for a sample, with --limit.

--limit N stops after N rows with the fewest requests (one shard; one
plain page for up to 50 rows, chained batches of 2,500 rows beyond) and
the report says "limited", not "complete".`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		l := &lister{c: c}
		fs.StringVar(&l.sel, "select", "", "`FIELDS` to read, comma-separated (default: all)")
		fs.Var(&l.filters, "filter", "filter as JSON or `[OP]FIELD=VALUE` ('>ID=100', 'STAGE_ID=WON', '@ID=1,2'); repeatable")
		fs.Var(&l.extra, "param", "other method parameter `key=value` (e.g. entityTypeId=2); repeatable")
		fs.StringVar(&l.format, "format", "", "output `FORMAT`: ndjson, csv, json or table (default: by -o's extension .csv, .json, .ndjson or .jsonl, else ndjson)")
		fs.StringVarP(&l.out, "output", "o", "", "write to `FILE` instead of stdout (- is stdout)")
		fs.StringVar(&l.checkpoint, "checkpoint", "", "checkpoint `FILE`: append to -o FILE and resume after a crash")
		fs.Int64Var(&l.limit, "limit", 0, "stop after `N` rows, with the fewest requests (a sample; the report says limited)")
		l.conc.n = defaultShards
		l.conc.register(fs, "concurrency", "walk the id range in `N` concurrent shards (rows stay in id order)")
		l.conc.register(fs, "shards", "deprecated: use --concurrency `N`")
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
	conc       concurrencyFlag // --concurrency, or the deprecated --shards
	limit      int64           // --limit: a sample of the first rows
}

// defaultShards keeps a few chained requests in flight: enough to keep the
// request bucket busy on a large list, not so many that they only wait for
// the limiter.
const defaultShards = 4

// params builds the method's parameters from the flags.
func (l *lister) params() (map[string]any, error) {
	for _, f := range l.filters {
		if err := checkArgUTF8("--filter", f); err != nil {
			return nil, err
		}
	}
	if err := checkArgUTF8("--select", l.sel); err != nil {
		return nil, err
	}
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
	filter, err := buildFilter(l.filters, l.c.g.api == "v3")
	if err != nil {
		return nil, err
	}
	if filter != nil {
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
	if l.format == "" {
		l.format = formatOf(l.out)
	}
	if l.format != "ndjson" && l.format != "csv" && l.format != "json" && l.format != "table" {
		return c.fail(ctx, usagef("--format must be ndjson, csv, json or table, not %q", l.format))
	}
	if l.out == "-" {
		l.out = "" // stdout
	}
	if l.checkpoint != "" && l.out == "" {
		return c.fail(ctx, usagef("--checkpoint needs -o FILE"))
	}
	if l.conc.both {
		return c.fail(ctx, usagef("--shards is the old name of --concurrency: give one of them"))
	}
	if l.conc.n < 1 || l.conc.n > b24.MaxConcurrency {
		return c.fail(ctx, usagef("%s must be in [1, %d], got %d", l.conc.name(), b24.MaxConcurrency, l.conc.n))
	}
	if l.conc.used == "--shards" {
		fmt.Fprintln(c.stderr, "b24 list: --shards is deprecated; use --concurrency")
	}
	if l.limit < 0 || l.limit > 0 && l.checkpoint != "" {
		return c.fail(ctx, usagef("--limit takes a positive N, without --checkpoint"))
	}
	if l.checkpoint != "" && (l.format == "json" || l.format == "table") {
		return c.fail(ctx, usagef("--checkpoint works with --format ndjson or csv (a JSON array or a table cannot be appended to)"))
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
	if _, err := exportList(ctx, c, api, method, params, exportOpts{format: l.format, out: l.out,
		checkpoint: l.checkpoint, sel: splitList(l.sel), shards: l.conc.n, limit: l.limit}); err != nil {
		return c.fail(ctx, err)
	}
	return exitOK
}

// exportOpts are the output side of an export.
type exportOpts struct {
	format     string   // ndjson, csv or json
	out        string   // file; stdout when empty
	checkpoint string   // --checkpoint file, with out
	sel        []string // --select, for the CSV columns
	shards     int      // concurrent shards of the walk
	noSummary  bool     // the caller prints the summary (demo)
	limit      int64    // stop after this many rows (0: all)
}

// exportList writes every row of method to o.out (stdout when empty) and
// returns the walk's report of this run.
//
// The rows come from the SDK's keyset walk (b24.FetchListPages): chained
// batches of 50 pages (up to 2,500 rows a request) on REST v2, o.shards
// shards walked concurrently, rows delivered in id order. With a checkpoint,
// after each request's rows are written the file is synced, then the
// walk's cursor (which resumes after exactly those rows) is saved with the
// file's length: a rerun truncates the file to that length and resumes the
// walk from that cursor, so every row is written once.
func exportList(ctx context.Context, c *cli, api *b24.API, method string, params map[string]any, o exportOpts) (b24.ListReport, error) {
	var columns []string
	if o.format == "csv" || o.format == "table" {
		var err error
		if columns, err = csvColumns(ctx, api, method, params, o.sel); err != nil {
			return b24.ListReport{}, err
		}
	}
	qb, _ := json.Marshal([]any{api.Version().String(), method, params, o.format, columns})
	sum := sha256.Sum256(qb)
	e := &export{ctx: ctx, c: c, o: o, prog: c.newProgress("list", "rows", 0), start: time.Now()}
	defer e.close()
	if done, err := e.open(api, method, params, hex.EncodeToString(sum[:8])); done || err != nil {
		return e.rep, err
	}
	if err := e.newWriter(columns); err != nil {
		return e.rep, err
	}
	if err := e.walk(api, method, params); err != nil {
		return e.rep, err
	}
	if err := e.finish(); err != nil {
		return e.rep, err
	}
	e.summary()
	return e.rep, e.changed
}

// export is one run of exportList: where the rows go, the checkpoint, and
// what the walk did.
type export struct {
	ctx   context.Context
	c     *cli
	o     exportOpts
	prog  *progress
	start time.Time
	rep   b24.ListReport

	w       io.Writer
	file    *os.File    // a checkpointed output
	atomic  *atomicFile // -o FILE without a checkpoint
	cp      checkpoint
	resumed bool
	resume  *b24.ListCursor
	outSum  hash.Hash // of the checkpointed file's bytes
	cw      *countWriter
	rw      rowWriter
	closers []func()

	baseRows int64 // rows of earlier runs (a checkpoint's)
	rows     int64 // rows of this run
	saveErr  error // a failed checkpoint stops the walk at the next request
	changed  error // an offset walk read to the end over a changing list
}

func (e *export) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.prog.Done()
}

// open opens the output: the checkpointed file, a temporary file renamed
// at the end, or stdout. done is true when the checkpoint is complete.
func (e *export) open(api *b24.API, method string, params map[string]any, query string) (done bool, err error) {
	c, cpPath, out := e.c, e.o.checkpoint, e.o.out
	switch {
	case cpPath != "":
		id, err := c.whoAmI(e.ctx, api.Hook())
		if err != nil {
			return false, err
		}
		co, err := openCheckpoint(api, id, method, params, query, cpPath, out)
		if err != nil {
			return false, err
		}
		e.closers = append(e.closers, co.close)
		e.cp, e.resumed, e.resume, e.outSum = co.cp, co.resumed, co.resume, co.sum
		if e.cp.Done {
			if !c.g.quiet {
				fmt.Fprintf(c.stderr, "%s: already complete: %d rows in %s\n", c.name, e.cp.Rows, out)
			}
			e.rep.End = b24.ListComplete
			return true, nil
		}
		e.file, e.w = co.file, co.file
		if e.resumed && !c.g.quiet {
			fmt.Fprintf(c.stderr, "%s: resuming after %d rows (%d bytes)\n", c.name, e.cp.Rows, e.cp.Offset)
		}
	case out != "":
		a, err := openOutput(out)
		if err != nil {
			return false, err
		}
		e.closers = append(e.closers, func() { a.Abort() }) // no-op after Commit
		e.atomic, e.w = a, a
	default:
		e.w = c.stdout
	}
	return false, nil
}

// newWriter starts the row writer, with the header on a new output.
func (e *export) newWriter(columns []string) error {
	e.cw = &countWriter{w: e.w, n: e.cp.Offset, sum: e.outSum}
	rw, err := newRowWriter(e.o.format, e.cw, columns)
	if err != nil {
		return err
	}
	e.rw = rw
	if e.cp.Offset == 0 { // a new file, or a checkpoint saved before any row
		return rw.Header()
	}
	return nil
}

// onProgress sets the bar's total and, with a checkpoint, saves it once
// the rows before it are synced.
func (e *export) onProgress(p b24.ListProgress) {
	if p.Covered > 0 {
		e.prog.SetTotal(int64(float64(p.Rows)/p.Covered) + e.baseRows)
	}
	if e.file == nil || e.saveErr != nil {
		return
	}
	// The rows first, synced; then the checkpoint that points past them.
	if err := e.rw.Flush(); err != nil {
		e.saveErr = err
		return
	}
	if err := e.file.Sync(); err != nil {
		e.saveErr = err
		return
	}
	cur, err := json.Marshal(p.Cursor)
	if err != nil {
		e.saveErr = err
		return
	}
	e.cp.Offset, e.cp.Hash, e.cp.Rows, e.cp.Cursor = e.cw.n, hashString(e.outSum), e.baseRows+p.Rows, cur
	e.saveErr = saveCheckpoint(e.o.checkpoint, e.cp)
}

// walk reads the pages and writes their rows, flushing after every request
// on stdout, until the walk ends, o.limit rows or the first error.
func (e *export) walk(api *b24.API, method string, params map[string]any) error {
	e.baseRows = e.cp.Rows
	e.prog.Resume(e.baseRows) // rows of earlier runs: counted, not in the rate
	opts := []b24.ListOption{b24.WithConcurrency(max(1, e.o.shards)), b24.WithReport(&e.rep), b24.WithProgress(e.onProgress)}
	if e.resume != nil {
		opts = append(opts, b24.WithResume(*e.resume))
	}
	opts = append(opts, limitOptions(e.o.limit)...)
	for page, err := range b24.FetchListPages[json.RawMessage](e.ctx, api, method, params, opts...) {
		if errors.Is(err, b24.ErrListChanged) {
			e.changed = err // the rows read are kept; the run fails after the summary
			break
		}
		if err == nil && e.saveErr != nil {
			err = e.saveErr
		}
		limited := e.o.limit > 0 && e.rows+int64(len(page)) >= e.o.limit
		if limited {
			page = page[:e.o.limit-e.rows]
		}
		for _, r := range page {
			if err != nil {
				break
			}
			err = e.rw.Row(r)
		}
		if err != nil {
			if e.file == nil {
				e.rw.Flush()
			}
			return e.stopped(err)
		}
		e.rows += int64(len(page))
		e.prog.Add(len(page))
		if e.file == nil {
			// A pipe sees every request's rows at once (| head -1).
			if err := e.rw.Flush(); err != nil {
				return err
			}
		}
		if limited {
			break
		}
	}
	if e.saveErr != nil {
		return e.saveErr
	}
	return e.stopped(nil) // the walk ends quietly when its context does
}

// stopped returns err, or the context's error after a stop, saying where a
// checkpointed run stands.
func (e *export) stopped(err error) error {
	if e.ctx.Err() == nil {
		return err
	}
	if e.file != nil && !e.c.g.quiet {
		fmt.Fprintf(e.c.stderr, "%s: interrupted; %s holds %d rows, run again with the same --checkpoint to go on\n", e.c.name, e.o.out, e.cp.Rows)
	}
	return e.ctx.Err()
}

// finish writes the footer and makes the output final: the temporary file
// renamed, or the checkpointed file synced and its checkpoint marked done.
func (e *export) finish() error {
	if err := e.rw.Footer(); err != nil {
		return err
	}
	if err := e.rw.Flush(); err != nil {
		return err
	}
	switch {
	case e.atomic != nil:
		return e.atomic.Commit()
	case e.file != nil:
		if err := e.file.Sync(); err != nil {
			return err
		}
		if e.changed == nil { // an incomplete walk keeps its last checkpoint
			e.cp.Offset, e.cp.Hash, e.cp.Done, e.cp.Cursor = e.cw.n, hashString(e.outSum), true, nil
			return saveCheckpoint(e.o.checkpoint, e.cp)
		}
	}
	return nil
}

// summary prints the rows, the rate and the completeness report on stderr.
func (e *export) summary() {
	e.prog.Done() // the bar's last line comes before the summary, never after
	c, o := e.c, e.o
	if c.g.quiet || o.noSummary {
		return
	}
	where := "stdout"
	if o.out != "" {
		where = o.out
	}
	el := time.Since(e.start)
	fmt.Fprintf(c.stderr, "%s: %d rows to %s in %s (%.0f rows/s)\n", c.name, e.rows, where, el.Round(time.Millisecond), float64(e.rows)/max(el.Seconds(), 1e-9))
	line := reportLine(e.rep, e.cp.Rows, e.file != nil && e.resumed)
	if o.limit > 0 && e.rows == o.limit { // not complete: stopped at --limit
		line = fmt.Sprintf("limited: the first %d rows (--limit), %s", e.rows, plural(int64(e.rep.Requests), "request"))
	}
	fmt.Fprintf(c.stderr, "%s: %s\n", c.name, line)
}

// reportLine is the walk's completeness report in one line: rows, unique
// ids and their range, requests.
func reportLine(r b24.ListReport, total int64, resumed bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows, %d unique ids", r.End, r.Rows, r.UniqueIDs)
	if r.Rows > 0 {
		fmt.Fprintf(&b, " (%d to %d)", r.MinID, r.MaxID)
	}
	if r.Duplicates > 0 {
		fmt.Fprintf(&b, ", %d DUPLICATES", r.Duplicates)
	}
	if r.FirstTotal != r.LastTotal {
		fmt.Fprintf(&b, ", TOTAL CHANGED %d to %d", r.FirstTotal, r.LastTotal)
	}
	fmt.Fprintf(&b, ", %s (%s), %s", plural(r.Requests, "request"), plural(r.Retries, "retry"), plural(r.Pages, "page"))
	if m := modeNames[r.Mode]; m != "" {
		b.WriteString(" " + m)
	}
	if r.Shards > 1 {
		fmt.Fprintf(&b, ", %d shards", r.Shards)
	}
	if resumed {
		fmt.Fprintf(&b, "; resumed: %d rows in all", total)
	}
	return b.String()
}

var modeNames = map[string]string{
	"keyset": "one a request",
	"chain":  "in chained batches",
	"offset": "by offset",
	"v3":     "of REST 3.0",
	"tail":   "by tail cursor",
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, word[:len(word)-1])
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// countWriter counts the bytes written through it, from n, and adds them
// to sum when set.
type countWriter struct {
	w   io.Writer
	n   int64
	sum hash.Hash
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.sum != nil {
		c.sum.Write(p[:n])
	}
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
	if inner, err := rawjson.Unwrap(raw, "fields"); err == nil {
		raw = inner
	}
	keys, err := rawjson.Keys(raw)
	if err != nil || len(keys) == 0 {
		return nil, fmt.Errorf("%s listed no fields; give the columns with --select", fieldsMethod)
	}
	return keys, nil
}

// limitOptions walk a sample with the fewest requests: one shard (no
// range probes), and a plain page of 50 when that holds the sample.
func limitOptions(limit int64) []b24.ListOption {
	if limit <= 0 {
		return nil
	}
	opts := []b24.ListOption{b24.WithConcurrency(1)}
	if limit <= 50 {
		opts = append(opts, b24.WithBatch(false))
	}
	return opts
}
