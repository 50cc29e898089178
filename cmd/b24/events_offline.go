package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/b24go/b24"
	"github.com/b24go/b24/events/offline"
)

// offlineOpts are the flags of events pull, bind, list and unbind.
type offlineOpts struct {
	follow      bool
	out         string
	processID   string
	connector   string
	limit       int
	poll        time.Duration
	handler     string
	offline     bool
	authType    int
	retryFailed time.Duration
}

// defaultProcessID is the process id of b24 events pull: the same on every
// run, so that a pull killed mid-way is taken back by the next one.
const defaultProcessID = "b24-cli"

func (o *offlineOpts) flags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.follow, "follow", false, "keep polling the queue until interrupted (pull)")
	fs.StringVarP(&o.out, "output", "o", "", "append the events to `FILE`, fsynced line by line, instead of stdout (pull)")
	fs.StringVar(&o.processID, "process-id", defaultProcessID, "the `id` this pull holds records under: the same across restarts, one per concurrent pull")
	fs.StringVar(&o.connector, "connector", "", "the offline queue's source `key` (auth_connector) (pull, bind, unbind)")
	fs.IntVar(&o.limit, "limit", 50, "records per event.offline.get, 1-1000 (pull)")
	fs.DurationVar(&o.poll, "poll", 10*time.Second, "with --follow, the wait after an empty queue")
	fs.DurationVar(&o.retryFailed, "retry-failed", time.Minute, "with --follow, how often records that failed are offered again")
	fs.StringVar(&o.handler, "handler", "", "the handler `URL` of an online binding (bind, unbind)")
	fs.BoolVar(&o.offline, "offline", false, "bind to (or unbind from) the offline queue (bind, unbind)")
	fs.IntVar(&o.authType, "auth-type", 0, "the `user` a handler is authorised as; 0: the user who made the change (bind, unbind)")
}

// eventsOffline runs pull, bind, list and unbind: the application's event
// subscriptions and its offline queue (docs/events.md).
func eventsOffline(ctx context.Context, c *cli, o offlineOpts, args []string) error {
	want := map[string]int{"pull": 1, "list": 1, "bind": 2, "unbind": 2}[args[0]]
	if len(args) != want {
		if want == 2 {
			return usagef("events %s takes one EVENT (ONCRMDEALUPDATE)", args[0])
		}
		return usagef("events %s takes no arguments", args[0])
	}
	h, err := c.hook(ctx)
	if err != nil {
		return err
	}
	defer h.Close()
	err = eventsOfflineRun(ctx, c, h, o, args)
	var ae *b24.APIError
	if errors.As(err, &ae) && ae.Code == "WRONG_AUTH_TYPE" {
		return fmt.Errorf("%w (events %s needs an application profile: b24 auth add --app)", err, args[0])
	}
	return err
}

func eventsOfflineRun(ctx context.Context, c *cli, h *b24.Hook, o offlineOpts, args []string) error {
	b := offline.Binding{Handler: o.handler, Offline: o.offline, AuthType: o.authType, Connector: o.connector}
	switch args[0] {
	case "pull":
		return eventsPull(ctx, c, h, o)
	case "list":
		return eventsList(ctx, c, h)
	case "bind":
		b.Event = args[1]
		if err := offline.Bind(ctx, h, b); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "bound %s\n", b.Event)
		return nil
	}
	b.Event = args[1]
	n, err := offline.Unbind(ctx, h, b)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed %d\n", n)
	return nil
}

func eventsList(ctx context.Context, c *cli, h *b24.Hook) error {
	bs, err := offline.Bindings(ctx, h)
	if err != nil {
		return err
	}
	for _, b := range bs {
		line, _ := json.Marshal(b)
		if _, err := fmt.Fprintf(c.stdout, "%s\n", line); err != nil {
			return err
		}
	}
	return nil
}

// eventsPull writes the offline queue's events as JSON lines; each record
// is cleared only after its line is written and flushed (stdout) or
// fsynced (-o FILE). Killed at any moment, it loses nothing: the next pull
// with the same --process-id takes back the records it held, so a line may
// appear twice.
func eventsPull(ctx context.Context, c *cli, h *b24.Hook, o offlineOpts) error {
	cfg := offline.Config{ProcessID: o.processID, Connector: o.connector, Limit: o.limit,
		Poll: o.poll, RetryFailed: max(o.retryFailed, o.poll), Logger: c.logger()}
	cons, err := offline.New(h, cfg)
	if err != nil {
		return usagef("%v", err)
	}
	var w io.Writer = c.stdout
	sync := func() error {
		if f, ok := c.stdout.(interface{ Flush() error }); ok {
			return f.Flush()
		}
		return nil
	}
	if o.out != "" && o.out != "-" {
		f, err := openAppend(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w, sync = f, f.Sync
	}
	fn := func(_ context.Context, e offline.Event) error {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
		return sync()
	}
	if o.follow {
		return cons.Follow(ctx, fn)
	}
	st, err := cons.Drain(ctx, fn)
	if err == nil && st.Failed > 0 {
		err = fmt.Errorf("events could not be written (%d failures): they stay in the queue, marked failed", st.Failed)
	}
	return err
}

// openAppend opens -o FILE for pull: appended in place (mode 0600 when
// new). A torn last line (a crash inside a write, its event not cleared)
// is cut off first; the event comes again.
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = outputErrorf("events pull -o %s must be a regular file: lines are appended to it", path)
		}
		return nil, err
	}
	if size := fi.Size(); size > 0 {
		if err := cutTornLine(f, size); err != nil {
			f.Close()
			return nil, fmt.Errorf("-o %s: %w", path, err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// cutTornLine truncates f after its last newline when it does not end with one.
func cutTornLine(f *os.File, size int64) error {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for end := size; end > 0; {
		start := max(end-chunk, 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return err
		}
		b := buf[:n]
		if end == size && len(b) > 0 && b[len(b)-1] == '\n' {
			return nil
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return truncSync(f, start+int64(i)+1)
		}
		end = start
	}
	return truncSync(f, 0)
}

func truncSync(f *os.File, at int64) error {
	if err := f.Truncate(at); err != nil {
		return err
	}
	return f.Sync()
}
