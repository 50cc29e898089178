package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/b24test"
	"github.com/spf13/pflag"
	"golang.org/x/net/http2"
)

var fakeCommand = &command{
	name:    "fake",
	summary: "run a fake Bitrix24 portal over HTTPS on 127.0.0.1",
	long: `Serves a fake Bitrix24 portal (package b24test) over HTTPS on 127.0.0.1
until interrupted, with seeded CRM data, the portal's limits (request
bucket, operating budget, batch billing) and random faults. It prints the
webhook URLs, the certificate to trust (SSL_CERT_FILE) and the audit URL.
--time-scale K runs it K times faster, limits included: give the same
--time-scale to the b24 commands that talk to it.`,
	example: `  b24 fake --deals 10000 --time-scale 20 --cert-file /tmp/fake.pem
  export B24_WEBHOOK=<the printed webhook> SSL_CERT_FILE=/tmp/fake.pem
  b24 list crm.deal.list --time-scale 20 -o deals.csv

  b24 fake --faults unavailable=0.05,reset=0.01 --http2   # a hostile portal`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		f := registerFake(fs)
		return func(ctx context.Context, args []string) int {
			if len(args) > 0 {
				return c.fail(ctx, usagef("unexpected arguments %q", args))
			}
			opts, err := f.options()
			if err != nil {
				return c.fail(ctx, err)
			}
			return runFake(ctx, c, f, opts)
		}
	},
	values: map[string]valuesFunc{
		"plan":       fixed("standard", "enterprise"),
		"reset-code": fixed("PROTOCOL_ERROR", "REFUSED_STREAM", "CANCEL", "INTERNAL_ERROR"),
	},
}

// fakeFlags are the flags of "b24 fake".
type fakeFlags struct {
	addr, secret, plan, faults, certFile, resetCode string
	seed                                            int64
	deals, leads, contacts, companies, tasks, users int
	userID, burst                                   int
	moreUsers                                       []int // --more-webhooks
	drain, weight, scale                            float64
	opLimit, opWindow, opBan, clockOff              time.Duration
	latSpread                                       float64
	latReq, latRow, latCount, latSkip, latWrite     time.Duration
	perCmd, noLimits, legacy, useH2                 bool
	outbound                                        *fakeOutboundFlags
}

func registerFake(fs *pflag.FlagSet) *fakeFlags {
	f := &fakeFlags{}
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "listen address (loopback only; port 0 picks a free one)")
	fs.Int64Var(&f.seed, "seed", 1, "random seed of the data and of random faults")
	fs.IntVar(&f.deals, "deals", 0, "number of seeded deals (default 500)")
	fs.IntVar(&f.leads, "leads", 0, "number of seeded leads (default 200)")
	fs.IntVar(&f.contacts, "contacts", 0, "number of seeded contacts (default 300)")
	fs.IntVar(&f.companies, "companies", 0, "number of seeded companies (default 100)")
	fs.IntVar(&f.tasks, "tasks", 0, "number of seeded tasks (default 100)")
	fs.IntVar(&f.users, "users", 0, "number of seeded users (default 5)")
	fs.IntVar(&f.userID, "user", 1, "the webhook's user id")
	fs.StringVar(&f.secret, "secret", "", "the webhook's secret (default: random)")
	fs.IntSliceVar(&f.moreUsers, "more-webhooks", nil, "user ids `U,...` of more webhooks on the portal, each acting as its user with a random secret")
	fs.StringVar(&f.plan, "plan", "standard", "plan whose limits apply: standard or enterprise")
	fs.IntVar(&f.burst, "burst", 0, "request bucket size `X` (default: the plan's)")
	fs.Float64Var(&f.drain, "drain", 0, "requests drained a second `Y` (default: the plan's)")
	fs.DurationVar(&f.opLimit, "operating-limit", 0, "operating budget `L` per method (default 480s)")
	fs.DurationVar(&f.opWindow, "operating-window", 0, "operating window `W` (default 600s)")
	fs.BoolVar(&f.perCmd, "batch-per-command", false, "bill batch commands under their own methods instead of \"batch\"")
	fs.Float64Var(&f.weight, "batch-weight", 1, "weight of a batch's time billed under \"batch\" (newer portals: 0.5)")
	fs.DurationVar(&f.opBan, "operating-ban", 0, "refuse a method for this long once it crosses the operating limit, clearing its slots (newer portals: 300s; 0: no ban)")
	fs.BoolVar(&f.noLimits, "no-limits", false, "turn the request bucket and the operating budget off")
	fs.BoolVar(&f.legacy, "legacy-time", false, "write time.start and time.processing as floats (older portals), not integers truncated to the second")
	fs.Float64Var(&f.scale, "time-scale", 1, "time scale `K`: divides every time constant, multiplies the drain rate")
	registerFakeLatency(fs, f)
	fs.StringVar(&f.faults, "faults", "", "random fault rates, e.g. unavailable=0.05,reset=0.01 (names: "+faultNames()+")")
	fs.StringVar(&f.certFile, "cert-file", "", "where to write the certificate PEM (default: a file in the temp dir)")
	fs.BoolVar(&f.useH2, "http2", false, "serve HTTP/2 over TLS too (ALPN h2): the stream-reset and goaway faults are then HTTP/2 frames")
	fs.StringVar(&f.resetCode, "reset-code", "PROTOCOL_ERROR", "HTTP/2 error code of the stream-reset fault: a name (REFUSED_STREAM, CANCEL, ...) or a number")
	f.outbound = registerFakeOutbound(fs) // fake_outbound.go
	return f
}

func registerFakeLatency(fs *pflag.FlagSet, f *fakeFlags) {
	fs.DurationVar(&f.latReq, "latency-request", 20*time.Millisecond, "latency of every call")
	fs.DurationVar(&f.latRow, "latency-row", 50*time.Microsecond, "latency per row returned")
	fs.DurationVar(&f.latCount, "latency-count", 20*time.Microsecond, "latency per row counted (start >= 0)")
	fs.DurationVar(&f.latSkip, "latency-skip", 2*time.Microsecond, "latency per offset row skipped")
	fs.DurationVar(&f.latWrite, "latency-write", 5*time.Millisecond, "latency per record written")
	fs.Float64Var(&f.latSpread, "latency-spread", 0, "σ of a log-normal factor (median 1) on each call's latency: costs that vary (0: none)")
	fs.DurationVar(&f.clockOff, "clock-offset", 0, "the portal's clock this far ahead of the host's (negative: behind)")
}

// limits checks the limit flags and returns the fake's limits.
func (f *fakeFlags) limits() (b24test.Limits, error) {
	if f.plan != "standard" && f.plan != "enterprise" {
		return b24test.Limits{}, usagef("--plan must be standard or enterprise")
	}
	if f.weight <= 0 || math.IsNaN(f.weight) || math.IsInf(f.weight, 0) {
		return b24test.Limits{}, usagef("--batch-weight must be a positive number")
	}
	if f.opBan < 0 {
		return b24test.Limits{}, usagef("--operating-ban must not be negative")
	}
	limits := b24test.PlanLimits(f.plan)
	if f.burst > 0 {
		limits.Burst = f.burst
	}
	if f.drain > 0 {
		limits.Drain = f.drain
	}
	if f.opLimit > 0 {
		limits.OperatingLimit = f.opLimit
	}
	if f.opWindow > 0 {
		limits.OperatingWindow = f.opWindow
	}
	limits.BatchWeight, limits.OperatingBan = f.weight, f.opBan
	limits.BatchPerCommand, limits.Disabled = f.perCmd, f.noLimits
	return limits, nil
}

// options checks the flags and returns the fake's options.
func (f *fakeFlags) options() ([]b24test.Option, error) {
	rates, err := parseFaults(f.faults)
	if err != nil {
		return nil, usagef("--faults: %v", err)
	}
	code, ok := parseH2Code(f.resetCode)
	if !ok {
		return nil, usagef("--reset-code: unknown HTTP/2 error code %q", f.resetCode)
	}
	limits, err := f.limits()
	if err != nil {
		return nil, err
	}
	opts := []b24test.Option{
		b24test.WithAddr(f.addr),
		b24test.WithSeed(b24test.Seed{Seed: f.seed, Deals: f.deals, Leads: f.leads, Contacts: f.contacts,
			Companies: f.companies, Tasks: f.tasks, Users: f.users}),
		b24test.WithLimits(limits),
		b24test.WithTimeScale(f.scale),
		b24test.WithLatency(b24test.Latency{Request: f.latReq, RowReturned: f.latRow, RowCounted: f.latCount,
			RowSkipped: f.latSkip, Write: f.latWrite, Spread: f.latSpread}),
		b24test.WithClockOffset(f.clockOff),
		b24test.WithFaults(b24test.FaultRates{Seed: uint64(f.seed), Rates: rates}),
	}
	if f.legacy {
		opts = append(opts, b24test.WithLegacyTime())
	}
	if f.useH2 {
		opts = append(opts, b24test.WithHTTP2(), b24test.WithResetCode(code))
	}
	if f.secret != "" {
		opts = append(opts, b24test.WithWebhook(f.userID, f.secret))
	} else if f.userID != 1 {
		opts = append(opts, b24test.WithWebhook(f.userID, randomSecret()))
	}
	for _, u := range f.moreUsers {
		if u < 1 || u == f.userID {
			return nil, usagef("--more-webhooks: %d is not a positive user id other than --user's", u)
		}
	}
	o, err := f.outbound.option()
	if err != nil {
		return nil, usagef("%v", err)
	}
	if o != nil {
		opts = append(opts, o)
	}
	return opts, nil
}

// runFake starts the fake, prints where it is and serves until ctx ends.
func runFake(ctx context.Context, c *cli, f *fakeFlags, opts []b24test.Option) int {
	s, err := b24test.Start(opts...)
	if err != nil {
		return c.fail(ctx, err)
	}
	defer s.Close()
	path := f.certFile
	if path == "" {
		path = filepath.Join(tempDir(c.env), fmt.Sprintf("b24-fake-%d.pem", os.Getpid()))
		defer os.Remove(path)
	}
	if err := os.WriteFile(path, s.CertificatePEM(), 0o644); err != nil {
		return c.fail(ctx, fmt.Errorf("writing the certificate: %w", err))
	}
	printFake(c.stdout, s, path)
	for _, u := range f.moreUsers {
		fmt.Fprintf(c.stdout, "%-13s%s\n", fmt.Sprintf("webhook %d:", u), s.AddWebhook(u))
	}
	f.outbound.print(c.stdout, s)
	fmt.Fprintf(c.stdout, "serving until interrupted (SSL_CERT_FILE=%s or NODE_EXTRA_CA_CERTS=%s)\n", path, path)
	<-ctx.Done()
	return exitOK
}

// printFake prints the fake's URLs, certificate and limits.
func printFake(w io.Writer, s *b24test.Server, pem string) {
	l := s.Limits()
	fmt.Fprintf(w, "webhook:     %s\n", s.WebhookURL())
	fmt.Fprintf(w, "webhook v3:  %s\n", s.WebhookV3URL())
	fmt.Fprintf(w, "certificate: %s\n", pem)
	if l.Disabled {
		fmt.Fprintf(w, "limits:      off\n")
	} else {
		fmt.Fprintf(w, "limits:      bucket %d, drain %s/s, operating %s per %s (floor %s), batch billed %s\n",
			l.Burst, strconv.FormatFloat(l.Drain, 'f', -1, 64), l.OperatingLimit, l.OperatingWindow, l.OperatingFloor, billing(l))
	}
	fmt.Fprintf(w, "time scale:  %s\n", strconv.FormatFloat(s.TimeScale(), 'f', -1, 64))
	fmt.Fprintf(w, "audit:       %s%s\n", s.URL(), b24test.AuditPath)
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
