package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/b24test"
	"golang.org/x/net/http2"
)

// runFake serves a fake portal until ctx ends.
func runFake(ctx context.Context, args []string, stdout, stderr io.Writer, env []string) int {
	fs := flag.NewFlagSet("b24 fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr      = fs.String("addr", "127.0.0.1:0", "listen address (loopback only; port 0 picks a free one)")
		seed      = fs.Int64("seed", 1, "random seed of the data and of random faults")
		deals     = fs.Int("deals", 0, "number of seeded deals (default 500)")
		leads     = fs.Int("leads", 0, "number of seeded leads (default 200)")
		contacts  = fs.Int("contacts", 0, "number of seeded contacts (default 300)")
		companies = fs.Int("companies", 0, "number of seeded companies (default 100)")
		tasks     = fs.Int("tasks", 0, "number of seeded tasks (default 100)")
		users     = fs.Int("users", 0, "number of seeded users (default 5)")
		userID    = fs.Int("user", 1, "the webhook's user id")
		secret    = fs.String("secret", "", "the webhook's secret (default: random)")
		plan      = fs.String("plan", "standard", "plan whose limits apply: standard or enterprise")
		burst     = fs.Int("burst", 0, "request bucket size X (default: the plan's)")
		drain     = fs.Float64("drain", 0, "requests drained a second Y (default: the plan's)")
		opLimit   = fs.Duration("operating-limit", 0, "operating budget L per method (default 480s)")
		opWindow  = fs.Duration("operating-window", 0, "operating window W (default 600s)")
		perCmd    = fs.Bool("batch-per-command", false, "bill batch commands under their own methods instead of \"batch\"")
		weight    = fs.Float64("batch-weight", 1, "weight of a batch's time billed under \"batch\" (newer portals: 0.5)")
		opBan     = fs.Duration("operating-ban", 0, "refuse a method for this long once it crosses the operating limit, clearing its slots (newer portals: 300s; 0: no ban)")
		noLimits  = fs.Bool("no-limits", false, "turn the request bucket and the operating budget off")
		legacy    = fs.Bool("legacy-time", false, "write time.start and time.processing as floats (older portals), not integers truncated to the second")
		scale     = fs.Float64("time-scale", 1, "time scale K: divides every time constant, multiplies the drain rate")
		latReq    = fs.Duration("latency-request", 20*time.Millisecond, "latency of every call")
		latRow    = fs.Duration("latency-row", 50*time.Microsecond, "latency per row returned")
		latCount  = fs.Duration("latency-count", 20*time.Microsecond, "latency per row counted (start >= 0)")
		latSkip   = fs.Duration("latency-skip", 2*time.Microsecond, "latency per offset row skipped")
		latWrite  = fs.Duration("latency-write", 5*time.Millisecond, "latency per record written")
		latSpread = fs.Float64("latency-spread", 0, "σ of a log-normal factor (median 1) on each call's latency: costs that vary (0: none)")
		clockOff  = fs.Duration("clock-offset", 0, "the portal's clock this far ahead of the host's (negative: behind)")
		faults    = fs.String("faults", "", "random fault rates, e.g. unavailable=0.05,reset=0.01 (names: "+faultNames()+")")
		certFile  = fs.String("cert-file", "", "where to write the certificate PEM (default: a file in the temp dir)")
		useH2     = fs.Bool("http2", false, "serve HTTP/2 over TLS too (ALPN h2): the stream-reset and goaway faults are then HTTP/2 frames")
		resetCode = fs.String("reset-code", "PROTOCOL_ERROR", "HTTP/2 error code of the stream-reset fault: a name (REFUSED_STREAM, CANCEL, ...) or a number")
		outbound  = registerFakeOutbound(fs) // fake_outbound.go
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "b24 fake: unexpected arguments %q\n", fs.Args())
		return 2
	}
	rates, err := parseFaults(*faults)
	if err != nil {
		fmt.Fprintf(stderr, "b24 fake: -faults: %v\n", err)
		return 2
	}
	code, ok := parseH2Code(*resetCode)
	if !ok {
		fmt.Fprintf(stderr, "b24 fake: -reset-code: unknown HTTP/2 error code %q\n", *resetCode)
		return 2
	}
	limits := b24test.PlanLimits(*plan)
	if *plan != "standard" && *plan != "enterprise" {
		fmt.Fprintf(stderr, "b24 fake: -plan must be standard or enterprise\n")
		return 2
	}
	if *burst > 0 {
		limits.Burst = *burst
	}
	if *drain > 0 {
		limits.Drain = *drain
	}
	if *opLimit > 0 {
		limits.OperatingLimit = *opLimit
	}
	if *opWindow > 0 {
		limits.OperatingWindow = *opWindow
	}
	if *weight <= 0 || math.IsNaN(*weight) || math.IsInf(*weight, 0) {
		fmt.Fprintf(stderr, "b24 fake: -batch-weight must be a positive number\n")
		return 2
	}
	if *opBan < 0 {
		fmt.Fprintf(stderr, "b24 fake: -operating-ban must not be negative\n")
		return 2
	}
	limits.BatchWeight, limits.OperatingBan = *weight, *opBan
	limits.BatchPerCommand = *perCmd
	limits.Disabled = *noLimits
	opts := []b24test.Option{
		b24test.WithAddr(*addr),
		b24test.WithSeed(b24test.Seed{Seed: *seed, Deals: *deals, Leads: *leads, Contacts: *contacts,
			Companies: *companies, Tasks: *tasks, Users: *users}),
		b24test.WithLimits(limits),
		b24test.WithTimeScale(*scale),
		b24test.WithLatency(b24test.Latency{Request: *latReq, RowReturned: *latRow, RowCounted: *latCount,
			RowSkipped: *latSkip, Write: *latWrite, Spread: *latSpread}),
		b24test.WithClockOffset(*clockOff),
		b24test.WithFaults(b24test.FaultRates{Seed: uint64(*seed), Rates: rates}),
	}
	if *legacy {
		opts = append(opts, b24test.WithLegacyTime())
	}
	if *useH2 {
		opts = append(opts, b24test.WithHTTP2(), b24test.WithResetCode(code))
	}
	if *secret != "" {
		opts = append(opts, b24test.WithWebhook(*userID, *secret))
	} else if *userID != 1 {
		opts = append(opts, b24test.WithWebhook(*userID, randomSecret()))
	}
	if o, err := outbound.option(); err != nil {
		fmt.Fprintf(stderr, "b24 fake: %v\n", err)
		return 2
	} else if o != nil {
		opts = append(opts, o)
	}
	s, err := b24test.Start(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "b24 fake: %v\n", err)
		return 1
	}
	defer s.Close()
	path := *certFile
	if path == "" {
		path = filepath.Join(tempDir(env), fmt.Sprintf("b24-fake-%d.pem", os.Getpid()))
		defer os.Remove(path)
	}
	if err := os.WriteFile(path, s.CertificatePEM(), 0o644); err != nil {
		fmt.Fprintf(stderr, "b24 fake: writing the certificate: %v\n", err)
		return 1
	}
	l := s.Limits()
	fmt.Fprintf(stdout, "webhook:     %s\n", s.WebhookURL())
	fmt.Fprintf(stdout, "webhook v3:  %s\n", s.WebhookV3URL())
	fmt.Fprintf(stdout, "certificate: %s\n", path)
	if l.Disabled {
		fmt.Fprintf(stdout, "limits:      off\n")
	} else {
		fmt.Fprintf(stdout, "limits:      bucket %d, drain %s/s, operating %s per %s (floor %s), batch billed %s\n",
			l.Burst, strconv.FormatFloat(l.Drain, 'f', -1, 64), l.OperatingLimit, l.OperatingWindow, l.OperatingFloor, billing(l))
	}
	fmt.Fprintf(stdout, "time scale:  %s\n", strconv.FormatFloat(s.TimeScale(), 'f', -1, 64))
	fmt.Fprintf(stdout, "audit:       %s%s\n", s.URL(), b24test.AuditPath)
	outbound.print(stdout, s)
	fmt.Fprintf(stdout, "serving until interrupted (SSL_CERT_FILE=%s or NODE_EXTRA_CA_CERTS=%s)\n", path, path)
	<-ctx.Done()
	return 0
}

func billing(l b24test.Limits) string {
	s := "as batch"
	if l.BatchPerCommand {
		s = "per command"
	} else if l.BatchWeight > 0 && l.BatchWeight != 1 {
		s += " at weight " + strconv.FormatFloat(l.BatchWeight, 'f', -1, 64)
	}
	if l.OperatingBan > 0 {
		s += ", ban " + l.OperatingBan.String()
	}
	return s
}

func faultNames() string {
	var names []string
	for f := b24test.Fault(1); ; f++ {
		n := f.String()
		if _, ok := b24test.ParseFault(n); !ok {
			break
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// parseFaults reads "name=rate,name=rate".
func parseFaults(s string) (map[b24test.Fault]float64, error) {
	out := map[b24test.Fault]float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		f, known := b24test.ParseFault(name)
		if !ok || !known || f == b24test.NoFault {
			return nil, fmt.Errorf("bad fault %q (want name=rate; names: %s)", part, faultNames())
		}
		r, err := strconv.ParseFloat(val, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("bad rate %q for %s", val, name)
		}
		out[f] = r
	}
	return out, nil
}

// parseH2Code reads an HTTP/2 error code: its name, or a number (0x.. too).
func parseH2Code(s string) (uint32, bool) {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		return uint32(n), true
	}
	for c := http2.ErrCodeNo; c <= http2.ErrCodeHTTP11Required; c++ {
		if strings.EqualFold(c.String(), s) {
			return uint32(c), true
		}
	}
	return 0, false
}

func tempDir(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TMPDIR="); ok && v != "" {
			return v
		}
	}
	return os.TempDir()
}

func randomSecret() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
