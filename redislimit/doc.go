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
//   - the operating budget of each (portal, credential hash, method) is the
//     slot ledger of limit.New (docs/limits.md), kept once in Redis for all
//     processes: the time spent in each slot of Window/10 of the portal's
//     clock, the reservation of every call in flight in any process (each
//     with an expiry, WithReservationTTL, so that a process that died frees
//     its calls), the cost of a call (per command: limit.Request.Units)
//     learnt from the changes of the figures, others' spend, the last
//     figure and its reset. A call goes while recorded + in flight + its
//     cost ≤ Limit − Margin, and waits until the slots that make room
//     expire; after a 429 the method is paused for every process until its
//     reset (or the next slot). Each process measures the portal's clock
//     itself. Above the adaptive threshold calls are spaced out. The
//     Limiter implements limit.Fitter, so a list sized to the budget left
//     sees every process's spend.
//
// The ledger's decisions run in Go (the same code as limit.New's); a small
// Lua script commits a ledger only when no process changed it since it was
// read (a version per key, compare-and-set), and takes a unit of the bucket
// in the same round trip. A process that lost the race reads the new state
// and decides again; within a process, calls on one budget take turns, so
// only processes contend. When nothing has to wait and this process wrote
// the budget last, acquiring a permit is one round trip, and so is
// releasing it; otherwise one more to read the budget.
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
//	b24:lim:{portal}:r                        the request bucket (a timestamp)
//	b24:lim:{portal}:o:<credential>:<method>  the operating budget (a hash: v, its
//	                                          version; s, its ledger and calls in
//	                                          flight as JSON)
//
// The credential is b24.Hook.CredentialHash, never the webhook's secret;
// nothing the limiter writes contains the secret. Every key has an expiry
// (the bucket's until it is full again, a budget's two windows or its
// reservation TTL after its last write; no key's exceeds a day), so nothing
// accumulates; a call in flight whose process died stops counting after
// WithReservationTTL (all processes should use the same). Reports pass
// limit.SaneReport; a stored budget is read with every time clamped (a
// block, probe or reset at most a window ahead, a slot at most two ahead, a
// reservation at most the TTL), so one absurd answer or a faulty process
// pauses a method for at most the window.
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
