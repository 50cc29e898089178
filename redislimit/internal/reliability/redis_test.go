package reliability

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
	"github.com/b24go/b24/redislimit"
	"github.com/b24go/b24/redislimit/redistest"
	"github.com/redis/go-redis/v9"
)

// redisAddr returns the Redis the test uses: $B24_TEST_REDIS (scripts/test
// starts one), or a redis-server started for the test (redislimit/redistest).
func redisAddr(t *testing.T) string {
	t.Helper()
	if a := os.Getenv("B24_TEST_REDIS"); a != "" {
		return a
	}
	a, stop, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return a
}

// TestSecretNotInRedis runs adds under faults through a hook whose limiter
// lives in Redis (redislimit), with debug logging, then reads every key the
// limiter stored, names and values: none holds the secret.
func TestSecretNotInRedis(t *testing.T) {
	t.Parallel()
	addr := redisAddr(t)
	prefix := fmt.Sprintf("b24:reltest:%d:", time.Now().UnixNano())
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("redis")
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(100), b24test.WithWebhook(1, reltest.Secret),
		b24test.WithFaults(reltest.SoakFaults(reltest.DefaultSeed, true)))
	lim, err := redislimit.NewFromURL("redis://"+addr+"/0", srv.RestrictionParams().Params, redislimit.WithPrefix(prefix),
		redislimit.WithLogger(leak.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer lim.Close()
	h := srv.Hook(b24.WithLimiter(lim), b24.WithLogger(leak.Logger()))
	ctx := t.Context()
	for i := range 100 {
		_, err := h.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": fmt.Sprint("r", i)}})
		if err != nil {
			leak.Value("error", err)
		}
		if _, err := h.V3().Call(ctx, "tasks.task.list", map[string]any{"select": []string{"id"}}); err != nil {
			leak.Value("error", err)
		}
	}
	leak.Value("limiter", lim)
	leak.Value("stats", h.Stats())
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatalf("the limiter stored nothing under %s", prefix)
	}
	for _, k := range keys {
		leak.Scan("redis key", k)
		dump, err := c.Dump(ctx, k).Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		leak.Scan("redis value of "+k, dump)
	}
	c.Del(context.Background(), keys...)
	t.Logf("%d Redis keys checked", len(keys))
}
