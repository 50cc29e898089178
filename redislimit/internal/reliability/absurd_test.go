package reliability

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
	"github.com/b24go/b24/redislimit"
	"github.com/redis/go-redis/v9"
)

// TestAbsurdFiguresRedis: the same classes through redislimit, shared by two
// hooks (two processes) on one Redis, in real time at time scale 1000
// (window 0.6 s): the calls alternate between the hooks, one absurd answer
// pauses the method for both at most a window each, and no operating state
// in Redis expires later than two windows.
func TestAbsurdFiguresRedis(t *testing.T) {
	t.Parallel()
	addr := redisAddr(t)
	prefix := fmt.Sprintf("b24:reltest-absurd:%d:", time.Now().UnixNano())
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(1000), b24test.WithWebhook(1, reltest.Secret),
		b24test.WithSeed(b24test.Seed{Deals: 10, Seed: 1}))
	w := srv.RestrictionParams().Operating.Window
	var hooks []*b24.Hook
	for range 2 {
		lim, err := redislimit.NewFromURL("redis://"+addr+"/0", srv.RestrictionParams().Params, redislimit.WithPrefix(prefix),
			redislimit.WithReservationTTL(w))
		if err != nil {
			t.Fatal(err)
		}
		defer lim.Close()
		hooks = append(hooks, srv.Hook(b24.WithLimiter(lim)))
	}
	k := int(b24test.NumAbsurdFigures)
	srv.FailNext("crm.deal.get", k, b24test.FaultAbsurdFigures)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	checked := 0
	var took time.Duration
	for i := range k + 1 {
		start := time.Now()
		if _, err := hooks[i%2].Call(ctx, "crm.deal.get", map[string]any{"id": 1}); err != nil {
			t.Fatalf("call %d (class %v): %v", i, b24test.AbsurdFigure(i%k), err)
		}
		took += time.Since(start)
		keys, err := c.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range keys {
			checked++
			if ttl := c.PTTL(ctx, key).Val(); ttl == -1 || ttl > 2*w {
				t.Errorf("after class %v: key %s: TTL %v, want at most two windows (%v)", b24test.AbsurdFigure(i%k), key, ttl, 2*w)
			}
		}
	}
	// One window per absurd answer, and slack for a shared machine.
	if bound := time.Duration(k)*w + 3*time.Second; took > bound {
		t.Errorf("%d calls took %v, over %v", k+1, took, bound)
	}
	if keys, err := c.Keys(ctx, prefix+"*").Result(); err == nil && len(keys) > 0 {
		c.Del(context.Background(), keys...)
	}
	reltest.Figures(t, "absurd-figures-redis", map[string]any{"calls": k + 1, "absurd_answers": k, "took_s": took.Seconds(),
		"window_s": w.Seconds(), "ttls_checked": checked})
}
