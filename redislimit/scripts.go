package redislimit

import "github.com/redis/go-redis/v9"

// The Lua scripts run atomically on the Redis server. They are small: the
// operating budgets' model (the slot ledger of internal/opbudget, the same
// as limit.New's) runs in Go, and the scripts only commit a ledger when no
// other process changed it since it was read, and keep the request bucket.
// Bucket times are whole microseconds of the server's clock (TIME, the one
// clock every process shares for the bucket); Lua numbers are doubles,
// exact up to 2^53 µs (285 years), and every number written back is
// formatted with %.0f so that none is rounded.
//
// Keys of one portal share a hash tag ({portal}), so a script touching them
// all runs on one node of a Redis Cluster too:
//
//	KEYS[1]      the request bucket: the GCRA's theoretical arrival time (string)
//	KEYS[1+i]    the operating budget of method i: hash v (version), s (the
//	             ledger and its reservations, JSON: sharedState)
//
// Result codes of the commit script and of an attempt to acquire.
const (
	codeOK         = 0 // admitted: operating reservations made, a unit of the bucket taken
	codeWaitOp     = 1 // an operating budget is full: nothing reserved, wait and ask again
	codeAdaptive   = 2 // reservations made; sleep the adaptive delay, then take the bucket
	codeWaitBucket = 3 // reservations made (if any); the bucket is empty: wait and take again
	codeStale      = 4 // another process changed a budget since it was read: read again
)

// What the commit script does with the bucket.
const (
	bucketNone    = 0
	bucketTake    = 1 // take a unit
	bucketRefused = 2 // a 503: leave no burst
)

const luaCommon = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function num(x) return string.format('%.0f', x) end
-- px formats a TTL in milliseconds: whole, at least 1, at most a day, whatever
-- the figures and parameters it comes from.
local function px(ms) return num(math.max(1, math.min(math.ceil(ms), 86400000))) end

-- GCRA: admit when the theoretical arrival time, advanced by one emission
-- interval T, is at most B intervals ahead of now. Returns 0 when admitted,
-- else the microseconds until a unit is free (nothing is written then).
local function bucket_try(key, now, T, B)
  local tat = tonumber(redis.call('GET', key)) or 0
  if tat < now then tat = now end
  local nt = tat + T
  local allow = nt - B * T
  if allow > now then return math.ceil(allow - now) end
  nt = math.ceil(nt)
  redis.call('SET', key, num(nt), 'PX', px((nt - now) / 1000 + 1))
  return 0
end
`

// commitSrc writes the ledgers of a request's methods when each is still at
// the version the caller read (compare-and-set: the check of recorded + in
// flight + cost ≤ L the caller made in Go holds for the state written), then
// does what it is asked with the bucket.
//
// ARGV: T (µs per request), B (client burst), bucket (bucketNone, bucketTake,
// bucketRefused), TTL of a written ledger in ms, then per method the version
// read (-1: none, just read) and the new state ("" to write nothing).
//
// Returns {code, wait µs, then per method its version and state}: codeStale
// with the current versions and states when any version differs (nothing
// written); else codeOK (or codeWaitBucket with the wait) with the versions
// now stored and empty states. A new key's first version is the server's time
// in µs, so that a key that expired and was made again never matches a
// version read before (no ABA).
const commitSrc = luaCommon + `
local T, B, bucket, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS - 1
local cur, stale = {}, false
for i = 1, n do
  local v = redis.call('HMGET', KEYS[1 + i], 'v', 's')
  cur[i] = {tonumber(v[1]) or 0, v[2] or ''}
  if cur[i][1] ~= tonumber(ARGV[3 + 2*i]) then stale = true end
end
local out = {0, 0}
if stale then
  out[1] = 4
  for i = 1, n do out[#out + 1] = num(cur[i][1]); out[#out + 1] = cur[i][2] end
  return out
end
local now = now_us()
for i = 1, n do
  local s, ver = ARGV[4 + 2*i], cur[i][1]
  if s ~= '' then
    if ver == 0 then ver = now else ver = ver + 1 end
    redis.call('HSET', KEYS[1 + i], 'v', num(ver), 's', s)
    redis.call('PEXPIRE', KEYS[1 + i], px(ttl))
  end
  out[#out + 1] = num(ver); out[#out + 1] = ''
end
if bucket == 1 then
  local w = bucket_try(KEYS[1], now, T, B)
  if w > 0 then out[1], out[2] = 3, w end
elseif bucket == 2 then
  -- 503: no burst is left anywhere; the next request waits a full 1/Y.
  local tat = tonumber(redis.call('GET', KEYS[1])) or 0
  local full = math.ceil(now + B * T)
  if tat < full then
    redis.call('SET', KEYS[1], num(full), 'PX', px((full - now) / 1000 + 1))
  end
end
return out
`

// takeSrc takes one unit of the bucket. ARGV: T, B.
const takeSrc = luaCommon + `
local w = bucket_try(KEYS[1], now_us(), tonumber(ARGV[1]), tonumber(ARGV[2]))
if w > 0 then return {3, w} end
return {0, 0}
`

var (
	commitScript = redis.NewScript(commitSrc)
	takeScript   = redis.NewScript(takeSrc)
)
