package events

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/internal/childtest"
)

// compactFromEnv is the first event number of a compactChild.
const compactFromEnv = "B24_EVENTS_COMPACT_FROM"

// compactChild appends events from, from+1, ... in bursts of 1 to 4 and
// consumes them with a spool that compacts often (the consumer catches up
// after each burst), printing "appended N" after each Append returned and
// "fn N" on each delivery, until it is killed.
func compactChild(dir string) {
	s, err := OpenSpool(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	s.CompactAt = 1024
	from, _ := strconv.Atoi(os.Getenv(compactFromEnv))
	done := make(chan struct{}, 4)
	go func() {
		err := s.Consume(context.Background(), func(_ context.Context, e Event) error {
			fmt.Println("fn", e.ID)
			done <- struct{}{}
			return nil
		})
		fmt.Println("error", err)
		os.Exit(2)
	}()
	for i := from; ; {
		burst := 1 + i%4
		for range burst {
			id := strconv.Itoa(i)
			if _, err := s.Append(Event{Name: "ONCRMDEALUPDATE", ID: id, Data: map[string]string{"FIELDS[ID]": id}}); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("appended", id)
			i++
		}
		for range burst {
			<-done
		}
	}
}

// TestCompactKilled: a process appending and consuming with a spool that
// compacts every 1 KiB of delivered records is killed with SIGKILL at
// seeded random moments (in or out of a compaction); after each kill the
// reopened spool holds every appended event not yet delivered: nothing is
// lost, the rest comes in order.
func TestCompactKilled(t *testing.T) {
	needCompaction(t)
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	dir := t.TempDir()
	appended, delivered := map[int]bool{}, map[int]bool{}
	r := rand.New(rand.NewPCG(20261207, 1))
	for run := range 5 {
		kill := 50 + r.IntN(400) // appends seen before the kill
		runCompactChild(t, dir, run*100000+1, kill, appended, delivered)
		if b, _ := os.ReadFile(filepath.Join(dir, SpoolFile)); !strings.HasPrefix(string(b), headerMagic) {
			t.Errorf("run %d: the spool was never compacted", run)
		}
		s := mustOpen(t, dir)
		last := 0
		// Bounded by the count, not by a clock: on a loaded machine each
		// delivery's three fsyncs can take long, which is no loss.
		for i := 0; s.Pending() > 0 && i <= len(appended); i++ {
			for _, e := range consumeN(t, s, 1) {
				n, _ := strconv.Atoi(e.ID)
				if n <= last {
					t.Errorf("run %d: event %d delivered after %d", run, n, last)
				}
				last, delivered[n] = n, true
			}
		}
		pending := s.Pending()
		s.Close()
		if pending > 0 {
			t.Fatalf("run %d: %d bytes still pending after %d deliveries", run, pending, len(appended)+1)
		}
		for n := range appended {
			if !delivered[n] {
				t.Fatalf("run %d (killed after %d appends): event %d appended, never delivered", run, kill, n)
			}
		}
		t.Logf("run %d: killed after %d appends; %d events appended in all, every one delivered", run, kill, len(appended))
	}
}

// runCompactChild runs compactChild on dir, from event from, until it has printed kill
// appends, kills it, and records what it appended and delivered.
func runCompactChild(t *testing.T, dir string, from, kill int, appended, delivered map[int]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd, lines := childtest.Start(t, ctx, "^$", compactChildEnv+"="+dir, compactFromEnv+"="+strconv.Itoa(from))
	defer cmd.Wait()
	defer cmd.Process.Kill() // SIGKILL on Unix
	record := func() bool {
		what, id, _ := strings.Cut(lines.Text(), " ")
		n, _ := strconv.Atoi(id)
		switch what {
		case "appended":
			appended[n] = true
			return true
		case "fn":
			delivered[n] = true
		default:
			t.Fatalf("child: %s", lines.Text())
		}
		return false
	}
	for seen := 0; seen < kill && lines.Scan(); {
		if record() {
			seen++
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	// The child runs on between the last line read and the kill: what it
	// printed meanwhile (a delivery it committed, an append) is in the
	// pipe, and reading it to the end keeps the record true.
	cmd.Process.Kill()
	for lines.Scan() {
		record()
	}
}
