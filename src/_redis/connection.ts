// connect() and the connection: the hub of the URL (started here when it is
// not running yet: its I/O thread is a daemon thread of this library), the
// connection's own "closed" flag in shared memory, and its classes, bound to
// it (`new redis.Lock(name)`). How objects and connections travel to other
// threads: src/_redis/travel.ts.
import { free, heap } from "../_core/heap.ts";
import { loadMessage } from "../_codec/message.ts";
import { checkOptions, describeValue, TIMEOUT_MAX } from "../_core/validate.ts";
import { lockWord, unlockWord, waitWordAsync } from "../_core/wait.ts";
import { Thread } from "../thread.ts";
import { ConnectionError, type ErrorReply, rebuild } from "./errors.ts";
import {
  CLOSING,
  FAILED,
  HUB_BELL,
  HUB_ERROR,
  HUB_GEN,
  HUB_LOCK,
  HUB_OPEN,
  HUB_STATE,
  hubOf,
  hubWords,
  IDLE,
  type Link,
  READY,
  redacted,
  STARTING,
  withDirectory,
} from "./hub.ts";
import { runRedisIO } from "./io.ts";
import { bindLink } from "./base.ts";
import {
  type LeaseOptions,
  RedisBoundedSemaphore,
  RedisEvent,
  RedisLock,
  RedisRLock,
  RedisSemaphore,
} from "./locks.ts";
import {
  type QueueOptions,
  RedisLifoQueue,
  RedisPriorityQueue,
  RedisQueue,
} from "./queues.ts";
import {
  RedisSharedList,
  RedisSharedMap,
  RedisSharedValue,
} from "./containers.ts";
import { type ExecutorOptions, RedisExecutor } from "./executor.ts";
import { serve, type ServeHandle, type ServeOptions } from "./serve.ts";
import type { SharedKey } from "../_codec/key_codec.ts";

/** Options of {@linkcode connect}. */
export interface ConnectOptions {
  /**
   * Prepended (with `:`) to every key this connection's objects use, so
   * that programs sharing a server keep apart.
   *
   * @default {"weft"}
   */
  prefix?: string;
  /**
   * How long connect() waits for the server, and how long a call retries
   * while the server is unreachable (at most its own timeout), in ms.
   *
   * @default {30_000}
   */
  connectTimeout?: number;
}

const DEFAULT_TIMEOUT = 30_000;
const CLOSE_WAIT_MS = 10_000;

/** A connection's identity, as it travels to another thread. */
export interface Travel {
  id: string;
  url: string;
  prefix: string;
  connectTimeout: number;
  hub: number;
  gen: number;
  closed: Int32Array;
}

/** This thread's connections, by id: a connection is one object per thread. */
const known = new Map<string, WeakRef<RedisConnection>>();
/** The connections this thread opened, newest last. */
const opened: RedisConnection[] = [];

let travelOf_!: (c: RedisConnection) => Travel;
let makeConnection!: (t: Travel) => RedisConnection;

/** How a connection travels to another thread. */
export function travelOf(connection: RedisConnection): Travel {
  return travelOf_(connection);
}

/** The connection of travelling state, in this thread. */
export function connectionOf(t: Travel): RedisConnection {
  return known.get(t.id)?.deref() ?? makeConnection(t);
}

/** The connection this thread opened last and has not closed. */
export function latestOpened(): RedisConnection | undefined {
  return opened[opened.length - 1];
}

/**
 * A connection to one Redis server, and the classes of this module bound to
 * it. Made by {@linkcode connect}. Objects are found by name: the same name
 * (under the same prefix) on any process is the same object.
 */
export class RedisConnection {
  readonly #travel: Travel;
  readonly #link: Link;

  /** A Lock: `new redis.Lock(name, { lease })`. */
  readonly Lock: new (name: string, options?: LeaseOptions) => RedisLock;
  /** An RLock: `new redis.RLock(name, { lease })`. */
  readonly RLock: new (name: string, options?: LeaseOptions) => RedisRLock;
  /** A Semaphore: `new redis.Semaphore(name, value, { lease })`. */
  readonly Semaphore: new (
    name: string,
    value?: number,
    options?: LeaseOptions,
  ) => RedisSemaphore;
  /** A BoundedSemaphore: `new redis.BoundedSemaphore(name, value)`. */
  readonly BoundedSemaphore: new (
    name: string,
    value?: number,
    options?: LeaseOptions,
  ) => RedisBoundedSemaphore;
  /** An Event: `new redis.Event(name)`. */
  readonly Event: new (name: string) => RedisEvent;
  /** A FIFO queue: `new redis.Queue(name, { maxsize, visibility })`. */
  readonly Queue: new <T = unknown>(
    name: string,
    options?: QueueOptions,
  ) => RedisQueue<T>;
  /** A LIFO queue. */
  readonly LifoQueue: new <T = unknown>(
    name: string,
    options?: QueueOptions,
  ) => RedisLifoQueue<T>;
  /** A priority queue (natural order: numbers, strings, arrays of them). */
  readonly PriorityQueue: new <T = unknown>(
    name: string,
    options?: QueueOptions,
  ) => RedisPriorityQueue<T>;
  /** A SharedValue: `new redis.SharedValue(name, initial)`. */
  readonly SharedValue: new <T>(name: string, initial?: T) => RedisSharedValue<
    T
  >;
  /** A SharedList: `new redis.SharedList(name, items)`. */
  readonly SharedList: new <T>(
    name: string,
    items?: Iterable<T>,
  ) => RedisSharedList<T>;
  /** A SharedMap: `new redis.SharedMap(name, entries)`. */
  readonly SharedMap: new <K extends SharedKey, V>(
    name: string,
    entries?: Iterable<readonly [K, V]>,
  ) => RedisSharedMap<K, V>;
  /** An Executor: `new redis.Executor(name, { resultTtl, taskLease })`. */
  readonly Executor: new (
    name: string,
    options?: ExecutorOptions,
  ) => RedisExecutor;

  /** Use {@linkcode connect}. */
  private constructor(travel: Travel) {
    this.#travel = travel;
    this.#link = {
      url: travel.url,
      hub: travel.hub,
      gen: travel.gen,
      closed: travel.closed,
      connectTimeout: travel.connectTimeout,
      words: hubWords(travel.hub),
    };
    bindLink(this, this.#link);
    known.set(travel.id, new WeakRef(this));
    // deno-lint-ignore no-this-alias
    const self = this;
    this.Lock = class extends RedisLock {
      constructor(name: string, options?: LeaseOptions) {
        super(self, name, options);
      }
    };
    this.RLock = class extends RedisRLock {
      constructor(name: string, options?: LeaseOptions) {
        super(self, name, options);
      }
    };
    this.Semaphore = class extends RedisSemaphore {
      constructor(name: string, value?: number, options?: LeaseOptions) {
        super(self, name, value, options);
      }
    };
    this.BoundedSemaphore = class extends RedisBoundedSemaphore {
      constructor(name: string, value?: number, options?: LeaseOptions) {
        super(self, name, value, options);
      }
    };
    this.Event = class extends RedisEvent {
      constructor(name: string) {
        super(self, name);
      }
    };
    this.Queue = class<T> extends RedisQueue<T> {
      constructor(name: string, options?: QueueOptions) {
        super(self, name, options);
      }
    };
    this.LifoQueue = class<T> extends RedisLifoQueue<T> {
      constructor(name: string, options?: QueueOptions) {
        super(self, name, options);
      }
    };
    this.PriorityQueue = class<T> extends RedisPriorityQueue<T> {
      constructor(name: string, options?: QueueOptions) {
        super(self, name, options);
      }
    };
    this.SharedValue = class<T> extends RedisSharedValue<T> {
      constructor(name: string, initial?: T) {
        super(self, name, initial);
      }
    };
    this.SharedList = class<T> extends RedisSharedList<T> {
      constructor(name: string, items?: Iterable<T>) {
        super(self, name, items);
      }
    };
    this.SharedMap = class<K extends SharedKey, V>
      extends RedisSharedMap<K, V> {
      constructor(name: string, entries?: Iterable<readonly [K, V]>) {
        super(self, name, entries);
      }
    };
    this.Executor = class extends RedisExecutor {
      constructor(name: string, options?: ExecutorOptions) {
        super(self, name, options);
      }
    };
  }

  static {
    travelOf_ = (c) => c.#travel;
    makeConnection = (t) => new RedisConnection(t);
  }

  /** The key prefix of this connection's objects. */
  get prefix(): string {
    return this.#travel.prefix;
  }

  /** The server's URL, its password masked. */
  get url(): string {
    return redacted(this.#travel.url);
  }

  /** Whether {@linkcode close} was called (in any thread). */
  get closed(): boolean {
    return Atomics.load(this.#travel.closed, 0) !== 0;
  }

  /**
   * Runs tasks submitted to the Executor named `executorName` (from any
   * process) in `maxWorkers` threads of this process, until stopped or the
   * process ends. A worker runs only functions exported by the modules in
   * `modules`; any other task fails, saying so. Resolves once the workers
   * are ready.
   *
   * @param executorName The executor's name.
   * @param options How many threads, and the modules they may run.
   * @returns A handle that stops serving.
   */
  serve(executorName: string, options: ServeOptions): Promise<ServeHandle> {
    return serve(this, executorName, options);
  }

  /**
   * Closes the connection: from now on every call of its objects, in any
   * thread, throws ConnectionError. When it is the process's last open
   * connection to its URL, what the process holds there is given back
   * (locks and semaphore units released, items taken and not acknowledged
   * delivered again) and the I/O thread ends.
   *
   * @returns When done.
   */
  async close(): Promise<void> {
    const t = this.#travel;
    if (Atomics.exchange(t.closed, 0, 1) !== 0) return;
    const at = opened.indexOf(this);
    if (at >= 0) opened.splice(at, 1);
    const w = this.#link.words;
    const last = withDirectory(() => {
      if (Atomics.load(w, HUB_GEN) !== t.gen) return false;
      if (Atomics.sub(w, HUB_OPEN, 1) !== 1) return false;
      lockWord(w, HUB_LOCK, Infinity);
      Atomics.store(w, HUB_STATE, CLOSING);
      unlockWord(w, HUB_LOCK);
      Atomics.add(w, HUB_BELL, 1);
      Atomics.notify(w, HUB_BELL);
      return true;
    });
    if (!last) return;
    const deadline = performance.now() + CLOSE_WAIT_MS;
    while (
      Atomics.load(w, HUB_GEN) === t.gen &&
      Atomics.load(w, HUB_STATE) === CLOSING &&
      performance.now() < deadline
    ) {
      await waitWordAsync(w, HUB_STATE, CLOSING, performance.now() + 100);
    }
  }

  /**
   * `await using redis = await connect(url)` closes it at the end of the
   * block.
   *
   * @returns When closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function checkUrl(url: unknown): string {
  const text = url instanceof URL ? url.href : url;
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot connect: the URL must be a string or URL, received ${
        describeValue(url)
      }`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new TypeError(`Cannot connect: "${text}" is not a URL`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new TypeError(
      `Cannot connect: the URL must start with redis:// or rediss:// ` +
        `(TLS), received ${redacted(text)}`,
    );
  }
  return text;
}

/**
 * Connects to Redis (or Valkey) at `url`: `redis://[user:password@]host:port`
 * or `rediss://` for TLS. The first connection to a URL in the process
 * starts its I/O thread (a daemon thread that owns the network
 * connections); later ones, in any thread, share it.
 *
 * @param url The server.
 * @param options The key prefix and the connect timeout.
 * @returns The connection.
 * @throws {AuthenticationError} (rejects) The server refused the
 * credentials.
 * @throws {ConnectionError} (rejects) The server cannot be reached.
 * @throws {TypeError} (rejects) A malformed URL or option.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379", { prefix: "app" });
 * const jobs = new redis.Queue<string>("jobs");
 * jobs.put("hello");
 * console.log(jobs.get());
 * jobs.taskDone();
 * ```
 */
export async function connect(
  url: string | URL,
  options?: ConnectOptions,
): Promise<RedisConnection> {
  const text = checkUrl(url);
  const opts = checkOptions(options) ?? {};
  const prefix = opts.prefix ?? "weft";
  if (typeof prefix !== "string") {
    throw new TypeError(
      `Cannot connect: prefix must be a string, received ${
        describeValue(prefix)
      }`,
    );
  }
  const connectTimeout = opts.connectTimeout ?? DEFAULT_TIMEOUT;
  if (
    typeof connectTimeout !== "number" || Number.isNaN(connectTimeout)
  ) {
    throw new TypeError(
      `Cannot connect: connectTimeout must be a number, received ${
        describeValue(connectTimeout)
      }`,
    );
  }
  if (connectTimeout <= 0 || connectTimeout > TIMEOUT_MAX) {
    throw new RangeError(
      `Cannot connect: connectTimeout must be from 1 to ${TIMEOUT_MAX} ms, ` +
        `received ${connectTimeout}`,
    );
  }
  for (;;) {
    const { hub, start, busy } = withDirectory((dir) => {
      const hub = hubOf(dir, text);
      const w = hubWords(hub);
      const state = Atomics.load(w, HUB_STATE);
      if (state === IDLE) {
        Atomics.add(w, HUB_GEN, 1);
        Atomics.store(w, HUB_OPEN, 1);
        Atomics.store(w, HUB_STATE, STARTING);
        return { hub, start: true, busy: false };
      }
      if (state === STARTING || state === READY) {
        Atomics.add(w, HUB_OPEN, 1);
        return { hub, start: false, busy: false };
      }
      return { hub, start: false, busy: true };
    });
    const w = hubWords(hub);
    if (busy) {
      // Closing, or a failed start whose callers have yet to read why.
      await waitWordAsync(
        w,
        HUB_STATE,
        Atomics.load(w, HUB_STATE),
        performance.now() + 20,
      );
      continue;
    }
    const gen = Atomics.load(w, HUB_GEN);
    if (start) startIO(hub, text, connectTimeout);
    await settled(w, connectTimeout);
    const state = Atomics.load(w, HUB_STATE);
    if (state === READY && Atomics.load(w, HUB_GEN) === gen) {
      const connection = makeConnection({
        id: crypto.randomUUID(),
        url: text,
        prefix,
        connectTimeout,
        hub,
        gen,
        closed: new Int32Array(new SharedArrayBuffer(4)),
      });
      opened.push(connection);
      return connection;
    }
    throw failure(hub, w, gen, text);
  }
}

function startIO(hub: number, url: string, connectTimeout: number): void {
  const host = (() => {
    const u = new URL(url);
    return u.host;
  })();
  try {
    new Thread({
      target: runRedisIO,
      args: [hub, url, connectTimeout],
      module: new URL("./io.ts", import.meta.url),
      name: `RedisIO (${host})`,
      daemon: true,
    }).start();
  } catch (error) {
    withDirectory(() => {
      const w = hubWords(hub);
      Atomics.store(w, HUB_STATE, FAILED);
      Atomics.notify(w, HUB_STATE);
    });
    throw error;
  }
}

/** Waits until a starting hub is ready or failed (or time is up). */
async function settled(w: Int32Array, connectTimeout: number): Promise<void> {
  // The I/O thread itself gives up after connectTimeout; the margin covers
  // its start.
  const deadline = performance.now() + connectTimeout + 10_000;
  while (
    Atomics.load(w, HUB_STATE) === STARTING && performance.now() < deadline
  ) {
    await waitWordAsync(w, HUB_STATE, STARTING, performance.now() + 100);
  }
}

/** The error of a start that failed; the last caller to read it resets. */
function failure(
  hub: number,
  w: Int32Array,
  gen: number,
  url: string,
): Error {
  return withDirectory(() => {
    const i32 = heap().i32;
    let error: Error;
    if (
      Atomics.load(w, HUB_GEN) === gen &&
      Atomics.load(w, HUB_STATE) === FAILED && i32[hub + HUB_ERROR] !== 0
    ) {
      error = rebuild(loadMessage(i32[hub + HUB_ERROR], false) as ErrorReply);
    } else {
      error = new ConnectionError(
        `Cannot connect to Redis at ${redacted(url)}: no answer in time`,
      );
    }
    if (Atomics.load(w, HUB_GEN) === gen && Atomics.sub(w, HUB_OPEN, 1) === 1) {
      const message = heap().i32[hub + HUB_ERROR];
      heap().i32[hub + HUB_ERROR] = 0;
      if (message !== 0) free(message);
      if (Atomics.load(w, HUB_STATE) === FAILED) {
        Atomics.store(w, HUB_STATE, IDLE);
        Atomics.notify(w, HUB_STATE);
      }
    }
    return error;
  });
}

// Objects travel by name (src/_redis/travel.ts defines how).
import "./travel.ts";
