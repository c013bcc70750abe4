// The Lua scripts of an Executor. Its tasks are a FIFO queue under base key
// B (see src/_redis/scripts_queues.ts), whose taken items are renewed by
// the worker process for `taskLease` ms (B:config holds the executor's
// taskLease), so a task whose worker dies runs again elsewhere. A result
// lives at B:result:<id> for `resultTtl` ms, and is published on the
// results channel as "d" + id + outcome; "r" + id says a worker started it.
import { Script } from "./io_redis.ts";
import { PUT, TAKE } from "./scripts_queues.ts";

/**
 * Submits tasks under the ids their submitter chose (so that a result,
 * which may come before this script's answer, finds its future). KEYS: B.
 * ARGV: taskLease ms, queue channel, then id, task bytes pairs.
 */
export const EXEC_SUBMIT = new Script(
  "exec_submit",
  PUT + `
redis.call('HSET', KEYS[1] .. ':config', 'taskLease', ARGV[1])
for i = 3, #ARGV, 2 do
  put(KEYS[1], 'f', ARGV[i + 1], '', 0, false, ARGV[i])
end
redis.call('PUBLISH', ARGV[2], 'p')
return 1
`,
);

/**
 * Lua: finish(B, me, member, outcome, ttl, results) stores and publishes a
 * task's outcome, and ends its delivery.
 */
const FINISH = `
local function finish(B, me, member, outcome, ttl, results)
  local id = string.sub(member, -16)
  redis.call('LREM', B .. ':inflight:' .. me, 1, member)
  if redis.call('HDEL', B .. ':items', id) == 1 then
    redis.call('DECR', B .. ':unfinished')
  end
  redis.call('SET', B .. ':result:' .. id, outcome, 'PX', ttl)
  redis.call('PUBLISH', results, 'd' .. id .. outcome)
end
`;

/**
 * A worker's step: finishes its last task, if it names one, then takes the
 * next. KEYS: B. ARGV: consumer, queue channel, results channel, then
 * optionally member, outcome bytes, resultTtl ms. Returns as TAKE, with the
 * task lease fourth.
 */
export const EXEC_NEXT = new Script(
  "exec_next",
  TAKE + FINISH + `
if #ARGV > 3 then
  finish(KEYS[1], ARGV[1], ARGV[4], ARGV[5], ARGV[6], ARGV[3])
end
local lease = tonumber(redis.call('HGET', KEYS[1] .. ':config', 'taskLease') or '30000')
local r = take(KEYS[1], 'f', ARGV[1], lease, ARGV[2])
if r[1] == 1 then
  redis.call('PUBLISH', ARGV[3], 'r' .. string.sub(r[2], -16))
  r[4] = lease
end
return r
`,
);

/**
 * Finishes a task (see FINISH). KEYS: B. ARGV: consumer, member, outcome
 * bytes, resultTtl ms, results channel.
 */
export const EXEC_FINISH = new Script(
  "exec_finish",
  FINISH +
    `finish(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) return 1`,
);

/**
 * Withdraws a task not started yet (its future was cancelled). KEYS: B.
 * ARGV: id. Returns 1 if it was still waiting.
 */
export const EXEC_CANCEL = new Script(
  "exec_cancel",
  `
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[1] .. ':items', ARGV[1])
  redis.call('DECR', KEYS[1] .. ':unfinished')
  return 1
end
return 0
`,
);
