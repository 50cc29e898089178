//go:build unix

package offline_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events/offline"
	"github.com/b24go/b24/internal/childtest"
	"github.com/b24go/b24/oauth"
)

// The child of TestKilledConsumer reads its setup from these variables.
const (
	childEnv    = "B24_OFFLINE_CHILD"    // the handled log's path
	childURL    = "B24_OFFLINE_URL"      // the fake's URL
	childCert   = "B24_OFFLINE_CERT"     // its certificate (PEM file)
	childStore  = "B24_OFFLINE_STORE"    // the tokens (oauth.FileStore)
	childRun    = "B24_OFFLINE_RUN"      // the run number, written with each handled event
	childSuffix = "B24_OFFLINE_SELFKILL" // "N" or "N+": SIGKILL itself in the N-th call, before (after: +) the log write
	childDrain  = "B24_OFFLINE_DRAIN"    // "1": Drain and exit instead of Follow
	childBatch  = "B24_OFFLINE_BATCH"    // "1": DrainBatch/FollowBatch, fn run on each event of a batch
)

func TestMain(m *testing.M) {
	if log := os.Getenv(childEnv); log != "" {
		if err := killChild(log); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killChild consumes the queue; each handled event is appended to the log
// ("EVENT:id run") and fsynced before the function returns, then printed.
func killChild(logPath string) error {
	pem, err := os.ReadFile(os.Getenv(childCert))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	src, err := oauth.New(oauth.Config{ClientID: "app.kill", ClientSecret: "kill-secret",
		Store: oauth.FileStore{Path: os.Getenv(childStore)}, TokenURL: os.Getenv(childURL) + b24test.OAuthTokenPath, HTTPClient: client})
	if err != nil {
		return err
	}
	h, err := b24.NewApp(os.Getenv(childURL), src, b24.WithHTTPClient(client))
	if err != nil {
		return err
	}
	c, err := offline.New(h, offline.Config{ProcessID: "kill-test", Limit: 4, Poll: 10 * time.Millisecond, RetryFailed: 10 * time.Millisecond, Logger: quiet})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	killAt, _ := strconv.Atoi(strings.TrimSuffix(os.Getenv(childSuffix), "+"))
	after := strings.HasSuffix(os.Getenv(childSuffix), "+")
	calls := 0
	fn := func(_ context.Context, e offline.Event) error {
		calls++
		if calls == killAt && !after {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		if _, err := fmt.Fprintf(f, "%s:%s %s\n", e.Name, e.ID, os.Getenv(childRun)); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		if calls == killAt {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		fmt.Printf("fn %s:%s\n", e.Name, e.ID)
		return nil
	}
	if os.Getenv(childBatch) == "1" {
		return batchChild(c, fn)
	}
	if os.Getenv(childDrain) == "1" {
		_, err := c.Drain(context.Background(), fn)
		fmt.Println("drained")
		return err
	}
	return c.Follow(context.Background(), fn)
}

// batchChild consumes with the batch form: the kill points of fn fall
// inside a batch, after some of its events were logged.
func batchChild(c *offline.Consumer, fn offline.Func) error {
	bfn := func(ctx context.Context, evs []offline.Event) error {
		for _, e := range evs {
			if err := fn(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}
	if os.Getenv(childDrain) == "1" {
		_, err := c.DrainBatch(context.Background(), bfn)
		fmt.Println("drained")
		return err
	}
	return c.FollowBatch(context.Background(), bfn)
}

// TestKilledConsumer: a consumer process is killed with SIGKILL at seeded
// moments (by the test after it handled k events, or by itself inside its
// function, before or after the handled event is logged), while writes
// raise events between runs and some gets lose their answer. After a last
// Drain, every event raised was handled at least once after its last
// raise, and the queue is empty. Duplicates are counted, and allowed.
func TestKilledConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	t.Run("each", func(t *testing.T) { killedConsumer(t, "0") })
	t.Run("batch", func(t *testing.T) { killedConsumer(t, "1") })
}

// killedConsumer runs TestKilledConsumer with the per-event form (batch
// "0") or the batch form ("1").
func killedConsumer(t *testing.T, batch string) {
	s := b24test.NewServer(t, b24test.WithoutLimits())
	tok := s.RegisterApp("app.kill", "kill-secret")
	dir := t.TempDir()
	store, cert, logPath := filepath.Join(dir, "tokens.json"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "handled.log")
	if err := os.WriteFile(cert, s.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ot := oauth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expires}
	if err := (oauth.FileStore{Path: store}).Save(context.Background(), ot); err != nil {
		t.Fatal(err)
	}
	src, _ := oauth.New(oauth.Config{ClientID: "app.kill", ClientSecret: "kill-secret", Store: oauth.NewMemoryStore(ot),
		TokenURL: s.OAuthURL(), HTTPClient: s.Client()})
	h, err := b24.NewApp(s.URL(), src, b24.WithHTTPClient(s.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := context.Background()
	for _, ev := range []string{"ONCRMDEALADD", "ONCRMDEALUPDATE"} {
		if err := offline.Bind(ctx, h, offline.Binding{Event: ev, Offline: true}); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{childBatch + "=" + batch, childEnv + "=" + logPath, childURL + "=" + s.URL(), childCert + "=" + cert, childStore + "=" + store}
	r := rand.New(rand.NewPCG(20261207, 20))
	raised := map[string]int{} // event key -> the run of its last raise
	var deals []string
	const runs = 6
	for run := range runs {
		for range 10 {
			id, _, err := b24.CallAs[b24.ID](ctx, h.V2(), "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": run}})
			if err != nil {
				t.Fatal(err)
			}
			deals = append(deals, fmt.Sprint(int64(id)))
			raised["ONCRMDEALADD:"+deals[len(deals)-1]] = run
		}
		for range 4 {
			id := deals[r.IntN(len(deals))]
			if _, _, err := b24.CallAs[bool](ctx, h.V2(), "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": "u"}}); err != nil {
				t.Fatal(err)
			}
			raised["ONCRMDEALUPDATE:"+id] = run
		}
		if r.IntN(2) == 0 {
			s.FailNext("event.offline.get", 1, b24test.FaultReset)
		}
		pending := s.OfflineRecords("")
		k := 1 + r.IntN(pending)
		mode := []string{"parent", "self-before", "self-after"}[r.IntN(3)]
		runEnv := append(env, childRun+"="+strconv.Itoa(run))
		switch mode {
		case "self-before":
			runEnv = append(runEnv, childSuffix+"="+strconv.Itoa(k))
		case "self-after":
			runEnv = append(runEnv, childSuffix+"="+strconv.Itoa(k)+"+")
		}
		runKilled(t, runEnv, mode, k)
		t.Logf("run %d: %d records pending, killed (%s) at %d handled", run, pending, mode, k)
	}
	runDrain(t, append(env, childRun+"="+strconv.Itoa(runs), childDrain+"=1"))
	checkHandled(t, logPath, raised)
	if n := s.OfflineRecords(""); n != 0 {
		t.Fatalf("%d records left in the queue", n)
	}
}

// runKilled starts a child and waits for its death: the test kills it
// after k handled events (mode "parent"), or it kills itself.
func runKilled(t *testing.T, env []string, mode string, k int) {
	t.Helper()
	cctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd, lines := childtest.Start(t, cctx, "^$", env...)
	seen := 0
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatalf("child: %s", line)
		}
		if seen++; mode == "parent" && seen == k {
			cmd.Process.Kill() // SIGKILL
		}
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child (%s at %d) did not die by SIGKILL: %v", mode, k, err)
	}
}

func runDrain(t *testing.T, env []string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd, lines := childtest.Start(t, cctx, "^$", env...)
	var last string
	for lines.Scan() {
		last = lines.Text()
	}
	if err := cmd.Wait(); err != nil || last != "drained" {
		t.Fatalf("last Drain: %v, last line %q", err, last)
	}
}

// checkHandled reads the log: every raised event must have been handled in
// a run at or after its last raise (raises happen between runs).
func checkHandled(t *testing.T, logPath string, raised map[string]int) {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	latest, times := map[string]int{}, map[string]int{}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines {
		key, run, _ := strings.Cut(l, " ")
		n, _ := strconv.Atoi(run)
		latest[key] = max(latest[key], n)
		times[key]++
	}
	dups := 0
	for key, run := range raised {
		if h, ok := latest[key]; !ok || h < run {
			t.Errorf("%s raised in run %d, handled last in run %d (ok %v): lost", key, run, h, ok)
		}
		dups += max(times[key]-1, 0)
	}
	t.Logf("%d events raised, %d handlings logged, %d handled more than once in all", len(raised), len(lines), dups)
}
