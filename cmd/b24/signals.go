package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Exit codes after a signal are 128 plus its number, as shells report them:
// 130 after SIGINT, 143 after SIGTERM, 129 after SIGHUP.
const (
	exitBrokenPipe = 128 + 13 // stdout's reader went away (| head): exit quietly
)

// signalError is the cause of the run's context once a signal stops it.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string { return "interrupted by " + e.sig.String() }

// exitCode is 128 plus the signal's number.
func (e *signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitInterrupted
}

// defaultGrace bounds the wait for the answers in flight after the first
// signal: containers are killed 10 s after SIGTERM.
const defaultGrace = 8 * time.Second

type abortKey struct{}

// withAbort returns ctx carrying abort, which ends the requests in flight
// (a second signal). ctx itself ending only stops sending new ones.
func withAbort(ctx, abort context.Context) context.Context {
	return context.WithValue(ctx, abortKey{}, abort)
}

// errGraceOver ends the requests in flight once the grace after a stop is over.
var errGraceOver = errors.New("the answers in flight did not come within the grace period")

// inflightContext returns the context of requests already sent: it is not
// cancelled when ctx is, but grace after it, or at once on the abort
// withAbort attached to ctx. Call cancel when done.
func inflightContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ic, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	var abort <-chan struct{}
	if a, ok := ctx.Value(abortKey{}).(context.Context); ok {
		abort = a.Done()
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-abort:
			cancel(context.Canceled)
			return
		case <-ic.Done():
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(errGraceOver)
		case <-abort:
			cancel(context.Canceled)
		case <-ic.Done():
		}
	}()
	return ic, func() { cancel(context.Canceled) }
}

// signalContext returns the run's context: the first SIGINT, SIGTERM or
// SIGHUP cancels it with a *signalError cause (stop sending, finish what is
// in flight); a second one removes the temporary files and exits at once.
func signalContext() (context.Context, func()) {
	signal.Ignore(syscall.SIGPIPE) // a closed stdout is an EPIPE error, not death
	stop, cancel := context.WithCancelCause(context.Background())
	abort, abortNow := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		first := &signalError{<-ch}
		fmt.Fprintf(os.Stderr, "b24: %v: stopping (again to abort at once)\n", first.sig)
		cancel(first)
		<-ch
		abortNow()
		removeTemps()
		os.Exit(first.exitCode())
	}()
	return withAbort(stop, abort), func() { signal.Stop(ch) }
}

// temps holds the temporary files in progress, removed by a second signal.
var temps sync.Map // name -> struct{}

func addTemp(name string)  { temps.Store(name, struct{}{}) }
func dropTemp(name string) { temps.Delete(name) }

func removeTemps() {
	temps.Range(func(k, _ any) bool {
		os.Remove(k.(string))
		return true
	})
}
