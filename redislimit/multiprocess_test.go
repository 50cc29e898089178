package redislimit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/childtest"
	"github.com/b24go/b24/limit"
	"github.com/b24go/b24/redislimit/redistest"
)

// The multi-process tests of the shared slot ledger: the test binary runs
// itself as separate processes (TestHelperProcess), each with its own Hook
// and its own redislimit.Limiter on one Redis, calling one fake portal
// (b24test, which keeps the protocol's slots) with one webhook.
//
// The figures: time scale 100, so W = 6 s in slots of 600 ms, L = 4.8 s (the
// clients keep a margin of 50 ms). Each call of test.work costs 20 ms +
// 1,000,000 rows counted × 20 µs = 20.02 s of server time at scale 1, 200.2
// ms here: 23 calls fit in a window. Four processes of 3 goroutines make 15
// calls each: 60 calls, 12 s of server time, 2.5 windows' worth.
const (
	mpScale     = 100
	mpProcesses = 4
	mpWorkers   = 3
	mpCalls     = 15
	mpRows      = 1_000_000
)

// mpParams are the restriction parameters of every process: the fake's
// Standard plan at the time scale.
func mpParams() b24.RestrictionParams { return b24.DefaultRestrictionParams().Scaled(mpScale) }

// childResult is what a helper process reports on its last line.
type childResult struct {
	Calls, Refused429, Errors int
	MaxFigure                 time.Duration // the largest operating figure an answer carried
}

// figureTap records the operating figures of the answers a process gets,
// and its 429s, reading each body once and handing it on unchanged.
type figureTap struct {
	next    http.RoundTripper
	max     atomic.Int64
	refused atomic.Int64
}

func (f *figureTap) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode == http.StatusTooManyRequests {
		f.refused.Add(1)
	}
	var env struct {
		Time struct{ Operating float64 } `json:"time"`
	}
	if json.Unmarshal(body, &env) == nil {
		op := int64(env.Time.Operating * float64(time.Second))
		for cur := f.max.Load(); op > cur && !f.max.CompareAndSwap(cur, op); cur = f.max.Load() {
		}
	}
	return resp, nil
}

// TestHelperProcess is a helper process of the tests below, not a test: it
// runs only with B24_REDISLIMIT_CHILD set. Mode "work" makes its calls and
// prints a childResult; mode "hold" takes permits of the whole budget,
// prints "held" and waits to be killed.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("B24_REDISLIMIT_CHILD")
	if mode == "" {
		t.Skip("a helper process of the multi-process tests")
	}
	res, err := runChild(mode)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	os.Exit(0)
}

func runChild(mode string) (childResult, error) {
	pem, err := os.ReadFile(os.Getenv("B24_CHILD_CERT"))
	if err != nil {
		return childResult{}, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tap := &figureTap{next: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	p := mpParams()
	ttl, _ := time.ParseDuration(os.Getenv("B24_CHILD_TTL"))
	lim, err := NewFromURL("redis://"+os.Getenv("B24_TEST_REDIS")+"/0", p.Params,
		WithPrefix(os.Getenv("B24_CHILD_PREFIX")), WithReservationTTL(ttl))
	if err != nil {
		return childResult{}, err
	}
	defer lim.Close()
	if mode == "hold" {
		return childResult{}, hold(lim)
	}
	h, err := b24.FromWebhookURL(os.Getenv("B24_CHILD_HOOK"), b24.WithHTTPClient(&http.Client{Transport: tap}),
		b24.WithLimiter(lim), b24.WithRestrictionParams(p), b24.WithTimeout(10*time.Second))
	if err != nil {
		return childResult{}, err
	}
	if mode == "spend" {
		return spend(h, tap)
	}
	calls := int64(mpCalls)
	if n, err := strconv.Atoi(os.Getenv("B24_CHILD_CALLS")); err == nil {
		calls = int64(n)
	}
	var res childResult
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range mpWorkers {
		wg.Go(func() {
			for next.Add(1) <= calls {
				_, err := h.Call(context.Background(), "test.work", nil)
				mu.Lock()
				res.Calls++
				if err != nil {
					res.Errors++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Refused429, res.MaxFigure = int(tap.refused.Load()), time.Duration(tap.max.Load())
	return res, nil
}

// spend is the second process of BenchmarkSecondProcess: one call every
// B24_CHILD_EVERY, through the shared limiter, until it is killed; it
// prints its count of calls and 429s after each call.
func spend(h *b24.Hook, tap *figureTap) (childResult, error) {
	every, err := time.ParseDuration(os.Getenv("B24_CHILD_EVERY"))
	if err != nil {
		return childResult{}, err
	}
	var res childResult
	for next := time.Now(); ; next = next.Add(every) {
		time.Sleep(time.Until(next))
		if _, err := h.Call(context.Background(), "test.work", nil); err != nil {
			res.Errors++
		}
		res.Calls++
		res.Refused429, res.MaxFigure = int(tap.refused.Load()), time.Duration(tap.max.Load())
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
	}
}

// hold takes the budget of test.work with reservations it never releases,
// says so, and waits to be killed.
func hold(lim *Limiter) error {
	req := limit.Request{Portal: os.Getenv("B24_CHILD_PORTAL"), Credential: "cred-killed", Methods: []string{"test.work"}}
	if _, err := lim.Acquire(context.Background(), req); err != nil { // unknown cost: flies alone
		return err
	}
	fmt.Println("held")
	select {}
}

// startChild starts the test binary as a helper process in mode.
func startChild(t *testing.T, mode string, env ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	return childtest.Start(t, t.Context(), "^TestHelperProcess$",
		append([]string{"B24_REDISLIMIT_CHILD=" + mode, "B24_TEST_REDIS=" + redistest.Addr(t)}, env...)...)
}

// lastLine reads a child's output to its end and returns its last line.
func lastLine(sc *bufio.Scanner) string {
	var last string
	for sc.Scan() {
		last = sc.Text()
	}
	return last
}

// workPortal starts the slotted fake with test.work (200.2 ms a call) and
// returns the environment of the helper processes that call it.
func workPortal(t *testing.T) []string {
	t.Helper()
	s := b24test.NewServer(t, b24test.WithTimeScale(mpScale))
	s.On("test.work", func(c *b24test.Call) (b24test.Result, *b24test.Error) {
		c.Counted(mpRows)
		return b24test.Value(true), nil
	})
	cert := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(cert, s.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"B24_CHILD_CERT=" + cert, "B24_CHILD_HOOK=" + s.WebhookURL(), "B24_CHILD_PREFIX=" + testPrefix(t), "B24_CHILD_TTL=10s"}
}

// TestProcessesShareTheSlotLedger: four processes on one webhook, each with
// its own limiter on one Redis, draw no 429, and no answer carries a figure
// above L (the portal's stored time never passed the limit, so recorded +
// in flight never did), while together they fill the budget: some answer
// carries 90 % of L or more.
func TestProcessesShareTheSlotLedger(t *testing.T) {
	needRedis(t)
	if testing.Short() {
		t.Skip("runs 4 processes for about 15 s")
	}
	env := workPortal(t)
	start := time.Now()
	var scans []*bufio.Scanner
	for range mpProcesses {
		_, sc := startChild(t, "work", env...)
		scans = append(scans, sc)
	}
	var total childResult
	for i, sc := range scans {
		line := lastLine(sc)
		var r childResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("process %d: %q", i, line)
		}
		total.Calls += r.Calls
		total.Errors += r.Errors
		total.Refused429 += r.Refused429
		total.MaxFigure = max(total.MaxFigure, r.MaxFigure)
	}
	elapsed := time.Since(start)
	L := mpParams().Operating.Limit
	w := mpParams().Operating.Window
	cost := (20*time.Millisecond + mpRows*20*time.Microsecond) / mpScale // the fake's latency model
	spent := time.Duration(total.Calls) * cost
	bound := time.Duration((spent+L-1)/L-1)*w + cost
	t.Logf("%d processes: %d calls, %v of server time, %v (bound for a client never over L: %v), largest figure %v of L %v, %d × 429",
		mpProcesses, total.Calls, spent.Round(time.Millisecond), elapsed.Round(time.Millisecond), bound.Round(time.Millisecond),
		total.MaxFigure.Round(time.Millisecond), L, total.Refused429)
	if total.Calls != mpProcesses*mpCalls || total.Errors != 0 {
		t.Fatalf("%d calls, %d failed; want %d, none failed", total.Calls, total.Errors, mpProcesses*mpCalls)
	}
	if total.Refused429 != 0 {
		t.Errorf("the portal refused %d requests (429): the processes overspent the shared budget", total.Refused429)
	}
	// The shared ledger is limit.New's (internal/opbudget): recorded + in
	// flight never passes L. A figure read before an earlier request's
	// store once took that request off the record: one call over L (24 ×
	// 200.2 ms = 4.805 s) in 1 of 30 runs with -race (3 of 10 before the
	// first fixes of issue 16). With own time that may not be stored yet
	// topped up (307df0b), 36 of 36 runs stayed at or under L.
	if total.MaxFigure > L {
		t.Errorf("an answer carried %v stored against the limit %v: recorded + in flight passed L", total.MaxFigure, L)
	}
	if total.MaxFigure < L*9/10 {
		t.Errorf("the largest figure was %v: the processes together never filled the budget of %v", total.MaxFigure, L)
	}
}

// TestKilledProcessReservationExpires: a process killed with a reservation
// in flight (kill -9: its permit is never released) holds the budget only
// until the reservation's TTL; then another process is admitted.
func TestKilledProcessReservationExpires(t *testing.T) {
	c := needRedis(t)
	prefix := testPrefix(t)
	const ttl = 500 * time.Millisecond
	portal := "killed.bitrix24.test"
	started := time.Now() // the child's reservation is made later, so it lives at least until started+ttl
	cmd, sc := startChild(t, "hold", "B24_CHILD_CERT=/dev/null", "B24_CHILD_PREFIX="+prefix,
		"B24_CHILD_TTL="+ttl.String(), "B24_CHILD_PORTAL="+portal)
	if !sc.Scan() || sc.Text() != "held" {
		t.Fatalf("the helper process did not take its permit: %q", sc.Text())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	l := newTestLimiter(t, c, prefix, mpParams().Params)
	req := limit.Request{Portal: portal, Credential: "cred-killed", Methods: []string{"test.work"}}
	// The dead process's call, of unknown cost, flies alone: nothing else
	// goes until it expires. A loaded machine can start the child and reach
	// this point after the TTL: then the reservation may be gone already.
	if code, _, _ := try(t, l, req); code != codeWaitOp && time.Since(started) < ttl {
		t.Fatalf("while the killed process's reservation lives: code %d, want to wait", code)
	} else if code != codeWaitOp {
		t.Logf("the reservation's TTL had passed before the first try (%v after the start): not checked", time.Since(started))
	}
	pm := acquire(t, l, req)
	defer pm.Release(limit.Outcome{})
	if d := time.Since(killed); d > ttl+2*time.Second {
		t.Fatalf("admitted %v after the kill, want about the reservation's TTL %v", d, ttl)
	}
	if st := stateOf(t, l, req); len(st.Res) != 1 {
		t.Fatalf("reservations %+v, want only the new call's", st.Res)
	}
}

// TestSecondProcessBench (B24_BENCH_REDIS2=1; a measurement, not a check:
// bench/README.md) times a job of B24_BENCH_CALLS calls (default 40) of
// test.work in one process while a second process, on the same webhook and
// the same shared limiter, spends 30 % of the budget (one call of 200.2 ms
// every 834 ms: 1.44 s per 6 s window). The bound is that of a client with
// 70 % of L: (ceil(P / 0.7 L) − 1) × W plus one call.
func TestSecondProcessBench(t *testing.T) {
	if os.Getenv("B24_BENCH_REDIS2") == "" {
		t.Skip("a measurement: set B24_BENCH_REDIS2=1")
	}
	needRedis(t)
	calls := 40
	if n, err := strconv.Atoi(os.Getenv("B24_BENCH_CALLS")); err == nil {
		calls = n
	}
	env := workPortal(t)
	cost := (20*time.Millisecond + mpRows*20*time.Microsecond) / mpScale
	L, w := mpParams().Operating.Limit, mpParams().Operating.Window
	every := time.Duration(float64(cost) * float64(w) / (0.3 * float64(L)))
	other, otherOut := startChild(t, "spend", append(env, "B24_CHILD_EVERY="+every.String())...)
	lines := make(chan string, 1024)
	go func() {
		for otherOut.Scan() {
			lines <- otherOut.Text()
		}
		close(lines)
	}()
	<-lines // the second process is spending
	start := time.Now()
	_, jobOut := startChild(t, "work", append(env, "B24_CHILD_CALLS="+strconv.Itoa(calls))...)
	var job childResult
	if line := lastLine(jobOut); json.Unmarshal([]byte(line), &job) != nil {
		t.Fatalf("the job: %q", line)
	}
	elapsed := time.Since(start)
	other.Process.Kill()
	var last childResult
	for line := range lines {
		json.Unmarshal([]byte(line), &last)
	}
	p := time.Duration(job.Calls) * cost
	share := L * 7 / 10
	bound := time.Duration((p+share-1)/share-1)*w + cost
	// What the other process really spent: its calls wait for the shared
	// budget too, so it may get less than it asks for.
	got := float64(time.Duration(last.Calls)*cost) / (elapsed.Seconds() / w.Seconds() * float64(L))
	t.Logf("job: %d calls (%v of server time) in %v, bound with 70 %% of L %v (%.0f %%); the other process: %d calls (one every %v asked), %.0f %% of L a window; 429: job %d, other %d; largest figure %v of L %v",
		job.Calls, p.Round(time.Millisecond), elapsed.Round(time.Millisecond), bound.Round(time.Millisecond),
		100*bound.Seconds()/elapsed.Seconds(), last.Calls, every.Round(time.Millisecond), 100*got, job.Refused429, last.Refused429,
		max(job.MaxFigure, last.MaxFigure).Round(time.Millisecond), L)
}
