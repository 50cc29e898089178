package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
)

var batchCommand = &command{
	name:    "batch",
	args:    "[FILE|-]",
	summary: "run NDJSON commands through batches, print NDJSON results",
	example: `  b24 batch cmds.ndjson > results.ndjson
  echo '{"key":"a","method":"crm.deal.get","params":{"id":1}}' | b24 batch
  b24 batch --halt --concurrency 2 cmds.ndjson`,
	portal: true,
	long: `Reads commands as NDJSON, one {"key": "...", "method": "...", "params": {...}}
a line, from FILE or stdin (- or no argument), runs them through batches of
up to 50 commands (any number of commands; several batches in flight under
the limiter) and prints one NDJSON line per command, in input order:
  {"key":"a","method":"crm.deal.get","state":"done","result":{...}}
  {"key":"b","method":"crm.deal.get","state":"failed","error":{"code":"...","description":"..."}}
  {"key":"c","method":"crm.deal.update","state":"ambiguous","error":{...}}
  {"key":"d","method":"crm.deal.get","state":"not_executed"}
key is optional (the line number is used). With --halt the first failing
command stops the run: the commands after it are not executed. Exit 3 when a
command did not succeed; exit 1 when the portal refused the webhook itself
(INVALID_CREDENTIALS, NO_AUTH_FOUND, an expired or invalid token).

--dry-run sends nothing: when every command is crm.<entity>.update of one
entity it reads the records and prints the fields that would change, else
it prints the commands. *.delete commands are confirmed on a terminal; off
one (commands piped in) they need --yes (exit 2 without).`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &batchOpts{}
		fs.BoolVar(&o.halt, "halt", false, "stop at the first failing command")
		fs.IntVar(&o.concurrency, "concurrency", b24.DefaultChunkConcurrency, "batch requests in flight at once")
		fs.BoolVar(&o.dryRun, "dry-run", false, "send nothing: print the commands (crm.<entity>.update only: the field changes, read from the portal)")
		fs.BoolVar(&o.yes, "yes", false, "run *.delete commands without asking")
		fs.BoolVar(&o.json, "json", false, "print the summary on stderr as one JSON object")
		return func(ctx context.Context, args []string) int {
			if len(args) > 1 {
				return c.fail(ctx, usagef("want at most one FILE"))
			}
			return c.runBatch(ctx, o, append(args, "-")[0])
		}
	},
}

// batchOpts are batch's flags.
type batchOpts struct {
	halt, dryRun, yes, json bool
	concurrency             int
}

// runBatch reads the commands of file ("-": stdin), runs them and prints
// one NDJSON line per command.
func (c *cli) runBatch(ctx context.Context, o *batchOpts, file string) int {
	var in io.Reader = c.stdin
	name := "stdin"
	if file != "-" {
		name = file
		f, err := os.Open(file)
		if err != nil {
			return c.fail(ctx, usagef("%v", err))
		}
		defer f.Close()
		in = f
	}
	lines, cmds, err := readBatchInput(in, name)
	if err != nil {
		return c.fail(ctx, err)
	}
	if o.concurrency < 1 || o.concurrency > b24.MaxConcurrency {
		return c.fail(ctx, usagef("--concurrency must be in [1, %d], got %d", b24.MaxConcurrency, o.concurrency))
	}
	h, err := c.hook(ctx)
	if err != nil {
		return c.fail(ctx, err)
	}
	defer h.Close()
	if len(cmds) == 0 {
		return exitOK
	}
	if o.dryRun {
		if err := c.dryBatch(ctx, c.api(h), lines, cmds); err != nil {
			return c.fail(ctx, err)
		}
		return exitOK
	}
	if err := c.confirmBatchDeletes(ctx, h, cmds, o.yes); err != nil {
		return c.fail(ctx, err)
	}
	prog := c.newProgress("batch", "commands", int64(len(cmds)))
	res, err := c.api(h).BatchByChunk(ctx, cmds, b24.WithHalt(o.halt), b24.WithConcurrency(o.concurrency))
	prog.Add(len(cmds))
	prog.Done()
	if res == nil {
		return c.fail(ctx, err)
	}
	if werr := writeBatchResults(c.stdout, lines, cmds, res); werr != nil {
		return c.fail(ctx, werr)
	}
	return c.batchEnd(ctx, o, res, err)
}

// batchEnd prints the summary and picks the exit code: 1 when the portal
// refused the webhook itself (every command then fails alike), 3 when a
// command did not succeed.
func (c *cli) batchEnd(ctx context.Context, o *batchOpts, res *b24.BatchResult, err error) int {
	s := res.Summary()
	if !c.g.quiet {
		if o.json {
			b, _ := marshalJSON(batchSummaryJSON{s.Done, s.Failed, s.Ambiguous, s.NotExecuted, res.Requests}, "")
			fmt.Fprintf(c.stderr, "%s\n", b)
		} else {
			fmt.Fprintf(c.stderr, "%s: %s in %d requests\n", c.name, s, res.Requests)
		}
	}
	if aerr := batchAuthError(res, err); aerr != nil {
		return c.fail(ctx, aerr)
	}
	var be *b24.BatchError
	if err != nil && !errors.As(err, &be) || ctx.Err() != nil {
		return c.fail(ctx, err)
	}
	if s.Done != len(res.Commands) {
		return exitPartial
	}
	return exitOK
}

// batchSummaryJSON is batch's summary as --json prints it.
type batchSummaryJSON struct {
	Done        int `json:"done"`
	Failed      int `json:"failed"`
	Ambiguous   int `json:"ambiguous"`
	NotExecuted int `json:"not_executed"`
	Requests    int `json:"requests"`
}

// batchAuthError returns the auth failure of a batch run, nil when none.
func batchAuthError(res *b24.BatchResult, err error) error {
	for _, cr := range res.Commands {
		if authFailure(cr.Err) {
			return cr.Err
		}
	}
	if authFailure(err) {
		return err
	}
	return nil
}

// writeBatchResults prints one NDJSON line per command, in input order.
func writeBatchResults(stdout io.Writer, lines []batchLine, cmds []b24.Cmd, res *b24.BatchResult) error {
	w := bufio.NewWriter(stdout)
	for i, cr := range res.Commands {
		out := batchOutput{Key: lines[i].Key, Method: cmds[i].Method, State: stateName(cr.State)}
		if cr.State == b24.CommandDone {
			out.Result = cr.Result
			if out.Result == nil {
				out.Result = json.RawMessage("null")
			}
			out.Total, out.Next = cr.Total, cr.Next
		} else if cr.Err != nil {
			out.Error = errorJSON(cr.Err)
		}
		b, err := marshalJSON(out, "")
		if err != nil {
			return err
		}
		w.Write(append(b, '\n'))
	}
	return w.Flush()
}

type batchLine struct {
	Key    string          `json:"key"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type batchOutput struct {
	Key    string          `json:"key"`
	Method string          `json:"method"`
	State  string          `json:"state"`
	Result json.RawMessage `json:"result,omitempty"`
	Total  *int            `json:"total,omitempty"`
	Next   *int            `json:"next,omitempty"`
	Error  *errorOut       `json:"error,omitempty"`
}

type errorOut struct {
	Code        string `json:"code,omitempty"`
	Description string `json:"description"`
}

func errorJSON(err error) *errorOut {
	var ae *b24.APIError
	if errors.As(err, &ae) {
		return &errorOut{Code: ae.Code, Description: ae.Description}
	}
	return &errorOut{Description: errLine(err)}
}

func stateName(s b24.CommandState) string {
	switch s {
	case b24.CommandDone:
		return "done"
	case b24.CommandFailed:
		return "failed"
	case b24.CommandAmbiguous:
		return "ambiguous"
	default:
		return "not_executed"
	}
}

// readBatchInput reads every command of in (named name in errors) before
// any is sent.
func readBatchInput(in io.Reader, name string) ([]batchLine, []b24.Cmd, error) {
	var lines []batchLine
	var cmds []b24.Cmd
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		if err := checkUTF8(name, n, sc.Bytes()); err != nil {
			return nil, nil, err
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var l batchLine
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, nil, usagef("line %d: not a command object: %v", n, err)
		}
		if l.Method == "" {
			return nil, nil, usagef("line %d: no method", n)
		}
		if l.Key == "" {
			l.Key = fmt.Sprint(n)
		}
		var params any
		if len(l.Params) > 0 && string(l.Params) != "null" {
			params = l.Params
		}
		lines = append(lines, l)
		cmds = append(cmds, b24.Cmd{Method: l.Method, Params: params})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the commands: %v", err)
	}
	return lines, cmds, nil
}
