/**
 * Python's `queue` module across threads: {@linkcode Queue} (FIFO),
 * {@linkcode LifoQueue}, {@linkcode PriorityQueue} and {@linkcode SimpleQueue}.
 * Items travel through shared memory, so producers and consumers work while
 * any other thread (main included) is blocked.
 *
 * @module
 */
import {
  type AcquireOptions,
  acquireTimeout,
  type AsyncAcquireOptions,
  checkInteger,
  checkOptions,
  checkSignal,
  deadlineOf,
  describeValue,
} from "./_validate.ts";
import {
  BLOCK_BYTES,
  BLOCK_DATA,
  Q_BUMP,
  Q_COUNT,
  Q_FREE,
  Q_FREE_BLOCKS,
  Q_HEAD,
  Q_INDEX,
  Q_MAXSIZE,
  Q_SHUTDOWN,
  Q_UNFINISHED,
  RECORD_HEADER,
} from "./_layout.ts";
import {
  decode,
  encode,
  fromBytes,
  registerShareable,
  toBytes,
} from "./_marshal.ts";
import {
  callerModules,
  type CodeRef,
  describe,
  notFound,
  resolve,
  resolveSync,
} from "./_locate.ts";
import { drop, fetch, fetchAsync, stash } from "./_relay.ts";
import { _waitAsync, Condition } from "./condition.ts";
import { Lock } from "./lock.ts";

/** Raised by a non-blocking or timed-out `get()` on an empty queue. */
export class QueueEmpty extends Error {
  /**
   * Creates a QueueEmpty error.
   *
   * @param message Why.
   */
  constructor(message = "Queue is empty") {
    super(message);
    this.name = "QueueEmpty";
  }
}

/** Raised by a non-blocking or timed-out `put()` on a full queue. */
export class QueueFull extends Error {
  /**
   * Creates a QueueFull error.
   *
   * @param message Why.
   */
  constructor(message = "Queue is full") {
    super(message);
    this.name = "QueueFull";
  }
}

/** Raised by `put()` after `shutdown()`, and by `get()` on a shut-down queue once empty. */
export class QueueShutDown extends Error {
  /**
   * Creates a QueueShutDown error.
   *
   * @param message Why.
   */
  constructor(message = "Queue is shut down") {
    super(message);
    this.name = "QueueShutDown";
  }
}

/** Options of every queue. */
export interface QueueOptions {
  /**
   * Bytes of shared memory for the queued items, serialized (default 1 MiB).
   * An item that can never fit is a RangeError; one that does not fit now
   * waits like a put on a full queue.
   */
  maxBytes?: number;
}

/** Options of {@linkcode PriorityQueue}. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * Orders items (negative: `a` first). Default: numbers, bigints, strings and
   * Dates by value, arrays element by element (Python's tuples). It runs in
   * every thread that puts, so, like a thread target, it must be exported
   * from an importable module or be self-contained.
   */
  compare?: (a: T, b: T) => number;
}

const FIFO = 0;
const LIFO = 1;
const PRIORITY = 2;
const DEFAULT_BYTES = 1 << 20;

interface State {
  control: Int32Array;
  store: SharedArrayBuffer;
  lock: unknown;
  notEmpty: unknown;
  notFull: unknown;
  allTasksDone: unknown;
  kind: number;
  compare: CodeRef | undefined;
}

let adopting:
  | (Omit<State, "lock" | "notEmpty" | "notFull" | "allTasksDone"> & {
    lock: Lock;
    notEmpty: Condition;
    notFull: Condition;
    allTasksDone: Condition;
  })
  | undefined;

/** An encoded item, ready to be copied into the store. */
interface Packed {
  bytes: Uint8Array;
  sabs: SharedArrayBuffer[];
  blocks: number;
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function naturalCompare(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if (
    (ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")
  ) {
    return (a as number) < (b as number)
      ? -1
      : (a as number) > (b as number)
      ? 1
      : 0;
  }
  if (ta === "string" && tb === "string") {
    return (a as string) < (b as string)
      ? -1
      : (a as string) > (b as string)
      ? 1
      : 0;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length && i < b.length; i++) {
      const c = naturalCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TypeError(
    `Cannot order ${typeName(a)} and ${typeName(b)} in a PriorityQueue: ` +
      `pass { compare } to order such items`,
  );
}

/**
 * A FIFO queue shared by threads: Python's `queue.Queue`. `maxsize` bounds
 * the number of items (0: unbounded). Items are copied into shared memory by
 * the rules of thread arguments: this module's primitives and typed arrays
 * over SharedArrayBuffers stay shared, instances of exported classes keep
 * their class.
 *
 * A synchronous `get()` rebuilds class instances with classes this thread has
 * already seen (or self-contained ones); `getAsync()` imports whatever it needs.
 *
 * @typeParam T The items' type.
 *
 * @example Workers taking jobs from a queue
 * ```ts
 * import { Queue, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const jobs = new Queue<number>();
 * const results = new Queue<number>();
 * const worker = new Thread({
 *   target: (q: Queue<number>, out: Queue<number>) => {
 *     for (;;) {
 *       const n = q.get();
 *       if (n < 0) break;
 *       out.put(n * n);
 *       q.taskDone();
 *     }
 *   },
 *   args: [jobs, results],
 * });
 * worker.start();
 * for (const n of [1, 2, 3]) jobs.put(n);
 * jobs.join();
 * jobs.put(-1);
 * worker.join();
 * assert.deepEqual([results.get(), results.get(), results.get()], [1, 4, 9]);
 * ```
 */
export class Queue<T = unknown> {
  #control: Int32Array;
  #store: SharedArrayBuffer;
  #bytes: Uint8Array;
  #links: Int32Array;
  #lock: Lock;
  #notEmpty: Condition;
  #notFull: Condition;
  #allTasksDone: Condition;
  #kind: number;
  #compareRef: CodeRef | undefined;
  // Internals are typed without T, so that every Queue<T> is a Queue<unknown>.
  #compare: ((a: unknown, b: unknown) => number) | undefined;

  /**
   * Creates a queue.
   *
   * @param maxsize The most items it holds (0 or negative: unbounded).
   * @param options The byte capacity.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} A non-integer `maxsize` or a bad `maxBytes`.
   */
  constructor(maxsize = 0, options?: QueueOptions) {
    const adopt = adopting;
    adopting = undefined;
    if (adopt !== undefined) {
      this.#control = adopt.control;
      this.#store = adopt.store;
      this.#lock = adopt.lock;
      this.#notEmpty = adopt.notEmpty;
      this.#notFull = adopt.notFull;
      this.#allTasksDone = adopt.allTasksDone;
      this.#kind = adopt.kind;
      this.#compareRef = adopt.compare;
    } else {
      // As in Python, a maxsize of 0 or less means unbounded.
      checkInteger(maxsize, "maxsize", -0x80000000);
      const maxBytes = checkInteger(
        checkOptions(options)?.maxBytes ?? DEFAULT_BYTES,
        "maxBytes",
        BLOCK_BYTES,
        2 ** 30,
      );
      const blocks = Math.floor(maxBytes / BLOCK_BYTES);
      this.#control = new Int32Array(
        new SharedArrayBuffer((Q_INDEX + blocks) * 4),
      );
      this.#control[Q_MAXSIZE] = Math.max(0, maxsize);
      this.#control[Q_FREE] = -1;
      this.#control[Q_FREE_BLOCKS] = blocks;
      this.#store = new SharedArrayBuffer(blocks * BLOCK_BYTES);
      this.#lock = new Lock();
      this.#notEmpty = new Condition(this.#lock);
      this.#notFull = new Condition(this.#lock);
      this.#allTasksDone = new Condition(this.#lock);
      this.#kind = kindOf(new.target);
      const compare = (options as PriorityQueueOptions<T> | undefined)?.compare;
      if (this.#kind === PRIORITY && compare !== undefined) {
        if (typeof compare !== "function") {
          throw new TypeError(
            `compare must be a function, got ${describeValue(compare)}`,
          );
        }
        this.#compare = compare as (a: unknown, b: unknown) => number;
        this.#compareRef = describe(compare, callerModules());
      }
    }
    this.#bytes = new Uint8Array(this.#store);
    this.#links = new Int32Array(this.#store);
  }

  static {
    registerShareable("Queue", Queue, (q): State => ({
      control: q.#control,
      store: q.#store,
      lock: encode(q.#lock, "queue", []),
      notEmpty: encode(q.#notEmpty, "queue", []),
      notFull: encode(q.#notFull, "queue", []),
      allTasksDone: encode(q.#allTasksDone, "queue", []),
      kind: q.#kind,
      compare: q.#compareRef,
    }), (state, pending) => {
      const s = state as State;
      if (s.compare !== undefined && pending !== undefined) {
        pending.push(resolve(s.compare));
      }
      adopting = {
        ...s,
        lock: decode(s.lock) as Lock,
        notEmpty: decode(s.notEmpty) as Condition,
        notFull: decode(s.notFull) as Condition,
        allTasksDone: decode(s.allTasksDone) as Condition,
      };
      const cls = s.kind === LIFO
        ? LifoQueue
        : s.kind === PRIORITY
        ? PriorityQueue
        : Queue;
      return new cls();
    });
  }

  // Record store ------------------------------------------------------------

  #pack(item: unknown): Packed {
    const sabs: SharedArrayBuffer[] = [];
    const bytes = toBytes(encode(item, "item", callerModules), sabs);
    const blocks = Math.ceil((RECORD_HEADER + bytes.length) / BLOCK_DATA);
    const total = this.#store.byteLength / BLOCK_BYTES;
    if (blocks > total) {
      throw new RangeError(
        `Item too large for this queue: ${bytes.length} bytes serialized, ` +
          `capacity ${
            total * BLOCK_DATA - RECORD_HEADER
          }; pass a larger maxBytes`,
      );
    }
    return { bytes, sabs, blocks };
  }

  #allocBlock(): number {
    const c = this.#control;
    c[Q_FREE_BLOCKS]--;
    const free = c[Q_FREE];
    if (free >= 0) {
      c[Q_FREE] = this.#links[free * (BLOCK_BYTES / 4)];
      return free;
    }
    return c[Q_BUMP]++;
  }

  /** Copies a record into free blocks; returns its first block. */
  #write(packed: Packed, relayId: number): number {
    const links = this.#links;
    const bytes = this.#bytes;
    const data = packed.bytes;
    const header = new Uint8Array(RECORD_HEADER);
    new DataView(header.buffer).setUint32(0, data.length, true);
    new DataView(header.buffer).setInt32(4, relayId, true);
    const first = this.#allocBlock();
    let block = first;
    let room = BLOCK_DATA;
    let at = block * BLOCK_BYTES + 4;
    bytes.set(header, at);
    at += RECORD_HEADER;
    room -= RECORD_HEADER;
    for (let done = 0; done < data.length;) {
      if (room === 0) {
        const next = this.#allocBlock();
        links[block * (BLOCK_BYTES / 4)] = next;
        block = next;
        at = block * BLOCK_BYTES + 4;
        room = BLOCK_DATA;
      }
      const n = Math.min(room, data.length - done);
      bytes.set(data.subarray(done, done + n), at);
      done += n;
      at += n;
      room -= n;
    }
    links[block * (BLOCK_BYTES / 4)] = -1;
    return first;
  }

  /** Copies a record out; frees its blocks when `free`. */
  #read(first: number, free: boolean): { bytes: Uint8Array; relayId: number } {
    const links = this.#links;
    const bytes = this.#bytes;
    const view = new DataView(
      this.#store,
      first * BLOCK_BYTES + 4,
      RECORD_HEADER,
    );
    const length = view.getUint32(0, true);
    const relayId = view.getInt32(4, true);
    const out = new Uint8Array(length);
    let block = first;
    let at = block * BLOCK_BYTES + 4 + RECORD_HEADER;
    let room = BLOCK_DATA - RECORD_HEADER;
    for (let done = 0; done < length;) {
      if (room === 0) {
        block = links[block * (BLOCK_BYTES / 4)];
        at = block * BLOCK_BYTES + 4;
        room = BLOCK_DATA;
      }
      const n = Math.min(room, length - done);
      out.set(bytes.subarray(at, at + n), done);
      done += n;
      at += n;
      room -= n;
    }
    if (free) {
      const c = this.#control;
      for (let b = first; b >= 0;) {
        const next = links[b * (BLOCK_BYTES / 4)];
        links[b * (BLOCK_BYTES / 4)] = c[Q_FREE];
        c[Q_FREE] = b;
        c[Q_FREE_BLOCKS]++;
        b = next;
      }
    }
    return { bytes: out, relayId };
  }

  /** The value of a queued record, for ordering (shared parts left out). */
  #peek(first: number): unknown {
    return decode(fromBytes(this.#read(first, false).bytes));
  }

  #order(): (a: unknown, b: unknown) => number {
    if (this.#compare !== undefined) return this.#compare;
    if (this.#compareRef === undefined) return naturalCompare;
    const located = resolveSync(this.#compareRef);
    if (located === undefined) throw new TypeError(notFound(this.#compareRef));
    return this.#compare = located.fn as (a: unknown, b: unknown) => number;
  }

  // Index: FIFO ring, LIFO stack or binary heap of first blocks ------------

  #indexCapacity(): number {
    return this.#control.length - Q_INDEX;
  }

  /** Where a new record goes; for a heap, checks every comparison first. */
  #insert(first: number, item: unknown): void {
    const c = this.#control;
    const count = c[Q_COUNT];
    if (this.#kind === FIFO) {
      c[Q_INDEX + (c[Q_HEAD] + count) % this.#indexCapacity()] = first;
    } else if (this.#kind === LIFO) {
      c[Q_INDEX + count] = first;
    } else {
      // Sift up, comparing before moving anything: a comparison that throws
      // leaves the heap as it was.
      const compare = this.#order();
      let i = count;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (compare(item, this.#peek(c[Q_INDEX + parent])) >= 0) break;
        i = parent;
      }
      for (let j = count; j > i;) {
        const parent = (j - 1) >> 1;
        c[Q_INDEX + j] = c[Q_INDEX + parent];
        j = parent;
      }
      c[Q_INDEX + i] = first;
    }
    c[Q_COUNT] = count + 1;
  }

  #remove(): number {
    const c = this.#control;
    const count = c[Q_COUNT] - 1;
    c[Q_COUNT] = count;
    if (this.#kind === FIFO) {
      const head = c[Q_HEAD];
      c[Q_HEAD] = (head + 1) % this.#indexCapacity();
      return c[Q_INDEX + head];
    }
    if (this.#kind === LIFO) return c[Q_INDEX + count];
    const top = c[Q_INDEX];
    const last = c[Q_INDEX + count];
    if (count > 0) {
      const compare = this.#order();
      const lastItem = this.#peek(last);
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= count) break;
        let childItem = this.#peek(c[Q_INDEX + child]);
        if (child + 1 < count) {
          const right = this.#peek(c[Q_INDEX + child + 1]);
          if (compare(right, childItem) < 0) {
            child++;
            childItem = right;
          }
        }
        if (compare(childItem, lastItem) >= 0) break;
        c[Q_INDEX + i] = c[Q_INDEX + child];
        i = child;
      }
      c[Q_INDEX + i] = last;
    }
    return top;
  }

  // Python's Queue ---------------------------------------------------------

  #fits(packed: Packed): boolean {
    const c = this.#control;
    return (c[Q_MAXSIZE] <= 0 || c[Q_COUNT] < c[Q_MAXSIZE]) &&
      packed.blocks <= c[Q_FREE_BLOCKS];
  }

  #checkShutdown(): void {
    if (this.#control[Q_SHUTDOWN] === 1) throw new QueueShutDown();
  }

  /** Under the lock, with room: stores the item. */
  #store1(packed: Packed, item: unknown): void {
    const relayId = packed.sabs.length > 0 ? stash(packed.sabs) : 0;
    const first = this.#write(packed, relayId);
    try {
      this.#insert(first, item);
    } catch (error) {
      this.#read(first, true);
      if (relayId !== 0) drop(relayId);
      throw error;
    }
    this.#control[Q_UNFINISHED]++;
    this.#notEmpty.notify();
  }

  /**
   * Puts an item, waiting for room while the queue is full.
   *
   * @param item The item (copied, or shared where it is shared memory).
   * @param options `blocking: false` or a `timeout` (ms) raise QueueFull
   * instead of waiting longer.
   * @throws {QueueFull} No room in time.
   * @throws {QueueShutDown} The queue is shut down.
   * @throws {TypeError} An item that cannot cross threads, bad options.
   * @throws {RangeError} An item that can never fit, a negative timeout.
   */
  put(item: T, options?: AcquireOptions): void {
    const timeout = acquireTimeout(options);
    const packed = this.#pack(item);
    const deadline = deadlineOf(timeout);
    using _ = this.#notFull.hold();
    this.#checkShutdown();
    while (!this.#fits(packed)) {
      const left = deadline - performance.now();
      if (timeout === 0 || left <= 0) throw new QueueFull();
      this.#notFull.wait(left === Infinity ? undefined : left);
      this.#checkShutdown();
    }
    this.#store1(packed, item);
  }

  /**
   * Puts an item without blocking the event loop.
   *
   * @param item The item.
   * @param options As {@linkcode Queue.put}, plus an AbortSignal.
   * @throws {QueueFull} (rejects) No room in time.
   * @throws {QueueShutDown} (rejects) The queue is shut down.
   */
  async putAsync(item: T, options?: AsyncAcquireOptions): Promise<void> {
    const timeout = acquireTimeout(options);
    const signal = checkSignal(options?.signal);
    signal?.throwIfAborted();
    const packed = this.#pack(item);
    const deadline = deadlineOf(timeout);
    using _ = await this.#notFull.holdAsync({ signal });
    this.#checkShutdown();
    while (!this.#fits(packed)) {
      const left = deadline - performance.now();
      if (timeout === 0 || left <= 0) throw new QueueFull();
      await _waitAsync(this.#notFull, left, signal);
      this.#checkShutdown();
    }
    this.#store1(packed, item);
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

  /** Under the lock, with an item: takes it out. */
  #take(): { bytes: Uint8Array; relayId: number } {
    const record = this.#read(this.#remove(), true);
    this.#notFull.notify();
    return record;
  }

  #checkGetShutdown(): void {
    const c = this.#control;
    if (c[Q_SHUTDOWN] === 1 && c[Q_COUNT] === 0) throw new QueueShutDown();
  }

  /**
   * Takes the next item, waiting while the queue is empty.
   *
   * @param options `blocking: false` or a `timeout` (ms) raise QueueEmpty
   * instead of waiting longer.
   * @returns The item.
   * @throws {QueueEmpty} No item in time.
   * @throws {QueueShutDown} The queue is shut down and empty.
   * @throws {RangeError} A negative timeout.
   */
  get(options?: AcquireOptions): T {
    const timeout = acquireTimeout(options);
    const deadline = deadlineOf(timeout);
    let record;
    {
      using _ = this.#notEmpty.hold();
      this.#checkGetShutdown();
      while (this.#control[Q_COUNT] === 0) {
        const left = deadline - performance.now();
        if (timeout === 0 || left <= 0) throw new QueueEmpty();
        this.#notEmpty.wait(left === Infinity ? undefined : left);
        this.#checkGetShutdown();
      }
      record = this.#take();
    }
    const sabs = record.relayId === 0 ? [] : fetch(record.relayId);
    return decode(fromBytes(record.bytes, sabs)) as T;
  }

  /**
   * Takes the next item without blocking the event loop. An aborted call
   * never takes an item.
   *
   * @param options As {@linkcode Queue.get}, plus an AbortSignal.
   * @returns The item.
   * @throws {QueueEmpty} (rejects) No item in time.
   * @throws {QueueShutDown} (rejects) Shut down and empty.
   */
  async getAsync(options?: AsyncAcquireOptions): Promise<T> {
    const timeout = acquireTimeout(options);
    const signal = checkSignal(options?.signal);
    signal?.throwIfAborted();
    const deadline = deadlineOf(timeout);
    let record;
    {
      using _ = await this.#notEmpty.holdAsync({ signal });
      this.#checkGetShutdown();
      while (this.#control[Q_COUNT] === 0) {
        const left = deadline - performance.now();
        if (timeout === 0 || left <= 0) throw new QueueEmpty();
        await _waitAsync(this.#notEmpty, left, signal);
        this.#checkGetShutdown();
      }
      record = this.#take();
    }
    const sabs = record.relayId === 0 ? [] : await fetchAsync(record.relayId);
    const pending: Promise<unknown>[] = [];
    const item = decode(fromBytes(record.bytes, sabs), pending) as T;
    await Promise.all(pending);
    return item;
  }

  /**
   * Takes an item if there is one now.
   *
   * @returns The item.
   * @throws {QueueEmpty} The queue is empty.
   */
  getNowait(): T {
    return this.get({ blocking: false });
  }

  /**
   * Marks one item taken with `get()` as processed; `join()` returns once
   * every item put has been marked.
   *
   * @throws {RangeError} Called more times than items were put.
   */
  taskDone(): void {
    using _ = this.#allTasksDone.hold();
    const c = this.#control;
    const unfinished = c[Q_UNFINISHED] - 1;
    if (unfinished < 0) {
      throw new RangeError("taskDone() called too many times");
    }
    if (unfinished === 0) this.#allTasksDone.notifyAll();
    c[Q_UNFINISHED] = unfinished;
  }

  /** Blocks until every item put has been marked with `taskDone()`. */
  join(): void {
    using _ = this.#allTasksDone.hold();
    while (this.#control[Q_UNFINISHED] > 0) this.#allTasksDone.wait();
  }

  /** Waits without blocking the event loop until every item is done. */
  async joinAsync(): Promise<void> {
    using _ = await this.#allTasksDone.holdAsync();
    while (this.#control[Q_UNFINISHED] > 0) {
      await this.#allTasksDone.waitAsync();
    }
  }

  /**
   * Shuts the queue down (Python 3.13): `put()` raises QueueShutDown, and
   * `get()` does once the queue is empty. `immediate` also drops every
   * queued item (marking each done) so that `get()` raises at once and
   * `join()` returns. Blocked callers are woken.
   *
   * @param immediate Drop the queued items too.
   * @throws {TypeError} If `immediate` is not a boolean.
   */
  shutdown(immediate = false): void {
    if (typeof immediate !== "boolean") {
      throw new TypeError(
        `immediate must be a boolean, got ${describeValue(immediate)}`,
      );
    }
    using _ = this.#lock.hold();
    const c = this.#control;
    c[Q_SHUTDOWN] = 1;
    if (immediate) {
      while (c[Q_COUNT] > 0) {
        const { relayId } = this.#read(this.#remove(), true);
        if (relayId !== 0) drop(relayId);
        if (c[Q_UNFINISHED] > 0) c[Q_UNFINISHED]--;
      }
      this.#allTasksDone.notifyAll();
    }
    this.#notEmpty.notifyAll();
    this.#notFull.notifyAll();
  }

  /**
   * How many items are queued (a snapshot).
   *
   * @returns The number of items.
   */
  qsize(): number {
    return Atomics.load(this.#control, Q_COUNT);
  }

  /**
   * Whether the queue is empty (a snapshot).
   *
   * @returns `true` when no item is queued.
   */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /**
   * Whether the queue holds `maxsize` items (a snapshot).
   *
   * @returns `true` when full.
   */
  full(): boolean {
    const maxsize = Atomics.load(this.#control, Q_MAXSIZE);
    return maxsize > 0 && this.qsize() >= maxsize;
  }

  /** The most items the queue holds (0: unbounded). */
  get maxsize(): number {
    return Atomics.load(this.#control, Q_MAXSIZE);
  }
}

function kindOf(cls: unknown): number {
  if (cls === LifoQueue) return LIFO;
  if (cls === PriorityQueue) return PRIORITY;
  let p = cls as { prototype: unknown } | null;
  while (p !== null && p !== Queue) {
    if (p === LifoQueue) return LIFO;
    if (p === PriorityQueue) return PRIORITY;
    p = Object.getPrototypeOf(p);
  }
  return FIFO;
}

/**
 * A LIFO queue (a stack) shared by threads: Python's `queue.LifoQueue`.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts
 * import { LifoQueue } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const q = new LifoQueue<number>();
 * q.put(1);
 * q.put(2);
 * assert.equal(q.get(), 2);
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {}

/**
 * A priority queue shared by threads: the smallest item comes out first.
 * Python's `queue.PriorityQueue`; items like `[priority, data]` compare
 * element by element, as Python's tuples do.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts
 * import { PriorityQueue } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const q = new PriorityQueue<[number, string]>();
 * q.put([3, "low"]);
 * q.put([1, "high"]);
 * assert.deepEqual(q.get(), [1, "high"]);
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /**
   * Creates a priority queue.
   *
   * @param maxsize The most items it holds (0: unbounded).
   * @param options A comparator and the byte capacity.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} Bad sizes.
   */
  constructor(maxsize = 0, options?: PriorityQueueOptions<T>) {
    super(maxsize, options);
  }
}

/**
 * An unbounded FIFO queue without task tracking: Python's `queue.SimpleQueue`.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts
 * import { SimpleQueue } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const q = new SimpleQueue<string>();
 * q.put("a");
 * assert.equal(q.qsize(), 1);
 * assert.equal(q.get(), "a");
 * assert.equal(q.empty(), true);
 * ```
 */
export class SimpleQueue<T = unknown> {
  #queue: Queue<T>;

  /**
   * Creates a queue.
   *
   * @param options The byte capacity.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} A bad `maxBytes`.
   */
  constructor(options?: QueueOptions) {
    this.#queue = (adoptingSimple as Queue<T> | undefined) ??
      new Queue<T>(0, options);
    adoptingSimple = undefined;
  }

  static {
    registerShareable(
      "SimpleQueue",
      SimpleQueue,
      (q) => encode(q.#queue, "queue", []),
      (state, pending) => {
        adoptingSimple = decode(state, pending) as Queue<unknown>;
        return new SimpleQueue();
      },
    );
  }

  /**
   * Puts an item (never waits for room; may wait for the byte capacity).
   *
   * @param item The item.
   * @param options A timeout for the byte capacity.
   */
  put(item: T, options?: AcquireOptions): void {
    this.#queue.put(item, options);
  }

  /**
   * Puts an item without blocking the event loop.
   *
   * @param item The item.
   * @param options A timeout and an AbortSignal.
   */
  putAsync(item: T, options?: AsyncAcquireOptions): Promise<void> {
    return this.#queue.putAsync(item, options);
  }

  /**
   * Puts an item if it fits now.
   *
   * @param item The item.
   */
  putNowait(item: T): void {
    this.#queue.putNowait(item);
  }

  /**
   * Takes the next item, waiting while empty.
   *
   * @param options `blocking: false` or a `timeout` (ms).
   * @returns The item.
   * @throws {QueueEmpty} No item in time.
   */
  get(options?: AcquireOptions): T {
    return this.#queue.get(options);
  }

  /**
   * Takes the next item without blocking the event loop.
   *
   * @param options A timeout and an AbortSignal.
   * @returns The item.
   */
  getAsync(options?: AsyncAcquireOptions): Promise<T> {
    return this.#queue.getAsync(options);
  }

  /**
   * Takes an item if there is one now.
   *
   * @returns The item.
   * @throws {QueueEmpty} The queue is empty.
   */
  getNowait(): T {
    return this.#queue.getNowait();
  }

  /**
   * How many items are queued.
   *
   * @returns The number of items.
   */
  qsize(): number {
    return this.#queue.qsize();
  }

  /**
   * Whether the queue is empty.
   *
   * @returns `true` when empty.
   */
  empty(): boolean {
    return this.#queue.empty();
  }
}

let adoptingSimple: Queue<unknown> | undefined;
