"""The Lua scripts of the team store: one atomic script per acquisition, each reading the server's ``TIME``
(never a client's clock), so every process sees one timeline.

Layout (all keys of one app registration share the hash tag ``{tenant:app}``, so they live in one slot):
- a sliding-window log per window: a sorted set of ``member -> call time (ms)``;
- the sessions: a sorted set ``hold id -> lease end (ms)`` and a hash ``hold id -> JSON`` (who, which
  machine, which job);
- one key per machine whose value is the hold id, with the lease's TTL (one session per machine).
"""

from __future__ import annotations

from typing import Final

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

#: KEYS: one log per window. ARGV[1]: a unique member; then (limit, window ms) per key.
#: Returns 0 when a call was recorded in every window, else the milliseconds to wait (nothing recorded).
WINDOWS: Final = (
    _NOW
    + """
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  if n >= limit then
    local leaving = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
    local w = tonumber(leaving[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""
)

_PURGE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, h in ipairs(expired) do redis.call('HDEL', KEYS[2], h) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
"""

#: KEYS: sessions zset, holds hash, the machine's key. ARGV: hold id, ttl ms, max sessions, hold JSON, the job id,
#: and '1' when the job's action already exists (a resumed job): then a live hold of the same job by another
#: process (killed) is taken over, and the job is counted even when every slot is held.
#: Returns {'ok', ttl}, {'busy', holder JSON} or {'full', ms until the earliest lease ends}.
ACQUIRE: Final = (
    _NOW
    + _PURGE
    + """
local cur = redis.call('GET', KEYS[3])
if cur == ARGV[1] then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[2]))
  return {'ok', ARGV[2]}
end
if cur then
  if redis.call('ZSCORE', KEYS[1], cur) then
    local info = redis.call('HGET', KEYS[2], cur) or ''
    local ok, d = pcall(cjson.decode, info)
    if ARGV[6] ~= '1' or not ok or type(d) ~= 'table' or d['j'] ~= ARGV[5] then
      return {'busy', info}
    end
    redis.call('ZREM', KEYS[1], cur)
    redis.call('HDEL', KEYS[2], cur)
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
    redis.call('SET', KEYS[3], ARGV[1], 'PX', tonumber(ARGV[2]))
    return {'ok', ARGV[2]}
  end
  redis.call('DEL', KEYS[3])
end
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[3])
if n >= max and ARGV[6] ~= '1' then
  local first = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
  return {'full', string.format('%d', tonumber(first[2]) - now)}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('SET', KEYS[3], ARGV[1], 'PX', tonumber(ARGV[2]))
return {'ok', ARGV[2]}
"""
)

#: KEYS: sessions zset, holds hash, then one machine key per hold. ARGV[1]: ttl ms, then the hold ids.
#: Extends every live hold; returns the ids of the holds that were lost (expired or taken).
RENEW: Final = (
    _NOW
    + """
local ttl = tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV do
  local h = ARGV[i]
  local s = redis.call('ZSCORE', KEYS[1], h)
  if s and tonumber(s) > now and redis.call('GET', KEYS[i + 1]) == h then
    redis.call('ZADD', KEYS[1], 'XX', now + ttl, h)
    redis.call('PEXPIRE', KEYS[i + 1], ttl)
  else
    if s then
      redis.call('ZREM', KEYS[1], h)
      redis.call('HDEL', KEYS[2], h)
    end
    table.insert(lost, h)
  end
end
return lost
"""
)

#: KEYS: sessions zset, holds hash, the machine's key. ARGV[1]: the hold id. Returns 1 when it was held.
RELEASE: Final = """
local had = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return had
"""

#: KEYS: sessions zset, holds hash, the runliveresponse log. ARGV[1]: the rate window in ms.
#: Returns {calls in the window, JSON of every live hold...} (read only).
USAGE: Final = (
    _NOW
    + """
local out = {string.format('%d', redis.call('ZCOUNT', KEYS[3], string.format('(%d', now - tonumber(ARGV[1])), '+inf'))}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', now), '+inf')
for _, h in ipairs(live) do table.insert(out, redis.call('HGET', KEYS[2], h) or '') end
return out
"""
)

ALL: Final = {"windows": WINDOWS, "acquire": ACQUIRE, "renew": RENEW, "release": RELEASE, "usage": USAGE}
