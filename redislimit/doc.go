// Package redislimit is a limit.Limiter whose budgets live in Redis, so that
// several processes (workers, cron jobs, web handlers, several "b24"
// commands) calling one Bitrix24 portal share its limits instead of each
// spending them as if it were alone.
//
// A portal counts two budgets, whichever process sends the requests: the
// request bucket per portal (Burst requests at once, then Drain a second: 50 and 2,
// or 250 and 5 on Enterprise; over it the portal answers 503
// QUERY_LIMIT_EXCEEDED), and the operating time per webhook credential and
// method (480 s of server time per 600 s; over it 429 OPERATION_TIME_LIMIT).
// The in-memory limiter (limit.New) paces one process;
// this one paces all of them together, with the same rules:
//
//   - the request bucket is a GCRA on Redis's clock, with a burst of Burst-1
//     (one request of headroom for network jitter) and Drain requests a second;
//     after a 503 no burst is left for any process, and the next request
//     waits a full 1/Drain. The shared bucket keeps Burst and Drain whatever the
//     refusals, as if RateLimit.Fixed were set: the in-memory limiter lowers
//     them after repeated 503s because other clients drain the portal's
//     bucket without sharing its limiter, and the processes that share this
//     one are not such clients (give the others the same Redis, or lower Burst
//     and Drain for all). The in-memory fallback adapts as limit.New does;
//   - the operating budget of each (portal, credential hash, method) holds
//     the last figure the portal reported, its reset time, an estimate of one
//     call's cost learnt from successive reports, and a reservation per call
//     in flight; a call waits while the figure plus the reservations reach
//     Limit − Margin, until the reset, after which one call probes; above the
//     adaptive threshold calls are spaced out; after a 429 the method is
//     paused for every process until its reset (Window/60 when unknown).
//     This is the figure-and-reset model; limit.New now follows the portal's
//     slots (docs/limits.md), which this package does not share yet.
//
// Each decision is one Lua script run atomically on the server: one round
// trip to acquire a permit when nothing has to wait, one to release it.
//
// # Use
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	lim, err := redislimit.New(rdb, limit.StandardPlan())
//	if err != nil { ... }
//	hook, err := b24.FromWebhookURL(webhookURL, b24.WithLimiter(lim))
//
// or redislimit.NewFromURL("redis://127.0.0.1:6379/0", params) to open the
// connection too. Every process that shares a portal should use the same
// Redis, key prefix (WithPrefix) and restriction parameters.
//
// # Keys
//
// All keys start with the prefix (DefaultPrefix, "b24:lim:") and carry the
// portal as a hash tag, so the keys of one portal live on one node of a Redis
// Cluster:
//
//	b24:lim:{portal}:r                     the request bucket (a timestamp)
//	b24:lim:{portal}:o:<credential>:<method>  the operating state (a hash)
//	b24:lim:{portal}:f:<credential>:<method>  calls in flight (a sorted set)
//
// The credential is b24.Hook.CredentialHash, never the webhook's secret;
// nothing the limiter writes contains the secret. Every key has an expiry
// (at most the operating window past its reset, never over two windows, or
// the reservation TTL; no key's exceeds a day), so nothing accumulates; a call in flight whose
// process died stops counting after WithReservationTTL. Reports pass
// limit.SaneReport, and the scripts clamp every reset and block to one window
// ahead on the server's clock: one absurd answer pauses a method for at most
// the window.
//
// # When Redis is unavailable
//
// Every round trip is bounded by WithTimeout (1 s by default) and by the
// caller's context, even when the go-redis client ignores context deadlines.
// By default the limiter fails closed: Acquire returns an error wrapping
// ErrUnavailable, and the hook's call fails with it. WithFallback paces with
// a local limit.New instead, logs one warning per outage, and tries
// Redis again every few seconds.
package redislimit
