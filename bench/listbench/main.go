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
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b24go/b24"
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

// The fake's default latency model, at time scale 1.
const (
	latRequest = 20 * time.Millisecond
	latWrite   = 5 * time.Millisecond
)

// latRow is the fake's latency per row returned (its -latency-row; 50 µs
// by default), set by -latency-row.
var latRow = 50 * time.Microsecond

// bounds is the theoretical minimum of a job of h requests whose modelled
// server time is p in all, the longest request taking one.
type bounds struct{ bucket, operating, spread float64 }

func (b bounds) min() float64 { return math.Max(b.bucket, b.operating) }

func minimum(fi fakeInfo, h int, p, one time.Duration) bounds {
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

// memSampler records, every millisecond while a scenario runs (from
// runtime/metrics, which does not stop the world), the peak heap (heap
// objects: live ones and garbage not yet collected, HeapAlloc, so its peak
// depends on when the collector ran) and the peak live heap (what the last
// collection found reachable: what the program holds).
type memSampler struct {
	peak, live atomic.Uint64
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startSampler() *memSampler {
	runtime.GC()
	s := &memSampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(samples)
			for i, a := range []*atomic.Uint64{&s.peak, &s.live} {
				if v := samples[i].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > a.Load() {
					a.Store(v.Uint64())
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) done() (peak, live uint64) {
	close(s.stop)
	s.wg.Wait()
	return s.peak.Load(), s.live.Load()
}

// peakRSS returns VmHWM from /proc/self/status, in bytes (0 when unknown).
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
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

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func main() {
	var (
		logPath  = flag.String("fake-log", "", "the output of b24 fake")
		scenario = flag.String("scenario", "export", "export or update")
		name     = flag.String("name", "", "the scenario's name in the output")
		rows     = flag.Int("rows", 0, "rows to export (filter <=ID) or updates to send; 0: all")
		sel      = flag.String("select", "ID,TITLE,STAGE_ID,OPPORTUNITY", "fields to select (export); * for the full record")
		shards   = flag.Int("concurrency", 4, "concurrent shards (export) or chunks (update)")
		target   = flag.Float64("target", 0.9, "the share of T_min to reach (time <= T_min/target); 0: no target")
		deadline = flag.Duration("deadline", 5*time.Minute, "give up after this long")
		cpuProf  = flag.String("cpuprofile", "", "write a CPU profile of the client here")
		adaptive = flag.Bool("adaptive", false, "turn the adaptive delay on (off by default; on, it slows calls once a method's operating budget is past 80 %)")
		rowLat   = flag.Duration("latency-row", latRow, "the fake's -latency-row (the bounds' cost of a row)")
		spread   = flag.Bool("spread", false, "judge the target against the operating budget's spread bound, P×W/L (the export's modelled server time at the budget's rate)")
	)
	flag.IntVar(shards, "shards", *shards, "deprecated: use -concurrency")
	flag.Parse()
	latRow = *rowLat
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	fi, err := readFakeLog(*logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listbench:", err)
		os.Exit(2)
	}
	pem, err := os.ReadFile(fi.cert)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listbench:", err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		MaxIdleConnsPerHost: 64}}
	params := b24.StandardPlan()
	params.RateLimit.Burst, params.RateLimit.Drain = int(fi.burst), fi.drain
	params.RateLimit.RefusalWindow = time.Duration(float64(params.RateLimit.RefusalWindow) / fi.scale)
	params.Operating.Limit, params.Operating.Window = fi.opLimit, fi.opWindow
	params.Operating.Margin = time.Duration(float64(5*time.Second) / fi.scale)
	params.Adaptive.MaxDelay = time.Duration(float64(params.Adaptive.MaxDelay) / fi.scale)
	params.Retry.BaseDelay = time.Duration(float64(params.Retry.BaseDelay) / fi.scale)
	params.Retry.MaxDelay = time.Duration(float64(params.Retry.MaxDelay) / fi.scale)
	params.Adaptive.Enabled = *adaptive
	newHook := func() *b24.Hook {
		h, err := b24.FromWebhookURL(fi.webhook, b24.WithHTTPClient(client), b24.WithRestrictionParams(params))
		if err != nil {
			fmt.Fprintln(os.Stderr, "listbench:", err)
			os.Exit(2)
		}
		return h
	}
	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()

	var (
		n       int
		elapsed time.Duration
		peak    uint64
		live    uint64
		b       bounds
		note    string
		before  audit
	)
	switch *scenario {
	case "export":
		h := newHook()
		p := map[string]any{"select": strings.Split(*sel, ",")}
		full := *sel == "*"
		if full {
			p["select"] = []string{"*", "UF_*"}
		}
		if *rows > 0 {
			// The first rows ids: the fake seeds about 5 % of ids unused, so
			// bound by id and report the rows actually read.
			p["filter"] = map[string]any{"<=ID": int(float64(*rows) / 0.95 * 1.0)}
		}
		var rep b24.ListReport
		if before, err = readAudit(client, fi.audit); err != nil {
			fmt.Fprintln(os.Stderr, "listbench:", err)
			os.Exit(1)
		}
		s := startSampler()
		start := time.Now()
		opts := []b24.ListOption{b24.WithConcurrency(*shards), b24.WithUnordered(true), b24.WithReport(&rep)}
		if full {
			for page, err := range b24.FetchListPages[map[string]any](ctx, h.V2(), "crm.deal.list", p, opts...) {
				if err != nil {
					fmt.Fprintln(os.Stderr, "listbench: export:", err)
					os.Exit(1)
				}
				n += len(page)
			}
		} else {
			for page, err := range b24.FetchListPages[deal](ctx, h.V2(), "crm.deal.list", p, opts...) {
				if err != nil {
					fmt.Fprintln(os.Stderr, "listbench: export:", err)
					os.Exit(1)
				}
				n += len(page)
			}
		}
		elapsed = time.Since(start)
		peak, live = s.done()
		if rep.UniqueIDs != int64(n) || rep.End != b24.ListComplete {
			fmt.Fprintf(os.Stderr, "listbench: export: report %+v\n", rep)
			os.Exit(1)
		}
		b = exportBounds(fi, n)
		st := h.Stats()
		note = fmt.Sprintf("%d shards (%d in flight), %d chained pages dropped, limiter waited %v", rep.Shards, *shards, rep.Dropped, st.WaitTime.Round(time.Millisecond))
	case "bounds":
		// Only the theoretical minimum of a chained export of -rows rows.
		b = exportBounds(fi, *rows)
		fmt.Printf("T_bucket %.2f s  T_op %.2f s  T_min %.2f s  (for a chained export of %d rows)\n", b.bucket, b.operating, b.min(), *rows)
		return
	case "update":
		// The ids to update, read first; then the bucket refills before the
		// timed part starts.
		ids, err := b24.CallList[struct{ ID b24.ID }](ctx, newHook().V2(), "crm.deal.list", map[string]any{"select": []string{"ID"}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "listbench: update: listing:", err)
			os.Exit(1)
		}
		if len(ids) < *rows {
			fmt.Fprintf(os.Stderr, "listbench: update: %d deals, want %d\n", len(ids), *rows)
			os.Exit(1)
		}
		time.Sleep(time.Duration((fi.burst + 2) / fi.drain * float64(time.Second)))
		before, err = readAudit(client, fi.audit)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listbench:", err)
			os.Exit(1)
		}
		cmds := make([]b24.Cmd, *rows)
		for i := range cmds {
			cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{
				"id": ids[i].ID, "fields": map[string]any{"TITLE": "bench " + strconv.Itoa(i)}}}
		}
		h := newHook()
		s := startSampler()
		start := time.Now()
		res, err := h.V2().BatchByChunk(ctx, cmds, b24.WithConcurrency(*shards), b24.WithHalt(false))
		elapsed = time.Since(start)
		peak, live = s.done()
		if err != nil {
			fmt.Fprintln(os.Stderr, "listbench: update:", err)
			os.Exit(1)
		}
		sum := res.Summary()
		if sum.Done != *rows {
			fmt.Fprintf(os.Stderr, "listbench: update: %v\n", sum)
			os.Exit(1)
		}
		n = sum.Done
		b = updateBounds(fi, n)
		note = fmt.Sprintf("%d chunks in flight", *shards)
	default:
		fmt.Fprintln(os.Stderr, "listbench: unknown scenario", *scenario)
		os.Exit(2)
	}
	a, err := readAudit(client, fi.audit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listbench: audit:", err)
		os.Exit(1)
	}
	t := elapsed.Seconds()
	r503, r429 := a.ByStatus["503"]-before.ByStatus["503"], a.ByStatus["429"]-before.ByStatus["429"]
	verdict := ""
	if *target > 0 {
		ref := b.min()
		if *spread {
			ref = b.spread
		}
		limit := ref / *target
		ok := t <= limit && r503 == 0 && r429 == 0
		verdict = fmt.Sprintf("target <= %.2f s: %s", limit, map[bool]string{true: "met", false: "MISSED"}[ok])
	}
	label := *name
	if label == "" {
		label = *scenario
	}
	spreadNote := ""
	if *spread {
		spreadNote = fmt.Sprintf("  P×W/L %.2f s (%.0f %%)", b.spread, 100*b.spread/t)
	}
	if cpu, ok := cpuTime(); ok {
		note += fmt.Sprintf(", client CPU %.1f s", cpu.Seconds())
	}
	fmt.Printf("%-16s rows %8d  time %7.2f s  %7.0f rows/s  requests %4d  503 %d  429 %d  peak heap %s  peak live heap %s  peak RSS %s  T_bucket %.2f s  T_op %.2f s  T_min %.2f s (%.0f %%)%s  %s  [%s]\n",
		label, n, t, float64(n)/t, a.Requests-before.Requests, r503, r429, mib(peak), mib(live), mib(peakRSS()),
		b.bucket, b.operating, b.min(), 100*b.min()/t, spreadNote, verdict, note)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		os.Exit(1)
	}
}
