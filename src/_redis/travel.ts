// How Redis objects travel: to a local thread as their kind, name, options
// and connection (its hub and "closed" flag: the thread uses the same I/O
// thread), and inside a value stored in Redis as their kind, name and
// options alone, rebuilt on the connection that reads the value.
import { defineExtension } from "../_codec/codec.ts";
import { describeClass } from "../_locate/locate.ts";
import { describeObject, ownerOfObject, RedisObject } from "./base.ts";
import { decodingWith, storingInRedis } from "./codec.ts";
import {
  connectionOf,
  latestOpened,
  RedisConnection,
  type Travel,
  travelOf,
} from "./connection.ts";
import {
  RedisBoundedSemaphore,
  RedisEvent,
  RedisLock,
  RedisRLock,
  RedisSemaphore,
} from "./locks.ts";
import { RedisLifoQueue, RedisPriorityQueue, RedisQueue } from "./queues.ts";
import {
  RedisSharedList,
  RedisSharedMap,
  RedisSharedValue,
} from "./containers.ts";
import { RedisExecutor } from "./executor.ts";

type Kind = new (
  owner: RedisConnection,
  name: string,
  ...rest: never[]
) => RedisObject;

const KINDS: Record<string, Kind> = {
  lock: RedisLock,
  rlock: RedisRLock,
  semaphore: RedisSemaphore,
  event: RedisEvent,
  queue: RedisQueue,
  lifoqueue: RedisLifoQueue,
  priorityqueue: RedisPriorityQueue,
  value: RedisSharedValue,
  list: RedisSharedList,
  map: RedisSharedMap,
  executor: RedisExecutor,
} as unknown as Record<string, Kind>;

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null &&
    Object.getPrototypeOf(v) === Object.prototype;
}

function rebuildObject(
  state: unknown,
  foreign: boolean,
): RedisObject {
  const s = state as {
    kind?: unknown;
    name?: unknown;
    options?: unknown;
    c?: unknown;
  };
  const kind = typeof s?.kind === "string" && Object.hasOwn(KINDS, s.kind)
    ? KINDS[s.kind]
    : undefined;
  if (
    !(isPlain(state) || state instanceof RedisRef) || kind === undefined ||
    typeof s.name !== "string" || !isPlain(s.options)
  ) {
    throw new TypeError(
      `Cannot rebuild a Redis object: its description is not one this ` +
        `library wrote`,
    );
  }
  let owner: RedisConnection | undefined;
  if (!foreign && state instanceof RedisRef) {
    owner = connectionOf(s.c as Travel);
  } else {
    const reading = decodingWith();
    owner = reading instanceof RedisConnection ? reading : latestOpened();
  }
  if (owner === undefined) {
    throw new TypeError(
      `Cannot rebuild the Redis ${s.kind} "${s.name}": no connection is ` +
        `open in this thread`,
    );
  }
  const o = s.options;
  switch (s.kind) {
    case "semaphore":
      return new (o.bounded === true ? RedisBoundedSemaphore : RedisSemaphore)(
        owner,
        s.name,
        o.value as number,
        o,
      );
    case "value":
    case "list":
    case "map":
      return new kind(owner, s.name);
    default:
      return new (kind as unknown as new (
        owner: RedisConnection,
        name: string,
        options: unknown,
      ) => RedisObject)(owner, s.name, o);
  }
}

/**
 * How a Redis object travels to another thread: as an instance of this
 * exported class, so that a thread which has not loaded this module yet
 * imports it (and its way to rebuild objects) before it decodes one.
 */
export class RedisRef {
  /**
   * Describes an object for another thread.
   *
   * @param kind The object's kind.
   * @param name Its name.
   * @param options Its options.
   * @param c Its connection.
   */
  constructor(
    readonly kind: string,
    readonly name: string,
    readonly options: Record<string, unknown>,
    readonly c: Travel,
  ) {}
}
describeClass(RedisRef, [import.meta.url]);

defineExtension(
  RedisObject,
  (object) => {
    const { kind, name, options } = describeObject(object);
    // Stored in Redis, an object is its name: the reader's connection.
    if (storingInRedis()) return { kind, name, options };
    const owner = ownerOfObject(object);
    return new RedisRef(kind, name, options, travelOf(owner));
  },
  (state, _async, foreign) => rebuildObject(state, foreign),
  { foreign: true, name: "RedisObject" },
);
