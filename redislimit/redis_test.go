package redislimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/redis/go-redis/v9"
)

// testRedis is the address of the Redis the tests use: $B24_TEST_REDIS (set
// by scripts/test), or a redis-server this package starts itself when the
// binary is installed. Empty when neither is available.
var (
	testRedis    string
	testRedisErr string
)

func TestMain(m *testing.M) {
	testRedis = os.Getenv("B24_TEST_REDIS")
	var stop func()
	if testRedis == "" {
		if bin, err := exec.LookPath("redis-server"); err == nil {
			addr, s, err := startRedis(bin)
			if err != nil {
				testRedisErr = err.Error()
			} else {
				testRedis, stop = addr, s
			}
		} else {
			testRedisErr = "redis-server is not installed and B24_TEST_REDIS is not set"
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
			t.Fatalf("no Redis for the shared limiter's tests in CI: %s", testRedisErr)
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

// testPrefix is a key prefix of its own for one test, so that tests sharing a
// Redis do not see each other's keys.
func testPrefix(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	return "b24test:" + hex.EncodeToString(b[:]) + ":"
}

// scaled are the Standard plan's limits 100 times faster: drain 200/s, burst
// 50, operating 4.8 s per 6 s window, margin 50 ms, adaptive delay at most 70 ms.
func scaled() b24.RestrictionParams { return b24.StandardPlan().Scaled(100) }

func newTestLimiter(t testing.TB, c redis.UniversalClient, prefix string, p b24.RestrictionParams, opts ...Option) *Limiter {
	t.Helper()
	l, err := New(c, p, append([]Option{WithPrefix(prefix)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// keysUnder lists every key under a prefix.
func keysUnder(t testing.TB, c *redis.Client, prefix string) []string {
	t.Helper()
	var all []string
	iter := c.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		all = append(all, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}
