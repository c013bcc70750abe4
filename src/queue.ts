/**
 * Python's `queue` module across threads: {@linkcode Queue} (FIFO),
 * {@linkcode LifoQueue}, {@linkcode PriorityQueue} and {@linkcode SimpleQueue}.
 * Items travel through shared memory, so producers and consumers work while
 * any other thread (main included) is blocked.
 *
 * Instances of classes keep their class, when the class is exported from
 * its module (`put()` refuses an instance of one that is not, naming where
 * it is in the item). A synchronous `get()` finds the class when the
 * getting thread has loaded its module: a module on its stack, one this
 * library imported there (a thread's target module), what those import
 * (not an import used only for types, which loads nothing), and, in the
 * main thread, the program's entry module (the script `deno run` runs) once
 * its top level has finished, or, while the top level waits at an `await`,
 * from the next turn of the event loop. While the entry module's top level
 * runs synchronously (or a function it calls before its first `await`),
 * its own classes cannot be reached: declare them in a module of their own
 * that it imports. A `get()` that cannot rebuild an item still takes it: it
 * throws a TypeError that names the class, its module and what to do, with
 * the item's data in the error's `value` (such instances as plain objects),
 * so that nothing is lost and the items behind it come out; it counts for
 * `taskDone()` like any item taken. `getAsync()` imports the class's module
 * instead.
 *
 * @module
 */
import {
  type AcquireOptions,
  acquireTimeout,
  type AsyncAcquireOptions,
  checkInteger,
  checkOptions,
  deadlineOf,
  describeValue,
  liveSignal,
} from "./_core/validate.ts";
import {
  EC_REGISTERED,
  EC_SEQ,
  FIFO,
  K_LIFO_QUEUE,
  K_PRIORITY_QUEUE,
  K_QUEUE,
  LIFO,
  PRIORITY,
  Q_BYTES,
  Q_COMPARE,
  Q_COUNT,
  Q_GETTERS,
  Q_JOINERS,
  Q_LOCK,
  Q_MAX_BYTES,
  Q_MAXSIZE,
  Q_ORDER,
  Q_PUTTERS,
  Q_SHUTDOWN,
  Q_STORE,
  Q_UNFINISHED,
  Q_WORDS,
} from "./_core/layout.ts";
import {
  adoption,
  create,
  defineKind,
  type KindOptions,
  track,
} from "./_core/handles.ts";
import { free, heap, wordsAt } from "./_core/heap.ts";
import { discard, encodeRaw } from "./_codec/codec.ts";
import {
  type CodeRef,
  describe,
  resolve,
  resolveSync,
} from "./_locate/locate.ts";
import { callerModules } from "./_core/call_sites.ts";
import { blocking, observing, unblocked } from "./_observe/observe.ts";
import { WAIT_QUEUE } from "./_observe/trace_buffer.ts";
import {
  storeAdd,
  storeClear,
  storeDrop,
  storeNext,
} from "./_structures/queue_store.ts";
import {
  copyRecord,
  dropLoose,
  dropRecord,
  fetchLoose,
  type Loose,
  looseMissingClass,
  type Prepared,
  prepareRecord,
  readLoose,
  readLooseAsync,
  readRecordData,
  recordLength,
} from "./_codec/record.ts";
import {
  eventStep,
  lockStep,
  lockWord,
  newStep,
  type Protocol,
  run,
  runAsync,
  spinStep,
  type Step,
  tryLockWord,
  unlockWord,
  wakeAll,
  wakeOne,
} from "./_core/wait.ts";
import { QueueEmpty, QueueFull, QueueShutDown } from "./queue_errors.ts";
import {
  checkOrderable,
  loadCompare,
  naturalCompare,
  type Order,
  storeCompare,
} from "./_structures/priority_order.ts";

export { QueueEmpty, QueueFull, QueueShutDown };
export { SimpleQueue } from "./simple_queue.ts";

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

/** Every item still queued in the block `ref` (it is being destroyed). */
function destroyQueue(ref: number): void {
  const w = wordsAt(ref, Q_WORDS);
  storeClear(w, Q_STORE, w[Q_ORDER], dropRecord);
  if (w[Q_COMPARE] !== 0) free(w[Q_COMPARE]);
}

let queueRef: (q: Queue) => number;
let queueKind: KindOptions<Queue>;

// Items are copied out of shared memory under the lock and decoded after it,
// from this thread's buffer (a synchronous get), so the lock is held for
// copies only.
/** An item taken out (see copyRecord), and whom to wake (WAKE_ bits). */
interface Taken extends Loose {
  wake: number;
}

// Whom a put or a get wakes once it let the lock go: a waiting getter when
// there is an item for it, a waiting putter when there is room. Each woken
// waiter wakes the next while there is more (see wakeOne).
const WAKE_GETTER = 1;
const WAKE_PUTTER = 2;
const NO_BYTES = new Uint8Array(0);
/** A synchronous get's Taken, reused. */
const takenNow: Taken = { bytes: NO_BYTES, size: 0, relay: 0, wake: 0 };

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
    const order = orderOf(new.target);
    let ref = adoption(
      order === LIFO
        ? K_LIFO_QUEUE
        : order === PRIORITY
        ? K_PRIORITY_QUEUE
        : K_QUEUE,
    );
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

  #ordering(): Order {
    if (this.#compare !== undefined) return this.#compare;
    if (this.#compareRef === undefined) return naturalCompare;
    return this.#compare = resolveSync(this.#compareRef).fn as Order;
  }

  /**
   * Orders two queued items by value (decoded as data, and kept: an instance
   * of a class this thread cannot reach compares by its fields). Priority
   * queues only.
   */
  #compareItems = (a: number, b: number): number =>
    this.#ordering()(readRecordData(a), readRecordData(b));

  // Putting. ---------------------------------------------------------------

  /** An item, encoded: a record to write, reused until the next encode. */
  #encode(item: unknown): Prepared {
    if (this.#order === PRIORITY && this.#compareRef === undefined) {
      checkOrderable(item);
    }
    const encoded = encodeRaw(item, "item", callerModules);
    const max = this.#w[Q_MAX_BYTES];
    if (max !== 0 && encoded.length > max) {
      discard(encoded.buffer);
      throw new RangeError(
        `Item too large for this queue: ${encoded.length} bytes encoded, ` +
          `maxBytes is ${max}`,
      );
    }
    return prepareRecord(encoded);
  }

  #fits(size: number): boolean {
    const w = this.#w;
    const max = w[Q_MAX_BYTES];
    return (w[Q_MAXSIZE] === 0 || w[Q_COUNT] < w[Q_MAXSIZE]) &&
      (max === 0 || w[Q_BYTES] + size <= max);
  }

  /** Under the lock, with room: stores the item; whom to wake. */
  #add(item: Prepared): number {
    const w = this.#w;
    storeAdd(w, Q_STORE, this.#order, item, this.#compareItems);
    w[Q_BYTES] += item.length;
    w[Q_UNFINISHED]++;
    Atomics.store(w, Q_COUNT, w[Q_COUNT] + 1);
    return this.#whomToWake();
  }

  /** Under the lock: the waiters that can go on now (WAKE_ bits). */
  #whomToWake(): number {
    const w = this.#w;
    let wake = 0;
    if (w[Q_GETTERS + EC_REGISTERED] > 0 && w[Q_COUNT] > 0) wake |= WAKE_GETTER;
    if (w[Q_PUTTERS + EC_REGISTERED] > 0 && this.#fits(0)) wake |= WAKE_PUTTER;
    return wake;
  }

  #wake(wake: number): void {
    if ((wake & WAKE_GETTER) !== 0) wakeOne(this.#w, Q_GETTERS);
    if ((wake & WAKE_PUTTER) !== 0) wakeOne(this.#w, Q_PUTTERS);
  }

  /**
   * Under the lock: lets it go while this thread waits on eventcount `ec`
   * (spinning first while `w[spin] === expected`, unregistered, so that a
   * change meanwhile wakes nobody; spin -1: no spinning), until woken or
   * `deadline`. Takes the lock back, also when aborted.
   */
  *#sleep(
    ec: number,
    deadline: number,
    step: Step,
    spin: number,
    expected: number,
  ): Protocol<void> {
    const w = this.#w;
    if (spin >= 0) {
      unlockWord(w, Q_LOCK);
      const changed = yield spinStep(step, w, spin, expected);
      yield lockStep(step, w, Q_LOCK, Infinity);
      // A shutdown() meanwhile woke nobody (no one was registered).
      if (changed || w[spin] !== expected || w[Q_SHUTDOWN] === 1) return;
    }
    // Registered under the lock the caller checked its condition with: a
    // waker that changes it later sees the registration (letting the lock go
    // in between, with nothing to spin on, lost the wake of a taskDone() or a
    // get() that freed bytes).
    w[ec + EC_REGISTERED]++;
    const seq = Atomics.load(w, ec + EC_SEQ);
    unlockWord(w, Q_LOCK);
    let aborted: { reason: unknown } | undefined;
    const observed = observing();
    if (observed) blocking(this.#ref);
    try {
      yield eventStep(step, w, ec, seq, deadline);
    } catch (reason) {
      aborted = { reason };
    }
    if (observed) unblocked(this.#ref, WAIT_QUEUE);
    yield lockStep(step, w, Q_LOCK, Infinity);
    w[ec + EC_REGISTERED]--;
    if (aborted) throw aborted.reason;
  }

  /** Puts, once the item is encoded; whom to wake. */
  *#putSteps(item: Prepared, timeout: number, step: Step): Protocol<number> {
    const w = this.#w;
    const deadline = deadlineOf(timeout);
    yield lockStep(step, w, Q_LOCK, Infinity);
    try {
      for (;;) {
        if (w[Q_SHUTDOWN] === 1) throw new QueueShutDown();
        if (this.#fits(item.length)) return this.#add(item);
        if (timeout === 0 || performance.now() >= deadline) {
          throw new QueueFull();
        }
        const full = w[Q_MAXSIZE] > 0 && w[Q_COUNT] === w[Q_MAXSIZE];
        yield* this.#sleep(
          Q_PUTTERS,
          deadline,
          step,
          full ? Q_COUNT : -1,
          w[Q_MAXSIZE],
        );
      }
    } finally {
      unlockWord(w, Q_LOCK);
    }
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
    const encoded = this.#encode(item);
    const w = this.#w;
    let wake: number;
    try {
      // The queue's lock is held only to copy an item in or out: take it
      // blocking, as Python's queue takes its mutex whatever the timeout.
      if (!tryLockWord(w, Q_LOCK)) lockWord(w, Q_LOCK, Infinity);
      wake = this.#putLocked(encoded, timeout);
    } catch (error) {
      dropLoose(encoded);
      throw error;
    }
    if (wake !== 0) this.#wake(wake);
  }

  /** With the lock just taken: the put that needs no wait, or the protocol. */
  #putLocked(item: Prepared, timeout: number): number {
    const w = this.#w;
    try {
      if (w[Q_SHUTDOWN] === 1) throw new QueueShutDown();
      if (this.#fits(item.length)) return this.#add(item);
      if (timeout === 0) throw new QueueFull();
    } finally {
      unlockWord(w, Q_LOCK);
    }
    return run(this.#putSteps(item, timeout, newStep()));
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
    const signal = liveSignal(options?.signal);
    const encoded = this.#encode(item);
    // Its own copy: other code of this thread may encode while this waits.
    const own: Prepared = {
      bytes: encoded.bytes.slice(0, encoded.size),
      size: encoded.size,
      relay: encoded.relay,
      length: encoded.length,
    };
    let wake: number;
    try {
      wake = await runAsync(this.#putSteps(own, timeout, newStep()), signal);
    } catch (error) {
      dropLoose(own);
      throw error;
    }
    if (wake !== 0) this.#wake(wake);
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
    if (w[Q_SHUTDOWN] === 1 && w[Q_COUNT] === 0) throw new QueueShutDown();
  }

  /**
   * Under the lock, with an item: copies it out (into this thread's buffer,
   * or a fresh one) and removes it. Whatever it holds, it leaves the queue
   * (one that cannot be rebuilt leaves inside the get's error).
   */
  #take(fresh: boolean): Taken {
    const w = this.#w;
    const rec = storeNext(w, Q_STORE, this.#order);
    const taken = fresh
      ? { bytes: NO_BYTES, size: 0, relay: 0, wake: 0 }
      : takenNow;
    copyRecord(rec, taken, fresh);
    const length = recordLength(rec);
    storeDrop(w, Q_STORE, this.#order, this.#compareItems);
    w[Q_BYTES] -= length;
    Atomics.store(w, Q_COUNT, w[Q_COUNT] - 1);
    taken.wake = this.#whomToWake();
    return taken;
  }

  *#getSteps(
    deadline: number,
    nowait: boolean,
    fresh: boolean,
    step: Step,
  ): Protocol<Taken> {
    const w = this.#w;
    yield lockStep(step, w, Q_LOCK, Infinity);
    try {
      this.#checkGetShutdown();
      while (w[Q_COUNT] === 0) {
        if (nowait || performance.now() >= deadline) throw new QueueEmpty();
        yield* this.#sleep(Q_GETTERS, deadline, step, Q_COUNT, 0);
        this.#checkGetShutdown();
      }
      return this.#take(fresh);
    } finally {
      unlockWord(w, Q_LOCK);
    }
  }

  /** With the lock just taken: the get that needs no wait, or the protocol. */
  #getLocked(timeout: number): Taken {
    const w = this.#w;
    try {
      this.#checkGetShutdown();
      if (w[Q_COUNT] > 0) return this.#take(false);
      if (timeout === 0) throw new QueueEmpty();
    } finally {
      unlockWord(w, Q_LOCK);
    }
    return run(this.#getSteps(deadlineOf(timeout), false, false, newStep()));
  }

  /** After the lock: wakes who can go on, then decodes the item. */
  #taken(taken: Taken): T {
    if (taken.wake !== 0) this.#wake(taken.wake);
    return readLoose(taken) as T;
  }

  /**
   * Takes the next item, waiting while the queue is empty.
   *
   * An item holding an instance of a class this thread cannot reach now
   * (its module is not loaded here, or is the program's entry module while
   * its top level still runs: see the module's documentation) leaves the
   * queue all the same, inside the TypeError: `error.value` holds its data,
   * such instances as plain objects. It counts for `taskDone()` like any
   * item taken, and the items behind it come out as usual.
   *
   * @param options `blocking: false` or a `timeout` (ms) raise QueueEmpty
   * instead of waiting longer.
   * @returns The item.
   * @throws {QueueEmpty} No item in time.
   * @throws {QueueShutDown} The queue is shut down and empty.
   * @throws {TypeError} The item holds an instance of a class this thread
   * cannot reach now (the error names the class, its module and what to
   * do; the item is in its `value`).
   * @throws {RangeError} A negative timeout.
   */
  get(options?: AcquireOptions): T {
    const timeout = acquireTimeout(options);
    const w = this.#w;
    if (!tryLockWord(w, Q_LOCK)) lockWord(w, Q_LOCK, Infinity);
    return this.#taken(this.#getLocked(timeout));
  }

  /**
   * Takes the next item without blocking the event loop, importing the
   * modules of classes its item needs. An aborted call never takes an item.
   *
   * @param options As {@linkcode Queue.get}, plus an AbortSignal.
   * @returns The item.
   * @throws {QueueEmpty} (rejects) No item in time.
   * @throws {QueueShutDown} (rejects) Shut down and empty.
   * @throws {TypeError} (rejects) The item holds an instance of a class
   * that importing its module did not give: taken all the same, its data in
   * the error's `value`, as with {@linkcode Queue.get}.
   */
  async getAsync(options?: AsyncAcquireOptions): Promise<T> {
    const timeout = acquireTimeout(options);
    const signal = liveSignal(options?.signal);
    const taken = await runAsync(
      this.#getSteps(deadlineOf(timeout), timeout === 0, true, newStep()),
      signal,
    );
    await fetchLoose(taken, false);
    if (looseMissingClass(taken) === undefined) return this.#taken(taken);
    if (taken.wake !== 0) this.#wake(taken.wake);
    return await readLooseAsync(taken, true) as T;
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
    if (!tryLockWord(w, Q_LOCK)) lockWord(w, Q_LOCK, Infinity);
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
    if (wakeJoiners) wakeAll(w, Q_JOINERS);
  }

  *#joinSteps(step: Step): Protocol<void> {
    const w = this.#w;
    yield lockStep(step, w, Q_LOCK, Infinity);
    try {
      while (w[Q_UNFINISHED] > 0) {
        yield* this.#sleep(Q_JOINERS, Infinity, step, -1, 0);
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
    const signal = liveSignal(checkOptions(options)?.signal);
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
    if (!tryLockWord(w, Q_LOCK)) lockWord(w, Q_LOCK, Infinity);
    const dropped: Loose[] = [];
    try {
      w[Q_SHUTDOWN] = 1;
      if (immediate) {
        storeClear(w, Q_STORE, this.#order, (rec) => {
          const item = { bytes: NO_BYTES, size: 0, relay: 0 };
          copyRecord(rec, item, true);
          dropped.push(item);
        });
        w[Q_UNFINISHED] = Math.max(0, w[Q_UNFINISHED] - w[Q_COUNT]);
        w[Q_BYTES] = 0;
        Atomics.store(w, Q_COUNT, 0);
      }
    } finally {
      unlockWord(w, Q_LOCK);
    }
    for (const item of dropped) dropLoose(item);
    for (const ec of [Q_GETTERS, Q_PUTTERS, Q_JOINERS]) wakeAll(w, ec);
  }

  /**
   * How many items are queued (a snapshot).
   *
   * @returns The number of items.
   */
  qsize(): number {
    return Atomics.load(this.#w, Q_COUNT);
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
