package redislimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/b24go/b24/limit"
	"github.com/b24go/b24/redislimit/redistest"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// needRedis returns a client of the test Redis (redislimit/redistest): skipped
// without one, except in CI, where it fails.
func needRedis(t testing.TB) *redis.Client { return redistest.Client(t) }

// testPrefix is a key prefix of its own for one test, so that tests sharing a
// Redis do not see each other's keys.
func testPrefix(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	return "b24test:" + hex.EncodeToString(b[:]) + ":"
}

// scaled are the Standard plan's limits 100 times faster: drain 200/s, burst
// 50, operating 4.8 s per 6 s window, margin 50 ms, adaptive delay (off) at most 70 ms.
func scaled() limit.Params { return limit.StandardPlan().Scaled(100) }

func newTestLimiter(t testing.TB, c redis.UniversalClient, prefix string, p limit.Params, opts ...Option) *Limiter {
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
