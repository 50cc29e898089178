package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/journal"
	"github.com/b24go/b24/internal/wait"
)

var updateCommand = &command{
	name:     "update",
	args:     "METHOD --from FILE [--journal J]",
	summary:  "bulk update records from CSV or NDJSON, with a crash-safe journal",
	complete: completeMethod,
	values:   map[string]valuesFunc{"format": fixed("csv", "ndjson")},
	example: `  b24 update crm.deal.update --from prices.csv --journal prices.journal
  b24 update crm.item.update --param entityTypeId=2 --from items.ndjson --journal items.journal
  b24 update crm.deal.update --from prices.csv --journal prices.journal   # rerun: resumes
  b24 update crm.deal.update --from prices.csv --dry-run   # the field changes, nothing written
  b24 update crm.deal.update --from prices.csv             # the journal in the state directory`,
	portal: true,
	long: `Sends one METHOD command per input row (e.g. crm.deal.update with id and
fields) through batches of up to 50 commands, several in flight under the
limiter. FILE is CSV (a header row with an ID column, the other columns are
fields) or NDJSON (one object a line: "ID" or "id", and the fields, either
beside it or under "fields"); the format follows the extension (.csv, else
NDJSON) unless --format says otherwise.

--dry-run writes nothing and opens no journal: for crm.*.update it reads
the records' current values (50 ids a list, 50 lists a request) and prints
the fields that would change; for other methods the commands it would send.

Without --journal the journal is kept in the state directory
($XDG_STATE_HOME/b24/journals, ~/.local/state/b24/journals), named after
the portal, the webhook's user and the input file's absolute path, and the
summary names it: the same command run again finds it.

The journal J records every row's state (sent, done, failed, ambiguous) and
is synced to disk before and after every request. Run the same command again
with the same J after a crash, an interrupt or a failure:
  - done rows are skipped;
  - rows never sent, or refused, or failed, are sent (again);
  - rows sent whose outcome is unknown are first settled by reading the
    record back (crm.*.update only), once the portal's 60 s request cut-off
    has passed: a record holding the target values is done, one that does
    not is sent again (read back 50 rows a list, 50 lists a request);
  - a record another user changed after the send is a conflict: listed,
    never sent again;
  - what cannot be settled is listed and not replayed.
A summary ends the run: applied, already done, settled by read-back,
failed (with reasons), ambiguous, on stderr (--quiet: only when a row is
not done; --json: as JSON on stdout). Exit 3 when a row failed or stayed
ambiguous.

The first SIGINT, SIGTERM or SIGHUP stops sending and waits up to --grace
for the requests in flight, then exits 130 (SIGINT), 143 (SIGTERM) or 129
(SIGHUP); a second signal exits at once, leaving the rows in flight
journaled as sent (settled by the next run).

Refused with exit 2 before anything is sent: a journal another process has
open (it is locked until that process ends, kill -9 included), a journal of
another portal, user, API version, method, --param or input, a damaged line
(other than a last line torn by a crash), and an ID on two rows of the
input.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		u := &updater{c: c}
		u.flags(fs)
		return func(ctx context.Context, args []string) int { return u.run(ctx, args) }
	},
}

// flags registers the flags b24 update and b24 add share.
func (u *updater) flags(fs *pflag.FlagSet) {
	fs.StringVar(&u.from, "from", "", "input `FILE` (CSV or NDJSON); - for stdin (NDJSON)")
	fs.StringVar(&u.journalPath, "journal", "", "journal `FILE` (created if missing; reuse it to resume)")
	fs.StringVar(&u.format, "format", "", "input `FORMAT`: csv or ndjson (default: by extension)")
	fs.IntVar(&u.chunk, "chunk", b24.MaxBatchCommands, "commands per batch request (at most 50)")
	fs.IntVar(&u.concurrency, "concurrency", 4, "batch requests in flight at once")
	fs.Var(&u.extra, "param", "`key=value` added to every command's parameters (e.g. entityTypeId=2); repeatable")
	fs.DurationVar(&u.grace, "grace", defaultGrace, "after a signal, wait up to `D` for the requests in flight")
	fs.BoolVar(&u.dryRun, "dry-run", false, "write nothing: print the field changes (crm.*.update: read from the portal) or the commands")
	u.out.register(fs)
}

// pairList is a repeatable key=value flag.
type pairList []string

func (p *pairList) String() string     { return strings.Join(*p, ",") }
func (p *pairList) Set(s string) error { *p = append(*p, s); return nil }
func (p *pairList) Type() string       { return "value" }

type updater struct {
	c           *cli
	spec        rowSpec // b24 add: rows named by keys, creates exactly once
	from        string
	journalPath string
	format      string
	chunk       int
	concurrency int
	extra       pairList
	extraMap    map[string]any
	grace       time.Duration // wait for the answers in flight after a stop
	summaryTo   io.Writer     // the summary's writer: stderr unless set (demo)
	dryRun      bool          // --dry-run: show, write nothing
	defaulted   bool          // journalPath is the default one (printed in the summary)
	out         outputFlags   // --json, --jq: the summary (or the dry run) as JSON on stdout

	method string
	api    *b24.API
	j      *journal.Journal
	prog   *progress
	cutoff time.Duration

	mu      sync.Mutex
	sum     updateSummary
	fatal   error
	pending []updateRow // ambiguous in this run, to settle at the end
}

// updateRow is one input row: its 1-based position, the record id and the
// command's parameters.
type updateRow struct {
	Row    int
	Line   int // the row's line in the input file
	ID     int64
	Key    string // b24 add: the row's key
	Params map[string]any
	sentAt time.Time
}

type updateSummary struct {
	Applied, AlreadyDone, Settled, Resent int
	Failed                                map[string][]updateRow // by reason
	Ambiguous                             []ambiguousRow
	Conflict                              []ambiguousRow // changed by another user after the send
	NotSent                               int
}

type ambiguousRow struct {
	updateRow
	Why string
}

func (u *updater) run(ctx context.Context, args []string) int {
	c := u.c
	if len(args) != 1 {
		want := "METHOD (b24 update crm.deal.update"
		if u.spec.adding {
			want = "ENTITY (b24 add deal"
		}
		return c.fail(ctx, usagef("want one %s --from FILE --journal J)", want))
	}
	u.method = args[0]
	if u.from == "" {
		return c.fail(ctx, usagef("--from is required"))
	}
	if err := u.out.check(); err != nil {
		return c.fail(ctx, err)
	}
	if u.journalPath != "" && same(u.from, u.journalPath) {
		return c.fail(ctx, usagef("--from and --journal name the same file %s", u.from))
	}
	if u.chunk < 1 || u.chunk > b24.MaxBatchCommands || u.concurrency < 1 {
		return c.fail(ctx, usagef("--chunk must be 1 to %d and --concurrency at least 1", b24.MaxBatchCommands))
	}
	extra, err := parsePairs(u.extra)
	if err != nil {
		return c.fail(ctx, err)
	}
	var extraMap map[string]any
	if b, err := marshalJSON(extra, ""); err == nil && extra.Len() > 0 {
		json.Unmarshal(b, &extraMap)
	}
	u.extraMap = extraMap
	h, err := c.hook(ctx)
	if err != nil {
		return c.fail(ctx, err)
	}
	defer h.Close()
	if u.journalPath == "" && !u.dryRun {
		host := strings.TrimPrefix(h.TargetOrigin(), "https://")
		id, err := c.whoAmI(ctx, h)
		if err != nil {
			return c.fail(ctx, err)
		}
		if u.journalPath, err = c.defaultJournal(host, id.user, u.from); err != nil {
			return c.fail(ctx, err)
		}
		u.defaulted = true
	}
	return u.runWithHook(ctx, h, args)
}

// runWithHook runs the update through h (the demo gives its own).
func (u *updater) runWithHook(ctx context.Context, h *b24.Hook, args []string) int {
	c := u.c
	rows, last, err := u.open(ctx, h, args[0])
	if err != nil {
		return c.fail(ctx, err)
	}
	if u.dryRun { // open read the rows and opened no journal
		if err := u.showDryRun(ctx, u.api, rows, &u.out); err != nil {
			return c.fail(ctx, err)
		}
		return exitOK
	}
	defer u.j.Close()
	u.sum.Failed = map[string][]updateRow{}

	var toSend, toSettle []updateRow
	var settleAfter time.Time
	for _, r := range rows {
		e, ok := last[r.Row]
		switch {
		case !ok || e.State == journal.Unsent || e.State == journal.Failed:
			toSend = append(toSend, r)
		case e.State == journal.Done:
			u.sum.AlreadyDone++
		default: // sent or ambiguous: unknown outcome
			r.sentAt = e.SentAt()
			if e.Time == 0 {
				r.sentAt = time.Now()
			}
			if t := r.sentAt.Add(u.cutoff); t.After(settleAfter) {
				settleAfter = t
			}
			toSettle = append(toSettle, r)
		}
	}
	u.prog = c.newProgress(map[bool]string{false: "update", true: "add"}[u.spec.adding], "rows", int64(len(rows)))
	u.prog.Resume(int64(u.sum.AlreadyDone)) // done by earlier runs: counted, not in the rate
	start := time.Now()

	// First settle what an earlier run left unknown, then send the rest.
	if len(toSettle) > 0 {
		resend, err := u.settle(ctx, toSettle, settleAfter)
		if err != nil {
			return u.finish(ctx, err, start)
		}
		toSend = append(resend, toSend...)
	}
	err = u.send(ctx, toSend, false)
	if err == nil && len(u.pending) > 0 {
		// This run's own ambiguous rows: settle them once the cut-off has
		// passed, and send again those not applied (once).
		pending := u.pending
		u.pending = nil
		var after time.Time
		for _, r := range pending {
			if t := r.sentAt.Add(u.cutoff); t.After(after) {
				after = t
			}
		}
		var resend []updateRow
		resend, err = u.settle(ctx, pending, after)
		if err == nil {
			err = u.send(ctx, resend, true)
		}
		for _, r := range u.pending {
			u.sum.Ambiguous = append(u.sum.Ambiguous, ambiguousRow{r, "the answer was lost again"})
		}
	}
	return u.finish(ctx, err, start)
}

// settle reads back rows whose outcome is unknown, after the cut-off.
// Rows found applied are journaled done; rows found not applied are
// returned to be sent; rows that cannot be settled are listed.
func (u *updater) settle(ctx context.Context, rows []updateRow, after time.Time) ([]updateRow, error) {
	if u.keyedV3() {
		return u.resendKeyed(rows), nil
	}
	if d := time.Until(after); d > 0 {
		if !u.c.g.quiet {
			fmt.Fprintf(u.c.stderr, "%s: %d rows of unknown outcome: reading them back after the portal's request cut-off (%s)\n", u.c.name, len(rows), d.Round(time.Millisecond))
		}
		if err := wait.For(ctx, d, nil); err != nil {
			return nil, err
		}
	}
	// One id-filtered list per 50 rows, up to 50 lists a batch request.
	cmds := make([]b24.Cmd, len(rows))
	sent := make([]time.Time, len(rows))
	for i, r := range rows {
		cmds[i] = b24.Cmd{Method: u.method, Params: r.Params}
		sent[i] = r.sentAt
	}
	results := u.reconciler()(ctx, u.api, cmds, sent)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var resend []updateRow
	var entries []journal.Entry
	for i, o := range results {
		r := rows[i]
		if o.State == b24.CommandAmbiguous && errors.Is(o.Err, b24.ErrNotFound) {
			// No such record: the update cannot have been applied;
			// sending it again gives its real answer.
			o = b24.Settled{State: b24.CommandNotExecuted, Err: b24.ErrNotExecuted}
		}
		switch {
		case o.State == b24.CommandConflict:
			// Changed by another user after the send: never sent again,
			// journaled ambiguous (a rerun reads it back again).
			u.sum.Conflict = append(u.sum.Conflict, ambiguousRow{r, errLine(o.Err)})
			u.prog.Add(1)
			entries = append(entries, journal.Entry{Row: r.Row, ID: r.ID, State: journal.Ambiguous, Time: unixSeconds(r.sentAt), Error: errLine(o.Err)})
		case !sendAgain(o) && (o.Err != nil || o.State != b24.CommandDone):
			u.sum.Ambiguous = append(u.sum.Ambiguous, ambiguousRow{r, "not settled: " + errLine(o.Err)})
			u.prog.Add(1)
			entries = append(entries, journal.Entry{Row: r.Row, ID: r.ID, State: journal.Ambiguous, Time: unixSeconds(r.sentAt), Error: errLine(o.Err)})
		case o.State == b24.CommandDone:
			u.sum.Settled++
			u.prog.Add(1)
			entries = append(entries, journal.Entry{Row: r.Row, ID: u.doneID(r, o.Result), State: journal.Done, Settled: true})
		default: // sendAgain(o): proven not executed
			u.sum.Resent++
			resend = append(resend, r)
			entries = append(entries, journal.Entry{Row: r.Row, ID: r.ID, State: journal.Unsent, Settled: true})
		}
	}
	if err := u.j.Append(entries...); err != nil {
		return nil, err
	}
	return resend, nil
}

// send runs rows as batches of u.chunk commands, u.concurrency at a time,
// journaling each chunk before and after its request. With final set,
// ambiguous rows are not kept for another settlement.
func (u *updater) send(ctx context.Context, rows []updateRow, final bool) error {
	var chunks [][]updateRow
	for i := 0; i < len(rows); i += u.chunk {
		chunks = append(chunks, rows[i:min(i+u.chunk, len(rows))])
	}
	// A stop (ctx) ends the sending; the requests in flight run on until
	// answered, the grace is over or a second signal aborts them.
	grace := u.grace
	if grace <= 0 {
		grace = defaultGrace
	}
	inflight, cancel := inflightContext(ctx, grace)
	defer cancel()
	work := make(chan []updateRow)
	var wg sync.WaitGroup
	for range min(u.concurrency, len(chunks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ch := range work {
				if err := u.sendChunk(inflight, ch, final); err != nil {
					u.setFatal(err)
				}
			}
		}()
	}
	sent := 0
	for _, ch := range chunks {
		if ctx.Err() != nil || u.getFatal() != nil {
			break
		}
		select {
		case work <- ch:
			sent += len(ch)
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	u.mu.Lock()
	u.sum.NotSent += len(rows) - sent
	u.mu.Unlock()
	if err := u.getFatal(); err != nil {
		return err
	}
	return ctx.Err()
}

func (u *updater) setFatal(err error) {
	u.mu.Lock()
	if u.fatal == nil {
		u.fatal = err
	}
	u.mu.Unlock()
}

func (u *updater) getFatal() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.fatal
}

func (u *updater) sendChunk(ctx context.Context, rows []updateRow, final bool) error {
	now := time.Now()
	t := unixSeconds(now)
	entries := make([]journal.Entry, len(rows))
	cmds := make([]b24.Cmd, len(rows))
	for i, r := range rows {
		entries[i] = journal.Entry{Row: r.Row, ID: r.ID, State: journal.Sent, Time: t}
		cmds[i] = b24.Cmd{Method: u.method, Params: r.Params}
		rows[i].sentAt = now
	}
	if err := u.j.Append(entries...); err != nil {
		return err
	}
	res, err := u.sendBatch(ctx, cmds, rows)
	if res == nil {
		return err
	}
	if !res.SentAt.IsZero() {
		// The cut-off runs from the send, after the limiter's wait.
		for i := range rows {
			rows[i].sentAt = res.SentAt
		}
	}
	var be *b24.BatchError
	requestErr := err != nil && !(errors.As(err, &be) && isCommandErr(res))
	entries = entries[:0]
	u.mu.Lock()
	defer u.mu.Unlock()
	notRun, deferred := 0, 0
	for i, cr := range res.Commands {
		r := rows[i]
		switch cr.State {
		case b24.CommandDone:
			u.sum.Applied++
			entries = append(entries, journal.Entry{Row: r.Row, ID: u.doneID(r, cr.Result), State: journal.Done})
		case b24.CommandFailed:
			why := errLine(cr.Err)
			u.sum.Failed[why] = append(u.sum.Failed[why], r)
			entries = append(entries, journal.Entry{Row: r.Row, ID: r.ID, State: journal.Failed, Error: why})
		case b24.CommandAmbiguous:
			if final {
				u.sum.Ambiguous = append(u.sum.Ambiguous, ambiguousRow{r, errLine(cr.Err)})
			} else {
				u.pending = append(u.pending, r)
				deferred++ // counted once settled or sent again, not now
			}
			entries = append(entries, journal.Entry{Row: r.Row, ID: r.ID, State: journal.Ambiguous, Time: unixSeconds(r.sentAt), Error: errLine(cr.Err)})
		default:
			notRun++
			u.sum.NotSent++
			entries = append(entries, journal.Entry{Row: r.Row, ID: r.ID, State: journal.Unsent})
		}
	}
	u.prog.Add(len(rows) - notRun - deferred)
	if jerr := u.j.Append(entries...); jerr != nil {
		return jerr
	}
	if requestErr && notRun == len(rows) && ctx.Err() == nil {
		// The batch request itself was refused (authentication, scope, a
		// refusal waited out too long): every chunk would be.
		return err
	}
	return nil
}

// isCommandErr reports whether the batch's error comes from its commands
// (some Failed or Ambiguous) rather than from the request.
func isCommandErr(res *b24.BatchResult) bool {
	for _, c := range res.Commands {
		if c.State == b24.CommandFailed || c.State == b24.CommandAmbiguous {
			return true
		}
	}
	return false
}

func errLine(err error) string {
	if err == nil {
		return ""
	}
	var ae *b24.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Code == "" && ae.Description == "":
			return noCodeText
		case ae.Code == "":
			return ae.Description
		case ae.Description == "":
			return ae.Code
		}
		return ae.Code + ": " + ae.Description
	}
	s := strings.TrimPrefix(err.Error(), "b24: ")
	return strings.ReplaceAll(s, "\n", " ")
}

func (u *updater) finish(ctx context.Context, err error, start time.Time) int {
	c := u.c
	u.prog.Done()
	s := &u.sum
	failed := 0
	for _, rs := range s.Failed {
		failed += len(rs)
	}
	// The summary goes to stderr like every other (--json: to stdout);
	// --quiet drops it when every row is done.
	var w io.Writer = c.stderr
	if u.summaryTo != nil {
		w = u.summaryTo
	} else if c.g.quiet && err == nil && failed == 0 && len(s.Ambiguous) == 0 && s.NotSent == 0 {
		w = io.Discard
	}
	if u.out.machine() {
		if jerr := c.emit(ctx, &u.out, u.summaryJSON(time.Since(start)), nil); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		u.writeSummary(w, failed)
	}
	if !c.g.quiet {
		fmt.Fprintf(c.stderr, "%s: %d rows in %s\n", c.name, u.prog.Count(), time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return c.fail(ctx, err)
	}
	if failed > 0 || len(s.Ambiguous) > 0 || len(s.Conflict) > 0 {
		return exitPartial
	}
	if s.NotSent > 0 {
		return exitAPI
	}
	return exitOK
}

// writeSummary prints the summary for a person.
func (u *updater) writeSummary(w io.Writer, failed int) {
	s := &u.sum
	if u.defaulted {
		fmt.Fprintf(w, "journal:         %s\n", u.journalPath)
	}
	fmt.Fprintf(w, "%-17s%d\n", map[bool]string{false: "applied:", true: "created:"}[u.spec.adding], s.Applied)
	fmt.Fprintf(w, "already done:    %d\n", s.AlreadyDone)
	fmt.Fprintf(w, "settled by read: %d done, %d sent again\n", s.Settled, s.Resent)
	fmt.Fprintf(w, "failed:          %d\n", failed)
	reasons := make([]string, 0, len(s.Failed))
	for r := range s.Failed {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "  %d × %s: %s\n", len(s.Failed[r]), r, rowList(s.Failed[r]))
	}
	fmt.Fprintf(w, "ambiguous:       %d\n", len(s.Ambiguous))
	sort.Slice(s.Ambiguous, func(i, j int) bool { return s.Ambiguous[i].Row < s.Ambiguous[j].Row })
	for _, a := range s.Ambiguous {
		fmt.Fprintf(w, "  row %d (%s): %s\n", a.Row, rowName(a.updateRow), a.Why)
	}
	if len(s.Conflict) > 0 {
		fmt.Fprintf(w, "conflict:        %d (changed by another user after the send: not sent again)\n", len(s.Conflict))
		sort.Slice(s.Conflict, func(i, j int) bool { return s.Conflict[i].Row < s.Conflict[j].Row })
		for _, a := range s.Conflict {
			fmt.Fprintf(w, "  row %d (ID %d)\n", a.Row, a.ID)
		}
	}
	if s.NotSent > 0 {
		fmt.Fprintf(w, "not sent:        %d (run again with the same --journal)\n", s.NotSent)
	}
}

// rowList lists the ids of rows, at most 20.
func rowList(rows []updateRow) string {
	sort.Slice(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
	var b strings.Builder
	b.WriteString("IDs ")
	if len(rows) > 0 && rows[0].Key != "" {
		b.Reset()
		b.WriteString("keys ")
	}
	for i, r := range rows {
		if i == 20 {
			fmt.Fprintf(&b, " … and %d more", len(rows)-20)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strings.TrimPrefix(strings.TrimPrefix(rowName(r), "ID "), "key "))
	}
	return b.String()
}

// readUpdateInput reads the rows of an update and the hash of the input.
func readUpdateInput(path, format string, stdin io.Reader, extra map[string]any) ([]updateRow, string, error) {
	return readRows(path, format, stdin, extra, rowSpec{})
}

// readRows reads the rows of an update or, with spec.adding, of an add.
func readRows(path, format string, stdin io.Reader, extra map[string]any, spec rowSpec) ([]updateRow, string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, "", usagef("--from: %v", err)
	}
	what := "--from " + path
	if path == "-" {
		what = "--from stdin"
	}
	if err := checkUTF8(what, 1, data); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	hash := "sha256:" + hex.EncodeToString(sum[:])
	if format == "" {
		format = inputFormat(path)
	}
	var rows []updateRow
	switch format {
	case "csv":
		rows, err = readCSVRows(data, spec)
	case "ndjson", "jsonl":
		rows, err = readNDJSONRows(data, spec)
	default:
		return nil, "", usagef("--format must be csv or ndjson, not %q", format)
	}
	if err != nil {
		return nil, "", err
	}
	for i := range rows {
		for k, v := range extra {
			if _, ok := rows[i].Params[k]; !ok {
				rows[i].Params[k] = v
			}
		}
	}
	return rows, hash, nil
}

// inputFormat is the format of an input file by its extension.
func inputFormat(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return "csv"
	}
	return "ndjson"
}

func parseID(s string, row int) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("--from: row %d: ID %q is not a positive integer", row, s)
	}
	return id, nil
}

func readCSVRows(data []byte, spec rowSpec) ([]updateRow, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	header, err := r.Read()
	if err != nil {
		return nil, usagef("--from: no CSV header: %v", err)
	}
	idCol := -1
	for i, h := range header {
		if spec.isIdent(strings.TrimSpace(h)) {
			idCol = i
		}
	}
	if idCol < 0 && !spec.adding {
		return nil, usagef("--from: the CSV header has no ID column")
	}
	if idCol < 0 && spec.keyCol != "" {
		return nil, usagef("--from: the CSV header has no %s column (--key)", spec.keyCol)
	}
	var rows []updateRow
	for n := 1; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, usagef("--from: %v", err)
		}
		fields := map[string]any{}
		for i, v := range rec {
			if i != idCol {
				fields[header[i]] = v
			}
		}
		line, _ := r.FieldPos(0)
		var ident any
		if idCol >= 0 {
			ident = rec[idCol]
		}
		row, err := spec.row(n, line, ident, fields)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func readNDJSONRows(data []byte, spec rowSpec) ([]updateRow, error) {
	var rows []updateRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	n, lineNo := 0, 0
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n++
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, usagef("--from: row %d: not a JSON object: %v", n, err)
		}
		var idv any
		var fields map[string]any
		for k, v := range obj {
			if spec.isIdent(k) {
				idv = v
			}
		}
		if f, ok := obj["fields"].(map[string]any); ok {
			fields = f
		} else {
			fields = map[string]any{}
			for k, v := range obj {
				if !spec.isIdent(k) {
					fields[k] = v
				}
			}
		}
		row, err := spec.row(n, lineNo, idv, fields)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("--from: %v", err)
	}
	return rows, nil
}

// unixSeconds is a journal entry's time.
func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// sendAgain reports whether a reconciler proved that a write did not take
// effect: NotExecuted with an error wrapping b24.ErrNotExecuted. A zero
// b24.Settled (an entry a reconciler left unset) is not such a proof.
func sendAgain(o b24.Settled) bool {
	return o.State == b24.CommandNotExecuted && errors.Is(o.Err, b24.ErrNotExecuted)
}
