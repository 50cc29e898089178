package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/b24go/b24/events"
)

var eventsCommand = &command{
	name:    "events",
	args:    "listen|replay|pull|bind|list|unbind [EVENT]",
	summary: "receive events: the outbound webhook (listen, replay), an application's offline queue (pull, bind, list, unbind)",
	complete: func(_ *cli, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return []string{"listen", "replay", "pull", "bind", "list", "unbind"}, cobra.ShellCompDirectiveNoFileComp
	},
	example: `  b24 events listen --addr 127.0.0.1:8080 --token-file tokens --spool /var/lib/b24-events
  b24 events replay --spool /var/lib/b24-events | jq .event
  b24 events bind ONCRMDEALUPDATE --offline
  b24 events pull --follow -o deals.ndjson
  b24 events list
  b24 events unbind ONCRMDEALUPDATE --offline`,
	long: `"b24 events listen --addr 127.0.0.1:PORT --token-file F" serves the handler URL of
an outbound webhook (portal: Developer resources, Other, Outbound webhook). Each
request is checked (size, form, and the member_id, domain and application token
of a portal in F); a verified event is written to the spool (--spool, fsync)
before the 200, then printed on stdout as one JSON line. Anything else gets 403
and prints nothing. A crash after the 200 loses nothing: the next listen prints
the events not yet printed.

"b24 events replay" prints every event in the spool again (the listener must be
stopped: the spool is locked).

F (mode 0600) holds one portal per line: "DOMAIN MEMBER_ID TOKEN", or the token
alone with --domain and --member-id.

pull, bind, list and unbind need an application profile (b24 auth add --app); a
webhook gets WRONG_AUTH_TYPE. "b24 events bind EVENT --offline" subscribes the
application's offline queue ("--handler URL" an online handler), "list" prints
the bindings, "unbind EVENT" removes them. "b24 events pull" prints the offline
queue's events as JSON lines (-o FILE: appended, fsynced line by line) and
clears each record only after its line is written; --follow polls until
interrupted. Killed at any moment it loses nothing: the next pull with the same
--process-id takes back what it held (a line may then appear twice). See
docs/events.md.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		var o eventsOpts
		fs.StringVar(&o.addr, "addr", "", "listen on `host:port` (listen)")
		fs.StringVar(&o.tokenFile, "token-file", "", "read the portals' application tokens from this `file` (listen)")
		fs.StringVar(&o.domain, "domain", "", "the portal's `domain`, when the token file holds only a token")
		fs.StringVar(&o.memberID, "member-id", "", "the portal's `member_id`, when the token file holds only a token")
		fs.StringVar(&o.spool, "spool", "b24-events", "the spool `directory`")
		var oo offlineOpts
		oo.flags(fs)
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 {
				return c.fail(ctx, usagef("want listen, replay, pull, bind, list or unbind"))
			}
			var err error
			switch args[0] {
			case "listen", "replay":
				if len(args) != 1 {
					err = usagef("events %s takes no arguments", args[0])
				} else if args[0] == "listen" {
					err = eventsListen(ctx, c, o)
				} else {
					err = eventsReplay(ctx, c, o)
				}
			case "pull", "bind", "list", "unbind":
				err = eventsOffline(ctx, c, oo, args)
			default:
				err = usagef("unknown events subcommand %q: want listen, replay, pull, bind, list or unbind", args[0])
			}
			if err != nil {
				return c.fail(ctx, err)
			}
			return exitOK
		}
	},
}

type eventsOpts struct {
	addr, tokenFile, domain, memberID, spool string
}

// readPortals reads the token file.
func readPortals(o eventsOpts) ([]events.Portal, error) {
	if o.tokenFile == "" {
		return nil, usagef("--token-file is required")
	}
	fi, err := os.Stat(o.tokenFile)
	if err != nil {
		return nil, usagef("--token-file: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, usagef("--token-file %s is open to group or others (mode %04o): chmod 600 %s", o.tokenFile, fi.Mode().Perm(), o.tokenFile)
	}
	data, err := os.ReadFile(o.tokenFile)
	if err != nil {
		return nil, usagef("--token-file: %v", err)
	}
	var ps []events.Portal
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case len(f) == 3:
			ps = append(ps, events.Portal{Domain: f[0], MemberID: f[1], Token: f[2]})
		case len(f) == 1 && o.domain != "" && o.memberID != "":
			ps = append(ps, events.Portal{Domain: o.domain, MemberID: o.memberID, Token: f[0]})
		case len(f) == 1:
			return nil, usagef("--token-file line %d holds a token alone: give --domain and --member-id", i+1)
		default:
			return nil, usagef("--token-file line %d: want DOMAIN MEMBER_ID TOKEN (%d fields)", i+1, len(f))
		}
	}
	if len(ps) == 0 {
		return nil, usagef("--token-file %s holds no portal", o.tokenFile)
	}
	return ps, nil
}

// lineWriter writes one JSON line per event; a failed write is sticky.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) event(e events.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = l.w.Write(append(b, '\n'))
	if f, ok := l.w.(interface{ Flush() error }); ok && err == nil {
		err = f.Flush()
	}
	return err
}

func eventsListen(ctx context.Context, c *cli, o eventsOpts) error {
	if o.addr == "" {
		return usagef("--addr is required (host:port)")
	}
	ps, err := readPortals(o)
	if err != nil {
		return err
	}
	s, err := events.OpenSpool(o.spool)
	if err != nil {
		return err
	}
	defer s.Close()
	h, err := events.NewHandler(s, ps...)
	if err != nil {
		return usagef("%v", err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10}
	fmt.Fprintf(c.stderr, "%s: listening on %s, spool %s\n", c.name, ln.Addr(), o.spool)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cancel(err)
		}
	}()
	out := &lineWriter{w: c.stdout}
	err = s.Consume(ctx, func(_ context.Context, e events.Event) error {
		if err := out.event(e); err != nil {
			cancel(fmt.Errorf("writing stdout: %w", err))
			return err
		}
		return nil
	})
	shut, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer done()
	srv.Shutdown(shut)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

func eventsReplay(ctx context.Context, c *cli, o eventsOpts) error {
	s, err := events.OpenSpool(o.spool)
	if err != nil {
		return err
	}
	defer s.Close()
	out := &lineWriter{w: c.stdout}
	return s.Replay(ctx, func(_ context.Context, e events.Event) error { return out.event(e) })
}
