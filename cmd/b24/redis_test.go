package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/redislimit"
	"github.com/b24go/b24/redislimit/redistest"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// needRedis returns a client of the test Redis (redislimit/redistest): skipped
// without one, except in CI, where it fails.
func needRedis(t testing.TB) *redis.Client { return redistest.Client(t) }

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
	url := "redis://" + redistest.Addr(t) + "/0"
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
