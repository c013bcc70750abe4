// The Lua scripts of locks, semaphores and events: each runs atomically in
// Redis, on the server's clock (TIME), so that no two processes' clocks are
// ever compared. Key layout: see the README ("Key layout").
import { Script } from "./io_redis.ts";

/** Milliseconds on the server's clock. */
export const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Takes a lock. KEYS: the lock (a hash: owner, count, fence), its fence
 * counter. ARGV: owner token, lease ms, "1" if re-entrant. Returns
 * {1, fence} when taken (a re-entrant owner counts one more), else {0, ms
 * left of the holder's lease}. A retry of the same attempt (same token)
 * after a lost reply finds the lock its own.
 */
export const LOCK_ACQUIRE = new Script(
  "lock_acquire",
  `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  local fence = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'count', 1, 'fence', fence)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, fence}
end
if owner == ARGV[1] then
  if ARGV[3] == '1' then
    redis.call('HINCRBY', KEYS[1], 'count', 1)
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
  end
  return {1, tonumber(redis.call('HGET', KEYS[1], 'fence'))}
end
return {0, redis.call('PTTL', KEYS[1])}
`,
);

/**
 * Releases a lock held by `owner`. KEYS: the lock. ARGV: owner, "1" if
 * re-entrant, the channel. Returns the count left (0: released, published
 * "r"), -1 when another owner holds it, -2 when nobody does.
 */
export const LOCK_RELEASE = new Script(
  "lock_release",
  `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return -2 end
if owner ~= ARGV[1] then return -1 end
if ARGV[2] == '1' then
  local left = redis.call('HINCRBY', KEYS[1], 'count', -1)
  if left > 0 then return left end
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[3], 'r')
return 0
`,
);

/**
 * Renews a lock's lease while `owner` holds it. KEYS: the lock. ARGV:
 * owner, lease ms. Returns 1, or 0 when the lease was lost.
 */
export const LOCK_RENEW = new Script(
  "lock_renew",
  `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`,
);

/**
 * Takes a semaphore unit. KEYS: the holders (a sorted set: unit token ->
 * expiry), the capacity. ARGV: token, lease ms, initial value (written
 * when there is no capacity yet). Returns {1, 0} when taken, else {0, ms
 * until the earliest lease ends}.
 */
export const SEM_ACQUIRE = new Script(
  "sem_acquire",
  NOW + `
local cap = redis.call('GET', KEYS[2])
if not cap then
  redis.call('SET', KEYS[2], ARGV[3])
  cap = ARGV[3]
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1, 0} end
if redis.call('ZCARD', KEYS[1]) < tonumber(cap) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(first[2]) - now)}
`,
);

/**
 * Releases semaphore units. KEYS: the holders. ARGV: the channel, then the
 * tokens. Returns how many were still held (each published "r").
 */
export const SEM_RELEASE = new Script(
  "sem_release",
  NOW + `
local n = 0
for i = 2, #ARGV do
  local expiry = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if expiry and tonumber(expiry) > now then n = n + 1 end
  redis.call('ZREM', KEYS[1], ARGV[i])
end
if n > 0 then redis.call('PUBLISH', ARGV[1], 'r') end
return n
`,
);

/**
 * Renews units' leases. KEYS: the holders. ARGV: lease ms, then the
 * tokens. Returns, per token, 1 if renewed or 0 if its lease was lost.
 */
export const SEM_RENEW = new Script(
  "sem_renew",
  NOW + `
local out = {}
for i = 2, #ARGV do
  local expiry = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if expiry and tonumber(expiry) > now then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
    out[#out + 1] = 1
  else
    redis.call('ZREM', KEYS[1], ARGV[i])
    out[#out + 1] = 0
  end
end
return out
`,
);

/**
 * The free units. KEYS: the holders, the capacity. ARGV: initial value.
 */
export const SEM_VALUE = new Script(
  "sem_value",
  NOW + `
local cap = redis.call('GET', KEYS[2]) or ARGV[1]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return tonumber(cap) - redis.call('ZCARD', KEYS[1])
`,
);

/** Sets an event. KEYS: the event. ARGV: the channel. */
export const EVENT_SET = new Script(
  "event_set",
  `
redis.call('SET', KEYS[1], '1')
redis.call('PUBLISH', ARGV[1], 's')
return 1
`,
);
