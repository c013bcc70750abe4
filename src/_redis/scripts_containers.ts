// The Lua scripts of SharedValue, SharedList and SharedMap. A container
// under key K: K itself (a string, a list or a hash of encoded values), and
// K:made, set by the first object ever to use the name, which writes the
// initial contents then (Python's setdefault: later ones leave them).
// Read-modify-write (update) compares and sets: it writes only if the value
// is still the one the function was given, byte for byte, else the caller
// reads and runs its function again.
import { Script } from "./io_redis.ts";

/**
 * Marks a container made, writing its initial contents if it was not.
 * KEYS: K. ARGV: kind ("v", "l", "m"), then the contents (a value; items;
 * field, value pairs).
 */
export const CONTAINER_INIT = new Script(
  "container_init",
  `
if redis.call('SETNX', KEYS[1] .. ':made', '1') == 0 then return 0 end
if #ARGV < 2 then return 1 end
local kind = ARGV[1]
if kind == 'v' then
  redis.call('SET', KEYS[1], ARGV[2])
elseif kind == 'l' then
  for i = 2, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
else
  for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
`,
);

/**
 * Sets a value if it is still `old`. KEYS: K. ARGV: kind, new, "1" if
 * there was an old value ("0": none; "2": whatever is there), old, then
 * the index (list) or field (map).
 * Returns 1 when set, 0 when it changed meanwhile, -1 (list) when the
 * index is outside the list.
 */
export const CONTAINER_CAS = new Script(
  "container_cas",
  `
local kind = ARGV[1]
local current
if kind == 'v' then
  current = redis.call('GET', KEYS[1])
elseif kind == 'l' then
  current = redis.call('LINDEX', KEYS[1], ARGV[5])
  if not current then return -1 end
else
  current = redis.call('HGET', KEYS[1], ARGV[5])
end
if ARGV[3] == '1' then
  if current ~= ARGV[4] then return 0 end
elseif ARGV[3] == '0' and current then
  return 0
end
if kind == 'v' then
  redis.call('SET', KEYS[1], ARGV[2])
elseif kind == 'l' then
  redis.call('LSET', KEYS[1], ARGV[5], ARGV[2])
else
  redis.call('HSET', KEYS[1], ARGV[5], ARGV[2])
end
return 1
`,
);

/**
 * Inserts into a list as Python's list.insert (an index past either end
 * means that end). KEYS: K. ARGV: index, value. Returns the new length.
 */
export const LIST_INSERT = new Script(
  "list_insert",
  `
local n = redis.call('LLEN', KEYS[1])
local i = tonumber(ARGV[1])
if i < 0 then i = math.max(0, i + n) end
if i >= n then return redis.call('RPUSH', KEYS[1], ARGV[2]) end
if i == 0 then return redis.call('LPUSH', KEYS[1], ARGV[2]) end
local tail = redis.call('LRANGE', KEYS[1], i, -1)
redis.call('LTRIM', KEYS[1], 0, i - 1)
redis.call('RPUSH', KEYS[1], ARGV[2])
for _, v in ipairs(tail) do redis.call('RPUSH', KEYS[1], v) end
return n + 1
`,
);

/**
 * Removes a list's item at an index (negative from the end). KEYS: K.
 * ARGV: index, a marker no value equals. Returns {1, value} or {0}
 * outside the list.
 */
export const LIST_REMOVE = new Script(
  "list_remove",
  `
local v = redis.call('LINDEX', KEYS[1], ARGV[1])
if not v then return {0} end
redis.call('LSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LREM', KEYS[1], 1, ARGV[2])
return {1, v}
`,
);

/**
 * Python's setdefault. KEYS: K. ARGV: field, value. Returns the value
 * there now.
 */
export const MAP_SET_DEFAULT = new Script(
  "map_set_default",
  `
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
`,
);
