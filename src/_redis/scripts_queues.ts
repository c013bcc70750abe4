// The Lua scripts of queues (and of an executor's tasks, which are a queue).
//
// A queue under base key B: B itself holds the ready items' members (a list
// for FIFO "f" and LIFO "l", a sorted set of sort key + id for priority
// "p"), B:items maps an item's id (16 hex digits, from B:seq) to its bytes,
// B:unfinished counts items put and not yet done (Python's unfinished_tasks),
// B:meta holds `shutdown`. A consumer process that takes an item moves its
// member to its own list B:inflight:<consumer>, and keeps its heartbeat
// (score: expiry, server clock) in B:consumers fresh; when a heartbeat
// lapses, the next get() anywhere puts that consumer's items back, first in
// line. Every change publishes on one of the queue's channels, so that each
// process hears only what it waits for: B:ch "p" (an item is there, for
// get()), B:ch:room "g" (one was taken, for put()), B:ch:done "j" (all
// done, for join()), and "s" (shut down) on all three.
import { Script } from "./io_redis.ts";
import { NOW } from "./scripts_locks.ts";

const POP = `
local function pop(B, kind)
  if kind == 'f' then return redis.call('LPOP', B) end
  if kind == 'l' then return redis.call('RPOP', B) end
  local r = redis.call('ZPOPMIN', B)
  return r[1]
end
`;

const REQUEUE = `
local function requeue(B, kind, members)
  if kind == 'f' then
    for i = #members, 1, -1 do redis.call('LPUSH', B, members[i]) end
  elseif kind == 'l' then
    for i = 1, #members do redis.call('RPUSH', B, members[i]) end
  else
    for i = 1, #members do redis.call('ZADD', B, 0, members[i]) end
  end
end
`;

const SIZE = `
local function size(B, kind)
  if kind == 'p' then return redis.call('ZCARD', B) end
  return redis.call('LLEN', B)
end
`;

/**
 * Lua: put(B, kind, item, sort, maxsize, channel, id) puts an item, under
 * `id` (16 hex digits) if given, else the next of B:seq, and announces it
 * on `channel` (unless false: the caller announces a batch once). Returns
 * its id, 0 when the queue is full, -1 when it is shut down.
 */
export const PUT = SIZE + `
local function put(B, kind, item, sort, max, channel, id)
  if redis.call('HEXISTS', B .. ':meta', 'shutdown') == 1 then return -1 end
  if max > 0 and size(B, kind) >= max then return 0 end
  id = id or string.format('%016x', redis.call('INCR', B .. ':seq'))
  redis.call('HSET', B .. ':items', id, item)
  if kind == 'p' then
    redis.call('ZADD', B, 0, sort .. id)
  else
    redis.call('RPUSH', B, id)
  end
  redis.call('INCR', B .. ':unfinished')
  if channel then redis.call('PUBLISH', channel, 'p') end
  return id
end
`;

/**
 * Puts an item (see PUT). KEYS: B. ARGV: kind, item bytes, sort key
 * (priority), maxsize, channel.
 */
export const QUEUE_PUT = new Script(
  "queue_put",
  PUT +
    `return put(KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5])`,
);

/**
 * Lua: take(B, kind, me, visibility, channel) takes an item, first putting
 * back those of consumers whose heartbeat lapsed. Returns {1, member,
 * item}, {0, ms until the next heartbeat lapses or -1} when empty, {-1}
 * when shut down (and, unless immediate, empty). Visibility 0: the item is
 * not tracked.
 */
export const TAKE = NOW + POP + REQUEUE + `
local function take(B, kind, me, visibility, channel)
  local consumers = B .. ':consumers'
  local dead = redis.call('ZRANGEBYSCORE', consumers, '-inf', now, 'LIMIT', 0, 16)
  for _, c in ipairs(dead) do
    local list = B .. ':inflight:' .. c
    local members = redis.call('LRANGE', list, 0, -1)
    requeue(B, kind, members)
    redis.call('DEL', list)
    redis.call('ZREM', consumers, c)
    if #members > 0 then redis.call('PUBLISH', channel, 'p') end
  end
  local shut = redis.call('HGET', B .. ':meta', 'shutdown')
  if shut == 'immediate' then return {-1} end
  local member, item
  repeat
    member = pop(B, kind)
    if member then
      item = redis.call('HGET', B .. ':items', string.sub(member, -16))
    end
  until item or not member
  if not member then
    if shut then return {-1} end
    local first = redis.call('ZRANGE', consumers, 0, 0, 'WITHSCORES')
    if first[2] then return {0, math.max(1, tonumber(first[2]) - now)} end
    return {0, -1}
  end
  if visibility > 0 then
    redis.call('RPUSH', B .. ':inflight:' .. me, member)
    redis.call('ZADD', consumers, now + visibility, me)
  end
  redis.call('PUBLISH', channel .. ':room', 'g')
  return {1, member, item}
end
`;

/**
 * Takes an item (see TAKE). KEYS: B. ARGV: kind, consumer, visibility ms,
 * channel.
 */
export const QUEUE_GET = new Script(
  "queue_get",
  TAKE + `return take(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4])`,
);

/**
 * Marks an item done (Python's task_done): its delivery leaves the
 * consumer's list, and the first to mark it done (of the consumers it may
 * have been delivered to) counts it. KEYS: B. ARGV: consumer, member,
 * channel. Returns the unfinished count left.
 */
export const QUEUE_DONE = new Script(
  "queue_done",
  `
local B = KEYS[1]
redis.call('LREM', B .. ':inflight:' .. ARGV[1], 1, ARGV[2])
if redis.call('HDEL', B .. ':items', string.sub(ARGV[2], -16)) == 1 then
  local left = redis.call('DECR', B .. ':unfinished')
  if left <= 0 then
    if left < 0 then redis.call('SET', B .. ':unfinished', 0) end
    redis.call('PUBLISH', ARGV[3] .. ':done', 'j')
  end
  return math.max(left, 0)
end
return tonumber(redis.call('GET', B .. ':unfinished') or '0')
`,
);

/**
 * Ends the delivery of items this consumer took without marking them done:
 * back first in line (`requeue` "1": an undone get, a closing process) or
 * not (an item that could not be read: it stays counted until task_done).
 * KEYS: B. ARGV: kind, consumer, channel, requeue, then the members.
 */
export const QUEUE_RETURN = new Script(
  "queue_return",
  REQUEUE + `
local B, kind = KEYS[1], ARGV[1]
local list = B .. ':inflight:' .. ARGV[2]
local back = {}
for i = 5, #ARGV do
  if redis.call('LREM', list, 1, ARGV[i]) == 1 then back[#back + 1] = ARGV[i] end
end
if ARGV[4] == '1' and #back > 0 then
  requeue(B, kind, back)
  redis.call('PUBLISH', ARGV[3], 'p')
end
if redis.call('LLEN', list) == 0 then
  redis.call('ZREM', B .. ':consumers', ARGV[2])
end
return #back
`,
);

/**
 * Renews a consumer's heartbeat. KEYS: B. ARGV: kind, consumer, visibility
 * ms, channel, then (to audit, after a get whose reply was lost) the
 * members it knows of: the others in its list go back. Returns 1, or 0
 * when its items were given to others already.
 */
export const QUEUE_RENEW = new Script(
  "queue_renew",
  NOW + REQUEUE + `
local B, kind, me = KEYS[1], ARGV[1], ARGV[2]
local consumers = B .. ':consumers'
if not redis.call('ZSCORE', consumers, me) then return 0 end
redis.call('ZADD', consumers, now + tonumber(ARGV[3]), me)
if #ARGV > 4 then
  local known = {}
  for i = 5, #ARGV do known[ARGV[i]] = true end
  local list = B .. ':inflight:' .. me
  local stray = {}
  for _, m in ipairs(redis.call('LRANGE', list, 0, -1)) do
    if not known[m] then stray[#stray + 1] = m end
  end
  for _, m in ipairs(stray) do redis.call('LREM', list, 1, m) end
  if #stray > 0 then
    requeue(B, kind, stray)
    redis.call('PUBLISH', ARGV[4], 'p')
  end
end
return 1
`,
);

/**
 * Shuts the queue down (Python 3.13's shutdown). KEYS: B. ARGV: kind,
 * "1" if immediate, channel. Immediate: the ready items are dropped and
 * counted done.
 */
export const QUEUE_SHUTDOWN = new Script(
  "queue_shutdown",
  POP + `
local B, kind = KEYS[1], ARGV[1]
local meta = B .. ':meta'
if ARGV[2] == '1' then
  redis.call('HSET', meta, 'shutdown', 'immediate')
  local n = 0
  while true do
    local member = pop(B, kind)
    if not member then break end
    if redis.call('HDEL', B .. ':items', string.sub(member, -16)) == 1 then
      n = n + 1
    end
  end
  if n > 0 then
    local left = redis.call('DECRBY', B .. ':unfinished', n)
    if left <= 0 then
      if left < 0 then redis.call('SET', B .. ':unfinished', 0) end
      redis.call('PUBLISH', ARGV[3] .. ':done', 'j')
    end
  end
elseif redis.call('HGET', meta, 'shutdown') ~= 'immediate' then
  redis.call('HSET', meta, 'shutdown', '1')
end
for _, suffix in ipairs({'', ':room', ':done'}) do
  redis.call('PUBLISH', ARGV[3] .. suffix, 's')
end
return 1
`,
);

/** The number of ready items. KEYS: B. ARGV: kind. */
export const QUEUE_SIZE = new Script(
  "queue_size",
  SIZE + `return size(KEYS[1], ARGV[1])`,
);

/**
 * Takes back an item just put (its caller left meanwhile), if it is still
 * waiting. KEYS: B. ARGV: kind, member. Returns 1 if it was.
 */
export const QUEUE_UNPUT = new Script(
  "queue_unput",
  `
local B, kind, member = KEYS[1], ARGV[1], ARGV[2]
local removed
if kind == 'p' then
  removed = redis.call('ZREM', B, member)
else
  removed = redis.call('LREM', B, -1, member)
end
if removed == 0 then return 0 end
redis.call('HDEL', B .. ':items', string.sub(member, -16))
redis.call('DECR', B .. ':unfinished')
return 1
`,
);
