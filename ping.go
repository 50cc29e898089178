package b24

import (
	"context"
	"time"
)

// Ping measures the round trip of the v2 method server.time, limiter waits
// and retries included (the JS SDK's tools.ping, which returns -1 on failure;
// here the error says why).
func (h *Hook) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if _, err := h.v2.Call(ctx, "server.time", nil); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// HealthCheck reports whether the portal answers server.time with a result
// (the JS SDK's tools.healthCheck). When it does not, the error says why.
func (h *Hook) HealthCheck(ctx context.Context) (bool, error) {
	_, err := h.v2.Call(ctx, "server.time", nil)
	return err == nil, err
}
