// Package redistest gives tests a real Redis (test support, like
// net/http/httptest; redislimit's and the CLI's tests use it): the one the
// test command starts ($B24_TEST_REDIS, see scripts/test), or a throw-away
// redis-server on a free loopback port. Without either, a test is skipped on
// a developer's machine and fails in CI ($CI set): no mock Redis stands in.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	addr   string // the test Redis, set by Main
	reason string // why there is none
)

// Main runs a package's tests with a test Redis and returns their exit code;
// call it from TestMain: os.Exit(redistest.Main(m)). A redis-server it
// starts is stopped when the tests end.
func Main(m *testing.M) int {
	addr = os.Getenv("B24_TEST_REDIS")
	var stop func()
	if addr == "" {
		a, s, err := Start()
		if err != nil {
			reason = err.Error()
		} else {
			addr, stop = a, s
		}
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	return code
}

// Start starts a throw-away redis-server (no persistence) on a free loopback
// port and waits until it answers. stop kills it.
func Start() (address string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errors.New("redis-server is not installed and B24_TEST_REDIS is not set (bash scripts/test installs and starts one)")
	}
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
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	address = "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: address})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return address, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("redis-server on %s did not answer", address)
}

// Addr returns the address of the test Redis set up by Main. Without one the
// test is skipped, except in CI, where it fails.
func Addr(t testing.TB) string {
	t.Helper()
	if addr == "" {
		why := reason
		if why == "" {
			why = "redistest.Main was not called from TestMain"
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("no Redis for the tests in CI: %s", why)
		}
		t.Skipf("no Redis: %s", why)
	}
	return addr
}

// Client returns a client of the test Redis (see Addr), closed when the
// test ends; it fails the test when the Redis does not answer.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	a := Addr(t)
	c := redis.NewClient(&redis.Options{Addr: a})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("test Redis %s: %v", a, err)
	}
	return c
}
