package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/redislimit"
	"github.com/redis/go-redis/v9"
)

// testRedis is the Redis of the --redis tests: $B24_TEST_REDIS (scripts/test
// starts one), else a redis-server started here when the binary is
// installed; empty when neither is available (testRedisErr says why).
var testRedis, testRedisErr string

func TestMain(m *testing.M) {
	testRedis = os.Getenv("B24_TEST_REDIS")
	var stop func()
	if testRedis == "" {
		if bin, err := exec.LookPath("redis-server"); err != nil {
			testRedisErr = "redis-server is not installed and B24_TEST_REDIS is not set"
		} else if addr, s, err := startRedis(bin); err != nil {
			testRedisErr = err.Error()
		} else {
			testRedis, stop = addr, s
		}
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// startRedis starts a throw-away redis-server on a free loopback port.
func startRedis(bin string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return addr, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("redis-server on %s did not answer", addr)
}

// needRedis returns a client of the test Redis. Without one the test is
// skipped, except in CI, where it fails.
func needRedis(t testing.TB) *redis.Client {
	t.Helper()
	if testRedis == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Redis for the --redis tests in CI: %s", testRedisErr)
		}
		t.Skipf("no Redis: %s (scripts/test starts one)", testRedisErr)
	}
	c := redis.NewClient(&redis.Options{Addr: testRedis})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("test Redis %s: %v", testRedis, err)
	}
	return c
}

// dumpPortalKeys returns every key of the default prefix that belongs to the
// portal at hostport, with its value, one per line.
func dumpPortalKeys(t *testing.T, c *redis.Client, hostport string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	it := c.Scan(ctx, 0, redislimit.DefaultPrefix+"*", 100).Iterator()
	for it.Next(ctx) {
		k := it.Val()
		if !strings.Contains(k, hostport) {
			continue
		}
		typ := c.Type(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = c.Get(ctx, k).Val()
		case "hash":
			v = c.HGetAll(ctx, k).Val()
		case "zset":
			v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
		default:
			v = "(" + typ + ")"
		}
		fmt.Fprintf(&b, "%s %s %v\n", typ, k, v)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPingRedis runs commands through --redis against a real Redis: they
// succeed, the limiter's keys appear under the portal, and no key or value
// holds the webhook's secret.
func TestPingRedis(t *testing.T) {
	c := needRedis(t)
	p := newPortal(t)
	url := "redis://" + testRedis + "/0"
	r := p.run(t, "", "ping", "--redis", url)
	if r.code != exitOK {
		t.Fatalf("ping --redis: exit %d: %s", r.code, r.stderr)
	}
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "--redis", url, "--quiet")
	if r.code != exitOK || strings.Count(r.stdout, "\n") != 500 {
		t.Fatalf("list --redis: exit %d, %d lines: %s", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
	hostport := strings.TrimPrefix(p.s.URL(), "https://")
	dump := dumpPortalKeys(t, c, hostport)
	// The operating states outlive the commands (the bucket's key expires
	// as soon as the bucket is full again: a few ms at this time scale).
	if !strings.Contains(dump, "hash ") || !strings.Contains(dump, ":profile ") {
		t.Fatalf("expected the portal's operating states in Redis, got:\n%s", dump)
	}
	for _, bad := range []string{"s3cr3tS3CR3Tsecr", "/rest/1/"} {
		if strings.Contains(dump, bad) {
			t.Fatalf("Redis holds %q:\n%s", bad, dump)
		}
	}
	if strings.Contains(r.stderr, "s3cr3tS3CR3Tsecr") {
		t.Fatalf("the secret was printed: %s", r.stderr)
	}
	t.Logf("keys of the portal:\n%s", dump)
}

// TestRedisUnavailable: a Redis that does not answer fails the command at
// once (exit 1) unless --redis-fallback is given; a malformed URL is a usage
// error; a password in the URL is never printed.
func TestRedisUnavailable(t *testing.T) {
	p := newPortal(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String() // nothing listens once closed
	ln.Close()
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"redis", []string{"--redis", "redis://user:pa55w0rd@" + dead + "/0"}, exitAPI},
		{"redis_bad_url", []string{"--redis", "http://user:pa55w0rd@" + dead}, exitUsage},
		{"redis_fallback_alone", []string{"--redis-fallback"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := p.run(t, "", append([]string{"ping"}, tt.args...)...)
			goldenRun(t, "ping_"+tt.name+".golden", r, tt.code)
			if strings.Contains(r.stdout+r.stderr, "pa55w0rd") {
				t.Errorf("the Redis password was printed: %q", r.stderr)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("took %v: an unavailable Redis must fail quickly", el)
			}
		})
	}
	r := p.run(t, "", "ping", "--redis", "redis://"+dead+"/0", "--redis-fallback", "--log-level", "warn")
	if r.code != exitOK || !strings.Contains(r.stderr, "local limiter") {
		t.Fatalf("--redis-fallback: exit %d, want 0 and one warning: %s", r.code, r.stderr)
	}
}
