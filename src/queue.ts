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
  EC_ASLEEP,
  EC_REGISTERED,
  EC_SEQ,
  FIFO,
  INDEX_COUNT,
  K_LIFO_QUEUE,
  K_PRIORITY_QUEUE,
  K_QUEUE,
  K_RAW,
  K_SIMPLE_QUEUE,
  LIFO,
  PRIORITY,
  Q_BYTES,
  Q_COMPARE,
  Q_GETTERS,
  Q_INDEX,
  Q_JOINERS,
  Q_LOCK,
  Q_MAX_BYTES,
  Q_MAXSIZE,
  Q_ORDER,
  Q_PUTTERS,
  Q_SHUTDOWN,
  Q_UNFINISHED,
  Q_WORDS,
  SIMPLE_QUEUE,
  SIMPLE_WORDS,
} from "./_layout.ts";
import {
  adopt,
  adoption,
  create,
  defineKind,
  type KindOptions,
  release,
  retain,
  shareOf,
  track,
} from "./_handles.ts";
import { alloc, bytesAt, free, heap, wordsAt } from "./_heap.ts";
import { decode, discard, encode, missingClass, notLoaded } from "./_codec.ts";
import {
  callerModules,
  type CodeRef,
  describe,
  resolve,
  resolveClass,
  resolveSync,
} from "./_locate.ts";
import { drop, fetchRelayed, fetchRelayedAsync, stash } from "./_relay.ts";
import {
  freeRecord,
  recordBytes,
  recordRelay,
  recordSize,
  writeRecord,
} from "./_record_store.ts";
import { ringPeek, ringPush, ringShift } from "./_ring.ts";
import { stackPeek, stackPop, stackPush } from "./_stack.ts";
import { heapPeek, heapPop, heapPush } from "./_binary_heap.ts";
import { count, get, release as releaseIndex } from "./_ref_array.ts";
import {
  lockStep,
  newStep,
  type Protocol,
  run,
  runAsync,
  type Step,
  tryLockWord,
  unlockWord,
  waitStep,
  wake,
} from "./_wait.ts";

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
   * Most bytes the queued items may take in shared memory, encoded (default:
   * no bound; the storage grows as items come). An item that can never fit
   * is a RangeError; one that does not fit now waits like a put on a full
   * queue.
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

type Order = (a: unknown, b: unknown) => number;

/** Stores the description of a comparator in a block of its own. */
function storeCompare(ref: CodeRef): number {
  const { bytes } = encode(ref, "compare", () => []);
  const block = alloc(4 + bytes.length, K_RAW);
  heap().i32[block] = bytes.length;
  bytesAt(block + 1, bytes.length).set(bytes);
  return block;
}

function loadCompare(block: number): CodeRef {
  return decode(bytesAt(block + 1, heap().i32[block]), [], false) as CodeRef;
}

let queueRef: (q: Queue) => number;
let queueKind: KindOptions<Queue>;

/** Drops a record that will never be taken: its references and buffers. */
function dropRecord(rec: number): void {
  discard(recordBytes(rec));
  const relay = recordRelay(rec);
  if (relay !== 0) drop(relay);
  freeRecord(rec);
}

/** Every record still queued in the block `ref` (it is being destroyed). */
function destroyQueue(ref: number): void {
  const w = wordsAt(ref, Q_WORDS);
  for (let i = count(w, Q_INDEX) - 1; i >= 0; i--) {
    dropRecord(get(w, Q_INDEX, i));
  }
  releaseIndex(w, Q_INDEX);
  if (w[Q_COMPARE] !== 0) free(w[Q_COMPARE]);
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
 * their class. An unbounded queue never blocks a `put()`: its storage grows.
 *
 * A synchronous `get()` rebuilds class instances with classes this thread
 * has loaded; when one is not, it throws a TypeError and the item stays in
 * the queue. `getAsync()` imports what it needs.
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
  #ref: number;
  #w: Int32Array;
  #order: number;
  // Typed without T, so that every Queue<T> is a Queue<unknown>.
  #compare: Order | undefined;
  #compareRef: CodeRef | undefined;

  /**
   * Creates a queue.
   *
   * @param maxsize The most items it holds (0 or negative: unbounded).
   * @param options A bound on the bytes of its items.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} A non-integer `maxsize` or a bad `maxBytes`.
   */
  constructor(maxsize = 0, options?: QueueOptions) {
    let ref = adoption();
    if (ref !== 0) {
      const block = heap().i32[ref + Q_COMPARE];
      if (block !== 0) this.#compareRef = loadCompare(block);
    } else {
      // As in Python, a maxsize of 0 or less means unbounded.
      checkInteger(maxsize, "maxsize", -0x80000000);
      const maxBytes = checkOptions(options)?.maxBytes;
      if (maxBytes !== undefined) {
        checkInteger(maxBytes, "maxBytes", 1, 0x7fffffff);
      }
      const order = orderOf(new.target);
      const compare = (options as PriorityQueueOptions<T> | undefined)
        ?.compare;
      if (order === PRIORITY && compare !== undefined) {
        if (typeof compare !== "function") {
          throw new TypeError(
            `compare must be a function, got ${describeValue(compare)}`,
          );
        }
        this.#compare = compare as Order;
        this.#compareRef = describe(compare, callerModules());
      }
      ref = create(
        order === LIFO
          ? K_LIFO_QUEUE
          : order === PRIORITY
          ? K_PRIORITY_QUEUE
          : K_QUEUE,
        Q_WORDS * 4,
      );
      const w = wordsAt(ref, Q_WORDS);
      w[Q_ORDER] = order;
      w[Q_MAXSIZE] = Math.max(0, maxsize);
      w[Q_MAX_BYTES] = maxBytes ?? 0;
      if (this.#compareRef) w[Q_COMPARE] = storeCompare(this.#compareRef);
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, Q_WORDS);
    this.#order = this.#w[Q_ORDER];
    track(this, ref);
  }

  static {
    queueRef = (q) => q.#ref;
    queueKind = {
      destroy: destroyQueue,
      // A comparator runs in every thread that puts: find it in advance.
      prepare: (q: Queue, async: Promise<unknown>[]) => {
        if (q.#compareRef !== undefined) async.push(resolve(q.#compareRef));
      },
    };
    defineKind(K_QUEUE, Queue, queueRef, queueKind);
  }

  // The index of records: a ring, a stack or a binary heap. -----------------

  #ordering(): Order {
    if (this.#compare !== undefined) return this.#compare;
    if (this.#compareRef === undefined) return naturalCompare;
    return this.#compare = resolveSync(this.#compareRef).fn as Order;
  }

  /** Orders two records by their items (decoded, the records kept). */
  #compareRecords = (a: number, b: number): number =>
    this.#ordering()(
      decode(recordBytes(a), [], false),
      decode(recordBytes(b), [], false),
    );

  #add(rec: number): void {
    const w = this.#w;
    if (this.#order === FIFO) ringPush(w, Q_INDEX, rec);
    else if (this.#order === LIFO) stackPush(w, Q_INDEX, rec);
    else heapPush(w, Q_INDEX, rec, this.#compareRecords);
  }

  #peek(): number {
    const w = this.#w;
    if (this.#order === FIFO) return ringPeek(w, Q_INDEX);
    if (this.#order === LIFO) return stackPeek(w, Q_INDEX);
    return heapPeek(w, Q_INDEX);
  }

  #take(): number {
    const w = this.#w;
    if (this.#order === FIFO) return ringShift(w, Q_INDEX);
    if (this.#order === LIFO) return stackPop(w, Q_INDEX);
    return heapPop(w, Q_INDEX, this.#compareRecords);
  }

  // Putting. ---------------------------------------------------------------

  /** An item, encoded into a record of its own (outside the lock). */
  #record(item: unknown): { rec: number; size: number } {
    const { bytes, sabs } = encode(item, "item", callerModules);
    const size = bytes.length;
    const max = this.#w[Q_MAX_BYTES];
    if (max !== 0 && size > max) {
      discard(bytes);
      throw new RangeError(
        `Item too large for this queue: ${bytes.length} bytes encoded, ` +
          `maxBytes is ${max}`,
      );
    }
    return { rec: writeRecord(bytes, sabs.length > 0 ? stash(sabs) : 0), size };
  }

  #fits(size: number): boolean {
    const w = this.#w;
    const max = w[Q_MAX_BYTES];
    return (w[Q_MAXSIZE] === 0 || count(w, Q_INDEX) < w[Q_MAXSIZE]) &&
      (max === 0 || w[Q_BYTES] + size <= max);
  }

  /** Under the lock, with room: links the record; whether to wake a getter. */
  #link(rec: number, size: number): boolean {
    const w = this.#w;
    this.#add(rec);
    w[Q_BYTES] += size;
    w[Q_UNFINISHED]++;
    return w[Q_GETTERS + EC_REGISTERED] > 0;
  }

  /** Puts, once the record is written; whether to wake a getter. */
  *#putSteps(
    rec: number,
    size: number,
    timeout: number,
    step: Step,
  ): Protocol<boolean> {
    const w = this.#w;
    const deadline = deadlineOf(timeout);
    if (!(yield lockStep(step, w, Q_LOCK, deadline))) throw new QueueFull();
    try {
      if (w[Q_SHUTDOWN] === 1) throw new QueueShutDown();
      while (!this.#fits(size)) {
        if (timeout === 0 || performance.now() >= deadline) {
          throw new QueueFull();
        }
        yield* this.#sleep(Q_PUTTERS, deadline, step);
        if (w[Q_SHUTDOWN] === 1) throw new QueueShutDown();
      }
      return this.#link(rec, size);
    } finally {
      unlockWord(w, Q_LOCK);
    }
  }

  /**
   * Under the lock: registers on eventcount `ec`, lets the lock go, sleeps
   * until woken or `deadline`, and takes the lock back (also when aborted).
   */
  *#sleep(ec: number, deadline: number, step: Step): Protocol<void> {
    const w = this.#w;
    w[ec + EC_REGISTERED]++;
    const seq = Atomics.load(w, ec + EC_SEQ);
    unlockWord(w, Q_LOCK);
    let aborted: { reason: unknown } | undefined;
    try {
      yield waitStep(step, w, ec + EC_SEQ, seq, deadline, ec + EC_ASLEEP);
    } catch (reason) {
      aborted = { reason };
    }
    yield lockStep(step, w, Q_LOCK, Infinity);
    w[ec + EC_REGISTERED]--;
    if (aborted) throw aborted.reason;
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
    const { rec, size } = this.#record(item);
    const w = this.#w;
    let wakeGetter: boolean;
    try {
      wakeGetter = tryLockWord(w, Q_LOCK)
        ? this.#putLocked(rec, size, timeout)
        : run(this.#putSteps(rec, size, timeout, newStep()));
    } catch (error) {
      dropRecord(rec);
      throw error;
    }
    if (wakeGetter) wake(w, Q_GETTERS + EC_SEQ, Q_GETTERS + EC_ASLEEP);
  }

  /** With the lock just taken: the put that needs no wait, or the protocol. */
  #putLocked(rec: number, size: number, timeout: number): boolean {
    const w = this.#w;
    try {
      if (w[Q_SHUTDOWN] === 1) throw new QueueShutDown();
      if (this.#fits(size)) return this.#link(rec, size);
      if (timeout === 0) throw new QueueFull();
    } finally {
      unlockWord(w, Q_LOCK);
    }
    return run(this.#putSteps(rec, size, timeout, newStep()));
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
    const { rec, size } = this.#record(item);
    let wakeGetter: boolean;
    try {
      wakeGetter = await runAsync(
        this.#putSteps(rec, size, timeout, newStep()),
        signal,
      );
    } catch (error) {
      dropRecord(rec);
      throw error;
    }
    if (wakeGetter) {
      wake(this.#w, Q_GETTERS + EC_SEQ, Q_GETTERS + EC_ASLEEP);
    }
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

  // Getting. ---------------------------------------------------------------

  #checkGetShutdown(): void {
    const w = this.#w;
    if (w[Q_SHUTDOWN] === 1 && count(w, Q_INDEX) === 0) {
      throw new QueueShutDown();
    }
  }

  /**
   * Under the lock, with an item: unlinks it, unless its classes are not
   * loaded here (then it stays). Returns its record, negated when a putter
   * is to be woken.
   */
  #unlink(): number {
    const w = this.#w;
    const missing = missingClass(recordBytes(this.#peek()));
    if (missing !== undefined) throw new MissingClass(missing);
    const rec = this.#take();
    w[Q_BYTES] -= recordSize(rec);
    return w[Q_PUTTERS + EC_REGISTERED] > 0 ? -rec : rec;
  }

  *#getSteps(
    deadline: number,
    nowait: boolean,
    step: Step,
  ): Protocol<number> {
    const w = this.#w;
    if (!(yield lockStep(step, w, Q_LOCK, deadline))) throw new QueueEmpty();
    try {
      this.#checkGetShutdown();
      while (count(w, Q_INDEX) === 0) {
        if (nowait || performance.now() >= deadline) throw new QueueEmpty();
        yield* this.#sleep(Q_GETTERS, deadline, step);
        this.#checkGetShutdown();
      }
      return this.#unlink();
    } finally {
      unlockWord(w, Q_LOCK);
    }
  }

  /** With the lock just taken: the get that needs no wait, or the protocol. */
  #getLocked(timeout: number): number {
    const w = this.#w;
    try {
      this.#checkGetShutdown();
      if (count(w, Q_INDEX) > 0) return this.#unlink();
      if (timeout === 0) throw new QueueEmpty();
    } finally {
      unlockWord(w, Q_LOCK);
    }
    return run(this.#getSteps(deadlineOf(timeout), false, newStep()));
  }

  /** After the lock: wakes a putter, then the item out of its record. */
  #taken(taken: number, sabs: SharedArrayBuffer[] | undefined): T {
    const rec = taken < 0 ? -taken : taken;
    if (taken < 0) wake(this.#w, Q_PUTTERS + EC_SEQ, Q_PUTTERS + EC_ASLEEP);
    const relay = recordRelay(rec);
    try {
      return decode(
        recordBytes(rec),
        sabs ?? (relay === 0 ? [] : fetchRelayed(relay)),
      ) as T;
    } finally {
      freeRecord(rec);
    }
  }

  /**
   * Takes the next item, waiting while the queue is empty.
   *
   * @param options `blocking: false` or a `timeout` (ms) raise QueueEmpty
   * instead of waiting longer.
   * @returns The item.
   * @throws {QueueEmpty} No item in time.
   * @throws {QueueShutDown} The queue is shut down and empty.
   * @throws {TypeError} The item holds an instance of a class this thread
   * has not loaded (the item stays in the queue).
   * @throws {RangeError} A negative timeout.
   */
  get(options?: AcquireOptions): T {
    const timeout = acquireTimeout(options);
    const w = this.#w;
    let taken: number;
    try {
      taken = tryLockWord(w, Q_LOCK)
        ? this.#getLocked(timeout)
        : run(this.#getSteps(deadlineOf(timeout), timeout === 0, newStep()));
    } catch (error) {
      if (error instanceof MissingClass) {
        throw new TypeError(notLoaded(error.ref));
      }
      throw error;
    }
    return this.#taken(taken, undefined);
  }

  /**
   * Takes the next item without blocking the event loop, importing the
   * modules of classes its item needs. An aborted call never takes an item.
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
    for (;;) {
      let taken: number;
      try {
        taken = await runAsync(
          this.#getSteps(deadline, timeout === 0, newStep()),
          signal,
        );
      } catch (error) {
        if (!(error instanceof MissingClass)) throw error;
        await resolveClass(error.ref);
        continue;
      }
      const rec = taken < 0 ? -taken : taken;
      const relay = recordRelay(rec);
      const sabs = relay === 0 ? [] : await fetchRelayedAsync(relay);
      return this.#taken(taken, sabs);
    }
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

  // Tasks and shutdown. ------------------------------------------------------

  /**
   * Marks one item taken with `get()` as processed; `join()` returns once
   * every item put has been marked.
   *
   * @throws {RangeError} Called more times than items were put.
   */
  taskDone(): void {
    const w = this.#w;
    run(this.#lockSteps(newStep()));
    let wakeJoiners = false;
    try {
      const unfinished = w[Q_UNFINISHED] - 1;
      if (unfinished < 0) {
        throw new RangeError("taskDone() called too many times");
      }
      w[Q_UNFINISHED] = unfinished;
      wakeJoiners = unfinished === 0 && w[Q_JOINERS + EC_REGISTERED] > 0;
    } finally {
      unlockWord(w, Q_LOCK);
    }
    if (wakeJoiners) {
      wake(w, Q_JOINERS + EC_SEQ, Q_JOINERS + EC_ASLEEP, Infinity);
    }
  }

  *#lockSteps(step: Step): Protocol<void> {
    yield lockStep(step, this.#w, Q_LOCK, Infinity);
  }

  *#joinSteps(step: Step): Protocol<void> {
    const w = this.#w;
    yield lockStep(step, w, Q_LOCK, Infinity);
    try {
      while (w[Q_UNFINISHED] > 0) {
        yield* this.#sleep(Q_JOINERS, Infinity, step);
      }
    } finally {
      unlockWord(w, Q_LOCK);
    }
  }

  /** Blocks until every item put has been marked with `taskDone()`. */
  join(): void {
    run(this.#joinSteps(newStep()));
  }

  /**
   * Waits without blocking the event loop until every item is done.
   *
   * @param options An AbortSignal.
   * @throws {Error} (rejects) The signal's reason when aborted.
   */
  async joinAsync(options?: { signal?: AbortSignal }): Promise<void> {
    const signal = checkSignal(checkOptions(options)?.signal);
    signal?.throwIfAborted();
    await runAsync(this.#joinSteps(newStep()), signal);
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
    const w = this.#w;
    run(this.#lockSteps(newStep()));
    const dropped: number[] = [];
    try {
      w[Q_SHUTDOWN] = 1;
      if (immediate) {
        while (count(w, Q_INDEX) > 0) {
          const rec = this.#take();
          w[Q_BYTES] -= recordSize(rec);
          dropped.push(rec);
          if (w[Q_UNFINISHED] > 0) w[Q_UNFINISHED]--;
        }
      }
    } finally {
      unlockWord(w, Q_LOCK);
    }
    for (const rec of dropped) dropRecord(rec);
    for (const ec of [Q_GETTERS, Q_PUTTERS, Q_JOINERS]) {
      wake(w, ec + EC_SEQ, ec + EC_ASLEEP, Infinity);
    }
  }

  /**
   * How many items are queued (a snapshot).
   *
   * @returns The number of items.
   */
  qsize(): number {
    return Atomics.load(this.#w, Q_INDEX + INDEX_COUNT);
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
    const maxsize = this.#w[Q_MAXSIZE];
    return maxsize > 0 && this.qsize() >= maxsize;
  }

  /** The most items the queue holds (0: unbounded). */
  get maxsize(): number {
    return this.#w[Q_MAXSIZE];
  }
}

/** A queued item holds an instance of a class this thread has not loaded. */
class MissingClass extends Error {
  constructor(readonly ref: CodeRef) {
    super(notLoaded(ref));
  }
}

function orderOf(cls: unknown): number {
  for (
    let p = cls as { prototype: unknown } | null;
    p !== null && p !== Queue;
    p = Object.getPrototypeOf(p)
  ) {
    if (p === LifoQueue) return LIFO;
    if (p === PriorityQueue) return PRIORITY;
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
export class LifoQueue<T = unknown> extends Queue<T> {
  static {
    defineKind(K_LIFO_QUEUE, LifoQueue, queueRef, queueKind);
  }
}

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
   * @param options A comparator and a bound on the bytes of its items.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} Bad sizes.
   */
  constructor(maxsize = 0, options?: PriorityQueueOptions<T>) {
    super(maxsize, options);
  }

  static {
    defineKind(K_PRIORITY_QUEUE, PriorityQueue, queueRef, queueKind);
  }
}

/**
 * An unbounded FIFO queue without task tracking: Python's `queue.SimpleQueue`.
 * A `put()` never blocks: the storage grows.
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
  #ref: number;
  #queue: Queue<T>;

  /**
   * Creates a queue.
   *
   * @param options A bound on the bytes of its items.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} A bad `maxBytes`.
   */
  constructor(options?: QueueOptions) {
    let ref = adoption();
    if (ref !== 0) {
      this.#queue = adopt(K_QUEUE, heap().i32[ref + SIMPLE_QUEUE]) as Queue<T>;
    } else {
      this.#queue = new Queue<T>(0, options);
      ref = create(K_SIMPLE_QUEUE, SIMPLE_WORDS * 4);
      const inner = shareOf(this.#queue)!.ref;
      retain(inner);
      heap().i32[ref + SIMPLE_QUEUE] = inner;
    }
    this.#ref = ref;
    track(this, ref);
  }

  static {
    defineKind(K_SIMPLE_QUEUE, SimpleQueue, (q) => q.#ref, {
      destroy: (ref) => release(heap().i32[ref + SIMPLE_QUEUE]),
    });
  }

  /**
   * Puts an item; never waits (without `maxBytes`).
   *
   * @param item The item.
   * @param options A timeout for room under `maxBytes`.
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
