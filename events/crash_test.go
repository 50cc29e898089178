package events

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/internal/childtest"
)

const (
	crashChildEnv   = "B24_EVENTS_CRASH_CHILD"
	compactChildEnv = "B24_EVENTS_COMPACT_CHILD"
)

// TestMain runs the receiver child of TestCrashAfter200, or the appending
// and compacting child of TestCompactKilled, when asked to.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if dir := os.Getenv(compactChildEnv); dir != "" {
		compactChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild serves a receiver on 127.0.0.1, prints its address, and runs
// a user function that reports each event and then hangs (until kill -9).
func crashChild(dir string) {
	s, err := OpenSpool(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	h, _ := NewHandler(s, portalA)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Println("addr", ln.Addr())
	go s.Consume(context.Background(), func(_ context.Context, e Event) error {
		fmt.Println("fn", e.ID)
		select {} // the crash comes here
	})
	http.Serve(ln, h)
}

// TestCrashAfter200: a receiver killed with SIGKILL after it answered 200,
// before or while the user function runs, loses nothing: the restarted
// spool delivers the event.
func TestCrashAfter200(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	for _, waitFn := range []bool{false, true} {
		t.Run(fmt.Sprintf("killed after fn started=%v", waitFn), func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd, lines := childtest.Start(t, ctx, "^$", crashChildEnv+"="+dir)
			defer cmd.Wait()
			defer cmd.Process.Kill()
			line := func() string {
				if !lines.Scan() {
					t.Fatalf("child ended: %v", lines.Err())
				}
				return lines.Text()
			}
			addr, ok := strings.CutPrefix(line(), "addr ")
			if !ok {
				t.Fatalf("child: %q", addr)
			}
			resp, err := http.Post("http://"+addr+"/", form, strings.NewReader(capture(portalA, "ONCRMDEALUPDATE", "42", "1")))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if waitFn {
				if l := line(); l != "fn 42" {
					t.Fatalf("child: %q", l)
				}
			}
			cmd.Process.Kill() // SIGKILL on Unix
			cmd.Wait()

			s := mustOpen(t, dir)
			if s.Pending() == 0 {
				t.Fatal("nothing pending after the crash: the event is lost")
			}
			var got []string
			cctx, stop := context.WithCancel(ctx)
			s.Consume(cctx, func(_ context.Context, e Event) error {
				got = append(got, e.ID)
				stop()
				return nil
			})
			if len(got) != 1 || got[0] != "42" {
				t.Fatalf("delivered after the crash: %v", got)
			}
		})
	}
}
