package redislimit

import "github.com/redis/go-redis/v9"

// The Lua scripts run atomically on the Redis server, with the server's clock
// (TIME) as the one clock every process shares. Times and durations are whole
// microseconds; Lua numbers are doubles, exact up to 2^53 µs (285 years), and
// every number written back is formatted with %.0f so that none is rounded.
//
// Keys of one portal share a hash tag ({portal}), so a script touching them
// all runs on one node of a Redis Cluster too:
//
//	KEYS[1]          the request bucket: the GCRA's theoretical arrival time (string)
//	KEYS[2i]         operating state of method i: hash k (known), u (used), r (reset at),
//	                 e (estimate per call), b (blocked until)
//	KEYS[2i+1]       calls in flight for method i: sorted set of tokens scored by expiry
//
// Result codes of acquire and take.
const (
	codeOK         = 0 // admitted: operating reservations made, a unit of the bucket taken
	codeWaitOp     = 1 // an operating budget is full: nothing reserved, wait and ask again
	codeAdaptive   = 2 // reservations made; sleep the adaptive delay, then take the bucket
	codeWaitBucket = 3 // reservations made (if any); the bucket is empty: wait and take again
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

-- op_read reads a method's state, its reset and block at most a window
-- ahead (a state written by an older process may hold any figure).
local function op_read(hkey, zkey, now, window)
  local v = redis.call('HMGET', hkey, 'k', 'u', 'r', 'e', 'b')
  local s = {k = tonumber(v[1]) or 0, u = tonumber(v[2]) or 0, r = tonumber(v[3]) or 0,
             e = tonumber(v[4]) or 0, b = tonumber(v[5]) or 0}
  s.r, s.b = math.min(s.r, now + window), math.min(s.b, now + window)
  -- reservations of calls that never released (a crashed process) expire
  redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now)
  s.n = redis.call('ZCARD', zkey)
  return s
end
`

// acquireSrc checks every billed method's operating budget; when all have
// room it reserves them, computes the adaptive delay, and tries the bucket.
//
// ARGV: T (µs per request), B (client burst), limit, margin, threshold,
// coefficient, max adaptive delay, adaptive disabled (0/1), reservation TTL,
// token, window.
const acquireSrc = luaCommon + `
local now = now_us()
local T, B = tonumber(ARGV[1]), tonumber(ARGV[2])
local limit, margin = tonumber(ARGV[3]), tonumber(ARGV[4])
local thr, coef, maxd = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local adaptive_off = tonumber(ARGV[8])
local ttl, token, window = tonumber(ARGV[9]), ARGV[10], tonumber(ARGV[11])
local n = (#KEYS - 1) / 2
local budget = limit - margin
local states = {}
local wait = 0
for i = 1, n do
  local s = op_read(KEYS[2*i], KEYS[2*i+1], now, window)
  states[i] = s
  local w = 0
  if now < s.b then
    w = s.b - now                                   -- refused (429): blocked until the reset
  elseif s.k == 1 and s.u + s.n * s.e >= budget then
    if s.r ~= 0 and now < s.r then
      w = s.r - now                                 -- full until the reset
    elseif s.n > 0 then
      w = 60000000                                  -- a probe is in flight: its release wakes us
    end                                             -- else: past the reset, this call probes
  end
  if w > wait then wait = w end
end
if wait > 0 then return {1, wait} end
for i = 1, n do
  redis.call('ZADD', KEYS[2*i+1], num(now + math.min(ttl, 86400000000)), token)
  redis.call('PEXPIRE', KEYS[2*i+1], px(ttl / 1000 + 1))
end
local delay = 0
if adaptive_off == 0 and limit > 0 then
  for i = 1, n do
    local s = states[i]
    local frac = s.u / limit
    if s.k == 1 and frac > thr and s.r ~= 0 and now < s.r then
      -- the ramp of b24's adaptiveRamp: 0 at the threshold, 1 at the limit
      local ramp = 1
      if thr < 1 then ramp = math.min(1, (frac - thr) / (1 - thr)) end
      local d = math.floor((s.r - now) * coef * ramp)
      if d > maxd then d = maxd end
      delay = delay + d
    end
  end
end
if delay > 0 then return {2, delay} end
local bw = bucket_try(KEYS[1], now, T, B)
if bw > 0 then return {3, bw} end
return {0, 0}
`

// takeSrc takes one unit of the bucket. ARGV: T, B.
const takeSrc = luaCommon + `
local w = bucket_try(KEYS[1], now_us(), tonumber(ARGV[1]), tonumber(ARGV[2]))
if w > 0 then return {3, w} end
return {0, 0}
`

// releaseSrc frees a permit's reservations and learns from its outcome.
//
// ARGV: token, learn (0: cancelled, nothing to learn), refused (0 none, 1
// rate, 2 operating), refused method, sent (0/1), elapsed, limit, window, T,
// B, then the n method names, then the number of reports and, for each,
// method, operating, reset at (0: unknown).
//
// Reports come through limit.SaneReport; the script clamps every reset and
// block again to the window on the server's clock (a process with a skewed
// clock, or an older one), caps the estimate at window/10, and so the
// state's TTL at twice the window. No TTL of any key exceeds a day (px),
// whatever the parameters (a drain rate of 1e-6, a reservation TTL of years).
//
// It returns, per method, the operating figure now known (-1: none).
const releaseSrc = luaCommon + `
local now = now_us()
local token, learn, refused, rmethod = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local sent, elapsed = tonumber(ARGV[5]), tonumber(ARGV[6])
local limit, window = tonumber(ARGV[7]), tonumber(ARGV[8])
local T, B = tonumber(ARGV[9]), tonumber(ARGV[10])
local n = (#KEYS - 1) / 2
local nrep = tonumber(ARGV[11 + n])
local rbase = 12 + n
local out = {}
local horizon = now + window
local function clamp(t) if t > horizon then return horizon end return t end
for i = 1, n do
  local hkey, zkey, m = KEYS[2*i], KEYS[2*i+1], ARGV[10 + i]
  redis.call('ZREM', zkey, token)
  out[i] = -1
  if learn == 1 then
    local v = redis.call('HMGET', hkey, 'k', 'u', 'r', 'e', 'b')
    local s = {k = tonumber(v[1]) or 0, u = tonumber(v[2]) or 0, r = clamp(tonumber(v[3]) or 0),
               e = tonumber(v[4]) or 0, b = clamp(tonumber(v[5]) or 0)}
    local reported = false
    for j = 0, nrep - 1 do
      if ARGV[rbase + 3*j] == m then
        reported = true
        local op, reset = tonumber(ARGV[rbase + 3*j + 1]), clamp(tonumber(ARGV[rbase + 3*j + 2]))
        -- Answers of parallel calls arrive out of order: a lower figure with
        -- the same reset is an older one; a new reset means time was released.
        if s.k == 0 or op >= s.u or reset ~= s.r then
          if s.k == 1 and op > s.u and reset == s.r then
            local d = op - s.u
            -- quick to rise, slow to fall: a reservation must not be too small
            if d > s.e then s.e = d else s.e = math.floor((3 * s.e + d) / 4) end
          elseif s.k == 0 and op > 0 and s.e == 0 then
            s.e = math.min(op, math.max(elapsed, 1000))
          end
          s.k, s.u, s.r = 1, op, reset
        end
      end
    end
    if not reported and sent == 1 and refused == 0 and elapsed > 0 and s.e == 0 then
      s.e = elapsed
    end
    if s.e > window / 10 then s.e = math.floor(window / 10) end
    if refused == 2 and (rmethod == '' or rmethod == m) then
      local untl = now + math.floor(window / 60)
      if s.r > now then untl = s.r end
      s.b, s.k = untl, 1
      if s.u < limit then s.u = limit end
    end
    if s.k == 1 or s.e > 0 or s.b > now then
      redis.call('HSET', hkey, 'k', num(s.k), 'u', num(s.u), 'r', num(s.r), 'e', num(s.e), 'b', num(s.b))
      local last = math.max(s.r, s.b, now)
      redis.call('PEXPIRE', hkey, px(math.min(last - now + window, 2 * window) / 1000))
    end
    if s.k == 1 then out[i] = s.u end
  end
end
if learn == 1 and refused == 1 then
  -- 503: no burst is left anywhere; the next request waits a full 1/Y.
  local tat = tonumber(redis.call('GET', KEYS[1])) or 0
  local full = math.ceil(now + B * T)
  if tat < full then
    redis.call('SET', KEYS[1], num(full), 'PX', px((full - now) / 1000 + 1))
  end
end
return out
`

var (
	acquireScript = redis.NewScript(acquireSrc)
	takeScript    = redis.NewScript(takeSrc)
	releaseScript = redis.NewScript(releaseSrc)
)
