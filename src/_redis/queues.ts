// Queue, LifoQueue and PriorityQueue on Redis: Python's `queue` methods,
// each a request to the connection's I/O thread (src/_redis/io_queues.ts),
// items encoded and decoded here, in the caller's thread (whose classes
// they are).
import type { RedisConnection } from "./connection.ts";
import {
  type AcquireOptions,
  acquireTimeout,
  type AsyncAcquireOptions,
  checkInteger,
  checkOptions,
  describeValue,
  liveSignal,
} from "../_core/validate.ts";
import {
  checkMs,
  optionsObject,
  RedisObject,
  send,
  sendAndForget,
  sendAsync,
} from "./base.ts";
import { fromRedis, toRedis } from "./codec.ts";
import { sortKey } from "./priority.ts";

/** Options of a Redis queue. */
export interface QueueOptions {
  /**
   * Python's maxsize: put() waits while this many items are ready (taken
   * items not yet marked done do not count); 0: no bound. Each object
   * enforces its own, across processes.
   *
   * @default {0}
   */
  maxsize?: number;
  /**
   * How long an item taken by a process that stops renewing its hold (it
   * died, or lost its connection) stays with it before it is delivered
   * again, in ms. 0: an item is done with as soon as it is taken (at most
   * once).
   *
   * @default {60_000}
   */
  visibility?: number;
}

const DEFAULT_VISIBILITY = 60_000;
const NO_SORT = new Uint8Array(0);

/** What a get() answers: the item's member and bytes. */
type Got = [string, Uint8Array];

/**
 * Python's `queue.Queue` across processes: first in, first out. Each item is
 * delivered at least once: an item taken by a process that dies before
 * `taskDone()` is delivered again after `visibility` ms.
 *
 * `taskDone()` marks done the earliest item this object got in this thread
 * and has not marked yet (Python's pairing, one per get). An item this
 * thread cannot decode (written by another program, or of a class whose
 * module this process has not loaded) makes get() throw a TypeError whose
 * `value` is its data; the item leaves the queue all the same (it still
 * counts for taskDone and join, like any other).
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const jobs = new redis.Queue<{ id: number }>("jobs", { visibility: 60_000 });
 * jobs.put({ id: 1 });
 * const job = jobs.get();
 * jobs.taskDone();
 * ```
 */
export class RedisQueue<T = unknown> extends RedisObject {
  readonly #kind: string;
  readonly #maxsize: number;
  readonly #visibility: number;
  /** Members got and not yet marked done, oldest first. */
  readonly #got: string[] = [];

  /**
   * Names a queue.
   *
   * @param owner The connection.
   * @param name Its name.
   * @param options maxsize and visibility.
   */
  constructor(owner: RedisConnection, name: string, options?: QueueOptions) {
    const opts = optionsObject(options);
    if ("compare" in opts) {
      throw new TypeError(
        "Cannot order a Redis PriorityQueue with a compare function: it " +
          "orders items by their natural order only (put [priority, data])",
      );
    }
    const maxsize = checkInteger(
      opts.maxsize ?? 0,
      "maxsize",
      -0x80000000,
    );
    const visibility = opts.visibility === undefined
      ? DEFAULT_VISIBILITY
      : checkMs(opts.visibility, "visibility", 0);
    const kind = new.target.prototype instanceof RedisPriorityQueue ||
        new.target === RedisPriorityQueue
      ? "p"
      : new.target.prototype instanceof RedisLifoQueue ||
          new.target === RedisLifoQueue
      ? "l"
      : "f";
    super(
      owner,
      kind === "p" ? "priorityqueue" : kind === "l" ? "lifoqueue" : "queue",
      name,
      { maxsize, visibility },
    );
    this.#kind = kind;
    this.#maxsize = Math.max(0, maxsize);
    this.#visibility = visibility;
  }

  /** Python's maxsize (0: unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  #putFields(item: T, blocking: boolean): Record<string, unknown> {
    return {
      kind: this.#kind,
      item: toRedis(item, "item"),
      sort: this.#kind === "p" ? sortKey(item) : NO_SORT,
      maxsize: this.#maxsize,
      blocking,
    };
  }

  /**
   * Puts an item, blocking the calling thread while the queue is full.
   *
   * @param item The item (encoded: data, instances of exported classes,
   * Redis objects by name).
   * @param options `blocking: false` or a `timeout` (ms) raise QueueFull
   * instead of waiting longer.
   * @throws {QueueFull} No room in time.
   * @throws {QueueShutDown} The queue is shut down.
   * @throws {TypeError} An item that cannot be stored.
   * @throws {ConnectionError} Redis could not be reached in time.
   */
  put(item: T, options?: AcquireOptions): void {
    const timeout = acquireTimeout(options);
    send(this, "queue.put", this.#putFields(item, timeout !== 0), timeout);
  }

  /**
   * {@linkcode put} without blocking the event loop.
   *
   * @param item The item.
   * @param options As put's, plus an AbortSignal.
   * @returns When put.
   */
  async putAsync(item: T, options?: AsyncAcquireOptions): Promise<void> {
    const timeout = acquireTimeout(options);
    const signal = liveSignal(options?.signal);
    await sendAsync(
      this,
      "queue.put",
      this.#putFields(item, timeout !== 0),
      timeout,
      signal,
    );
  }

  /**
   * Puts an item if there is room now.
   *
   * @param item The item.
   * @throws {QueueFull} The queue is full.
   */
  putNowait(item: T): void {
    this.put(item, { blocking: false });
  }

  #getFields(blocking: boolean): Record<string, unknown> {
    return { kind: this.#kind, visibility: this.#visibility, blocking };
  }

  /** Decodes what get() answered, or hands the item back as an error. */
  #item(got: Got): T {
    const [member, bytes] = got;
    this.#got.push(member);
    try {
      return fromRedis(
        bytes,
        `an item of queue ${this.name}`,
        ownerOf(this),
        true,
      ) as T;
    } catch (error) {
      // Unreadable here: it must not come back to anyone, nor stay taken.
      send(this, "queue.unreadable", { kind: this.#kind, member });
      throw error;
    }
  }

  /**
   * Takes an item, blocking the calling thread until one is ready.
   *
   * @param options `blocking: false` or a `timeout` (ms) raise QueueEmpty
   * instead of waiting longer.
   * @returns The item.
   * @throws {QueueEmpty} No item in time.
   * @throws {QueueShutDown} The queue is shut down (and empty).
   * @throws {TypeError} An item this thread cannot read (its data in
   * `error.value`).
   * @throws {ConnectionError} Redis could not be reached in time.
   */
  get(options?: AcquireOptions): T {
    const timeout = acquireTimeout(options);
    return this.#item(
      send(this, "queue.get", this.#getFields(timeout !== 0), timeout) as Got,
    );
  }

  /**
   * {@linkcode get} without blocking the event loop. Aborting the signal
   * rejects with its reason; an item taken meanwhile goes back, first in
   * line.
   *
   * @param options As get's, plus an AbortSignal.
   * @returns The item.
   */
  async getAsync(options?: AsyncAcquireOptions): Promise<T> {
    const timeout = acquireTimeout(options);
    const signal = liveSignal(options?.signal);
    const got = await sendAsync(
      this,
      "queue.get",
      this.#getFields(timeout !== 0),
      timeout,
      signal,
    ) as Got;
    const [member, bytes] = got;
    this.#got.push(member);
    try {
      return fromRedis(
        bytes,
        `an item of queue ${this.name}`,
        ownerOf(this),
        true,
      ) as T;
    } catch (error) {
      await sendAsync(this, "queue.unreadable", { kind: this.#kind, member });
      throw error;
    }
  }

  /**
   * Takes an item if one is ready now.
   *
   * @returns The item.
   * @throws {QueueEmpty} None is.
   */
  getNowait(): T {
    return this.get({ blocking: false });
  }

  #doneMember(): string {
    const member = this.#got.shift();
    if (member === undefined) {
      throw new RangeError(
        "taskDone() called too many times (more than this queue object " +
          "got items in this thread)",
      );
    }
    return member;
  }

  /**
   * Marks done the earliest item this object got in this thread and has
   * not marked yet: it will not be delivered again, and join() counts it.
   * It does not wait for Redis (as Python's task_done does not wait): what
   * this process does next (a join() included) comes after it. If Redis
   * cannot be reached meanwhile, the item is delivered again once this
   * process's hold on it lapses (at least once).
   *
   * @throws {RangeError} More calls than items got.
   * @throws {ConnectionError} The connection is closed.
   */
  taskDone(): void {
    const member = this.#doneMember();
    sendAndForget(this, "queue.done", { kind: this.#kind, member });
  }

  /** Blocks until every item put (by anyone) has been marked done. */
  join(): void {
    send(this, "queue.join");
  }

  /**
   * {@linkcode join} without blocking the event loop.
   *
   * @param options An AbortSignal: aborting rejects with its reason.
   * @returns When every item is done.
   */
  async joinAsync(options?: { signal?: AbortSignal }): Promise<void> {
    const signal = liveSignal(checkOptions(options)?.signal);
    await sendAsync(this, "queue.join", {}, Infinity, signal);
  }

  /**
   * Python 3.13's shutdown: put() fails from now on, in every process;
   * get() fails once the queue is empty. `immediate`: the ready items are
   * dropped (and counted done), and get() fails at once. A shut-down queue
   * stays so in Redis until its keys are deleted.
   *
   * @param immediate Drop the items too (default false).
   */
  shutdown(immediate = false): void {
    send(this, "queue.shutdown", this.#shutdownFields(immediate));
  }

  /**
   * {@linkcode shutdown} without blocking the event loop.
   *
   * @param immediate Drop the items too (default false).
   * @returns When shut down.
   */
  async shutdownAsync(immediate = false): Promise<void> {
    await sendAsync(this, "queue.shutdown", this.#shutdownFields(immediate));
  }

  #shutdownFields(immediate: unknown): Record<string, unknown> {
    if (typeof immediate !== "boolean") {
      throw new TypeError(
        `immediate must be a boolean, got ${describeValue(immediate)}`,
      );
    }
    return { kind: this.#kind, immediate };
  }

  /**
   * The number of items ready (taken ones not counted).
   *
   * @returns The size now.
   */
  qsize(): number {
    return send(this, "queue.size", { kind: this.#kind }) as number;
  }

  /**
   * {@linkcode qsize} without blocking the event loop.
   *
   * @returns The size now.
   */
  async qsizeAsync(): Promise<number> {
    return await sendAsync(this, "queue.size", { kind: this.#kind }) as number;
  }

  /**
   * Whether no item is ready.
   *
   * @returns `qsize() === 0`.
   */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /**
   * {@linkcode empty} without blocking the event loop.
   *
   * @returns Whether no item is ready.
   */
  async emptyAsync(): Promise<boolean> {
    return await this.qsizeAsync() === 0;
  }

  /**
   * Whether maxsize items are ready.
   *
   * @returns Whether put() would wait.
   */
  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  /**
   * {@linkcode full} without blocking the event loop.
   *
   * @returns Whether put() would wait.
   */
  async fullAsync(): Promise<boolean> {
    return this.#maxsize > 0 && await this.qsizeAsync() >= this.#maxsize;
  }
}

/**
 * Python's `queue.LifoQueue` across processes: last in, first out (an item
 * delivered again goes back on top).
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const stack = new redis.LifoQueue<number>("stack");
 * stack.put(1);
 * stack.put(2);
 * console.log(stack.get()); // 2
 * ```
 */
export class RedisLifoQueue<T = unknown> extends RedisQueue<T> {}

/**
 * Python's `queue.PriorityQueue` across processes: smallest first, by the
 * items' natural order (numbers and bigints, strings, Dates, arrays element
 * by element: put `[priority, data]`). Items equal in order come out in the
 * order they were put. A `compare` function cannot be used here (Redis
 * keeps the order), and a bigint beyond 2^53 orders as the nearest number.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const work = new redis.PriorityQueue<[number, string]>("work");
 * work.put([2, "later"]);
 * work.put([1, "first"]);
 * console.log(work.get()); // [1, "first"]
 * ```
 */
export class RedisPriorityQueue<T = unknown> extends RedisQueue<T> {}

import { ownerOfObject as ownerOf } from "./base.ts";
