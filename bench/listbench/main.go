// Command listbench runs one scenario of bench/run.sh against an external
// `b24 fake` and prints one result line: time, rows a second, requests, 503s,
// 429s, peak memory, and the theoretical minimum time (bench/README.md).
//
//	listbench -fake-log FILE -scenario export|update|js-compare [-rows N] [-select ID,TITLE] [-concurrency N]
//
// FILE is what `b24 fake` printed: the webhook URL, the certificate, the
// limits, the time scale and the audit URL.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/bench/internal/limtrace"
	"github.com/b24go/b24/limit"
)

// deal is a row of the export: the selected fields, or, for a full record,
// the rest kept as raw JSON values.
type deal struct {
	ID          b24.ID
	TITLE       string
	STAGE_ID    string
	OPPORTUNITY string
}

// fakeInfo is what the fake printed.
type fakeInfo struct {
	webhook, cert, audit string
	burst                float64       // X
	drain                float64       // Y, a second (scaled)
	opLimit, opWindow    time.Duration // L, W (scaled)
	scale                float64
}

var limitsRE = regexp.MustCompile(`bucket (\d+), drain ([0-9.]+)/s, operating (\S+) per (\S+) `)

func readFakeLog(path string) (fakeInfo, error) {
	var fi fakeInfo
	f, err := os.Open(path)
	if err != nil {
		return fi, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "webhook":
			fi.webhook = val
		case "certificate":
			fi.cert = val
		case "audit":
			fi.audit = val
		case "time scale":
			fi.scale, _ = strconv.ParseFloat(val, 64)
		case "limits":
			m := limitsRE.FindStringSubmatch(val)
			if m == nil {
				return fi, fmt.Errorf("unreadable limits line %q", val)
			}
			fi.burst, _ = strconv.ParseFloat(m[1], 64)
			fi.drain, _ = strconv.ParseFloat(m[2], 64)
			fi.opLimit, _ = time.ParseDuration(m[3])
			fi.opWindow, _ = time.ParseDuration(m[4])
		}
	}
	if fi.webhook == "" || fi.cert == "" || fi.drain == 0 || fi.scale == 0 {
		return fi, fmt.Errorf("%s: not the output of b24 fake", path)
	}
	return fi, sc.Err()
}

// The fake's default latency model, at time scale 1 (-latency-request
// sets latRequest to the fake's own).
var latRequest = 20 * time.Millisecond

const latWrite = 5 * time.Millisecond

// latSpread is the fake's -latency-spread: log-normal costs of median 1
// cost e^(σ²/2) times the model on average, which the bounds take as P.
var latSpread float64

// latRow is the fake's latency per row returned (its -latency-row; 50 µs
// by default), set by -latency-row.
var latRow = 50 * time.Microsecond

// bounds is the theoretical minimum of a job of h requests whose modelled
// server time is p in all, the longest request taking one.
type bounds struct{ bucket, operating, spread float64 }

func (b bounds) min() float64 { return math.Max(b.bucket, b.operating) }

func minimum(fi fakeInfo, h int, p, one time.Duration) bounds {
	if latSpread > 0 {
		m := math.Exp(latSpread * latSpread / 2)
		p, one = time.Duration(m*float64(p)), time.Duration(m*float64(one))
	}
	k := fi.scale
	ps, ones := p.Seconds()/k, one.Seconds()/k
	l, w := fi.opLimit.Seconds(), fi.opWindow.Seconds()
	return bounds{
		bucket:    math.Max(0, float64(h)-fi.burst)/fi.drain + ones,
		operating: slotted(ps, l, w, ones),
		spread:    ps * w / l,
	}
}

// slotted is the operating bound of a job of p seconds of server time for a
// client never refused: (ceil(p/l) - 1) × w plus its last request (one)
// when p is above l; the budget frees only when a slot's whole window has
// passed (docs/limits.md), not at a fluid rate.
func slotted(p, l, w, one float64) float64 {
	if p <= l {
		return 0
	}
	return (math.Ceil(p/l)-1)*w + one
}

// exportBounds: a chained export of n rows: a probe request, then
// ceil(n/2500) requests of up to 50 pages; every page costs a request's
// latency and every row its own.
func exportBounds(fi fakeInfo, n int) bounds {
	h := (n+2499)/2500 + 1
	pages := n/50 + 1 + 1 // the pages, the confirming short page, the probe's far page
	p := time.Duration(pages)*latRequest + time.Duration(n+50)*latRow
	return minimum(fi, h, p, 50*(latRequest+50*latRow))
}

func updateBounds(fi fakeInfo, n int) bounds {
	h := (n + 49) / 50
	p := time.Duration(n) * (latRequest + latWrite)
	return minimum(fi, h, p, 50*(latRequest+latWrite))
}

type audit struct {
	Requests int            `json:"requests"`
	ByStatus map[string]int `json:"by_status"`
}

func readAudit(c *http.Client, url string) (audit, error) {
	var a audit
	resp, err := c.Get(url)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	return a, json.NewDecoder(resp.Body).Decode(&a)
}

// mib formats b in MiB; 0, a figure not measured (-heap-sample 0), as "-".
func mib(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// config is the command line.
type config struct {
	logPath, scenario, name, sel, cpuProf string
	rows, concurrency                     int
	target                                float64
	deadline                              time.Duration
	adaptive, spread                      bool
	others                                float64
	trace                                 string
	heapSample                            time.Duration
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.logPath, "fake-log", "", "the output of b24 fake")
	flag.StringVar(&c.scenario, "scenario", "export", "export or update")
	flag.StringVar(&c.name, "name", "", "the scenario's name in the output")
	flag.IntVar(&c.rows, "rows", 0, "rows to export (filter <=ID) or updates to send; 0: all")
	flag.StringVar(&c.sel, "select", "ID,TITLE,STAGE_ID,OPPORTUNITY", "fields to select (export); * for the full record")
	flag.IntVar(&c.concurrency, "concurrency", 4, "concurrent shards (export) or chunks (update)")
	flag.IntVar(&c.concurrency, "shards", 4, "deprecated: use -concurrency")
	flag.Float64Var(&c.target, "target", 0.9, "the share of T_min to reach (time <= T_min/target); 0: no target")
	flag.DurationVar(&c.deadline, "deadline", 5*time.Minute, "give up after this long")
	flag.StringVar(&c.cpuProf, "cpuprofile", "", "write a CPU profile of the client here")
	flag.DurationVar(&c.heapSample, "heap-sample", time.Millisecond, "read the heap's size this often for its peak (0: not at all, no peak reported; each read wakes the process, which costs it CPU time)")
	flag.BoolVar(&c.adaptive, "adaptive", false, "turn the adaptive delay on (off by default; on, it slows calls once a method's operating budget is past 80 %)")
	flag.DurationVar(&latRow, "latency-row", latRow, "the fake's -latency-row (the bounds' cost of a row)")
	flag.Float64Var(&latSpread, "latency-spread", 0, "the fake's -latency-spread (the bounds take the expected P, e^(σ²/2) times the model)")
	flag.DurationVar(&latRequest, "latency-request", latRequest, "the fake's -latency-request (the bounds' cost of a call)")
	flag.StringVar(&c.trace, "trace", "", "export: write each request's ask, admit and answer times, units and figure here")
	flag.Float64Var(&c.others, "others", 0, "export: a second client (another process that does not pace itself: it sends on its clock, a refused batch is not resent) spends this share of the operating budget on the same webhook while the export runs; the bound assumes the export has L less that share")
	flag.BoolVar(&c.spread, "spread", false, "judge the target against the operating budget's spread bound, P×W/L (the export's modelled server time at the budget's rate)")
	flag.Parse()
	return c
}

// bench is one run against the fake: its description, a client that trusts
// its certificate and the restriction parameters scaled to its time.
type bench struct {
	fi     fakeInfo
	client *http.Client
	params b24.RestrictionParams
	trace  *limtrace.Tracer // -trace: the export's limiter
}

func newBench(c config) (*bench, error) {
	fi, err := readFakeLog(c.logPath)
	if err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(fi.cert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		MaxIdleConnsPerHost: 64}}
	params := b24.DefaultRestrictionParams()
	params.RateLimit.Burst, params.RateLimit.Drain = int(fi.burst), fi.drain
	params.RateLimit.RefusalWindow = time.Duration(float64(params.RateLimit.RefusalWindow) / fi.scale)
	params.Operating.Limit, params.Operating.Window = fi.opLimit, fi.opWindow
	// The default margin in proportion: 5 s of 480 s, of the (scaled) limit
	// the fake prints (a budget shrunk to 48 s keeps 0.5 s, not 5 s: a tenth
	// of it would cost a whole window of the slotted bound).
	params.Operating.Margin = fi.opLimit * 5 / 480
	params.Adaptive.MaxDelay = time.Duration(float64(params.Adaptive.MaxDelay) / fi.scale)
	params.Retry.BaseDelay = time.Duration(float64(params.Retry.BaseDelay) / fi.scale)
	params.Retry.MaxDelay = time.Duration(float64(params.Retry.MaxDelay) / fi.scale)
	params.Adaptive.Enabled = c.adaptive
	bn := &bench{fi: fi, client: client, params: params}
	if c.trace != "" {
		f, err := os.Create(c.trace)
		if err != nil {
			return nil, err
		}
		l, err := limit.New(params.Params)
		if err != nil {
			return nil, err
		}
		bn.trace = &limtrace.Tracer{Limiter: l, W: f, T0: time.Now()}
	}
	return bn, nil
}

// hook is a Hook for the fake, with the traced limiter when -trace is set
// (own: a Hook with its own limiter, as another process).
func (bn *bench) hook() (*b24.Hook, error) { return bn.newHook(false) }

func (bn *bench) newHook(own bool, extra ...b24.Option) (*b24.Hook, error) {
	opts := []b24.Option{b24.WithHTTPClient(bn.client), b24.WithRestrictionParams(bn.params)}
	if bn.trace != nil && !own {
		opts = append(opts, b24.WithLimiter(bn.trace))
	}
	return b24.FromWebhookURL(bn.fi.webhook, append(opts, extra...)...)
}

// report prints the result line: the measured figures, the bounds and the
// verdict against the target.
func (bn *bench) report(c config, r result) error {
	a, err := readAudit(bn.client, bn.fi.audit)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	t := r.elapsed.Seconds()
	r503, r429 := a.ByStatus["503"]-r.before.ByStatus["503"], a.ByStatus["429"]-r.before.ByStatus["429"]
	verdict := ""
	if c.target > 0 {
		ref := r.b.min()
		if c.spread {
			ref = r.b.spread
		}
		limit := ref / c.target
		ok := t <= limit && r503 == 0 && r429 == 0
		verdict = fmt.Sprintf("target <= %.2f s: %s", limit, map[bool]string{true: "met", false: "MISSED"}[ok])
	}
	label := c.name
	if label == "" {
		label = c.scenario
	}
	spreadNote := ""
	if c.spread {
		spreadNote = fmt.Sprintf("  P×W/L %.2f s (%.0f %%)", r.b.spread, 100*r.b.spread/t)
	}
	note := r.note
	if user, sys, ok := cpuTime(); ok {
		note += fmt.Sprintf(", client CPU %.2f s (user %.2f, sys %.2f)", (user + sys).Seconds(), user.Seconds(), sys.Seconds())
	}
	fmt.Printf("%-16s rows %8d  time %7.2f s  %7.0f rows/s  requests %4d  503 %d  429 %d  peak heap %s  peak live heap %s  peak RSS %s  T_bucket %.2f s  T_op %.2f s  T_min %.2f s (%.0f %%)%s  %s  [%s]\n",
		label, r.n, t, float64(r.n)/t, a.Requests-r.before.Requests, r503, r429, mib(r.peak), mib(r.live), mib(peakRSS()),
		r.b.bucket, r.b.operating, r.b.min(), 100*r.b.min()/t, spreadNote, verdict, note)
	return nil
}

func main() {
	c := parseFlags()
	if c.cpuProf != "" {
		f, err := os.Create(c.cpuProf)
		if err != nil || pprof.StartCPUProfile(f) != nil {
			fmt.Fprintln(os.Stderr, "listbench: -cpuprofile:", err)
			os.Exit(2)
		}
	}
	code := run(c)
	if c.cpuProf != "" {
		// Before os.Exit, which runs no deferred call: an unstopped
		// profile is an empty file.
		pprof.StopCPUProfile()
	}
	os.Exit(code)
}

// run runs the scenario and returns the exit code: 2 for a bad setup, 1
// for a failed or late run.
func run(c config) int {
	bn, err := newBench(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listbench:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
	defer cancel()
	var r result
	switch c.scenario {
	case "export":
		r, err = bn.export(ctx, c)
	case "update":
		r, err = bn.update(ctx, c)
	case "bounds":
		// Only the theoretical minimum of a chained export of -rows rows.
		b := exportBounds(bn.fi, c.rows)
		fmt.Printf("T_bucket %.2f s  T_op %.2f s  T_min %.2f s  (for a chained export of %d rows)\n", b.bucket, b.operating, b.min(), c.rows)
		return 0
	default:
		fmt.Fprintln(os.Stderr, "listbench: unknown scenario", c.scenario)
		return 2
	}
	if err == nil {
		err = bn.report(c, r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "listbench:", err)
		return 1
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return 1
	}
	return 0
}
