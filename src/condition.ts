/**
 * {@linkcode Condition}: Python's `threading.Condition`, across threads.
 *
 * @module
 */
import { ThreadError } from "./errors.ts";
import {
  type AcquireOptions,
  type AsyncAcquireOptions,
  deadlineOf,
  describeValue,
  lenientTimeout,
} from "./_validate.ts";
import { spinWhile, waitWord, waitWordAsync } from "./_futex.ts";
import {
  COND_CAPACITY,
  COND_ENTRIES,
  COND_HEAD,
  COND_LENGTH,
  COND_QUEUE,
  COND_WORDS,
  ENTRY_CANCELLED,
  ENTRY_FREE,
  ENTRY_NOTIFIED,
  ENTRY_PARKED,
  ENTRY_WAITING,
} from "./_layout.ts";
import { decode, encode, registerShareable, words } from "./_marshal.ts";
import {
  _acquireRestore,
  _acquireRestoreAsync,
  _isOwned,
  _releaseSave,
  type HoldAsyncOptions,
  Lock,
  RLock,
} from "./lock.ts";

let waitAsyncSignal!: (
  cond: Condition,
  timeout: number,
  signal: AbortSignal | undefined,
) => Promise<boolean>;

/**
 * Internal: {@linkcode Condition.waitAsync} that an AbortSignal can stop.
 * `timeout` is already checked (Infinity for forever).
 */
export function _waitAsync(
  cond: Condition,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  return waitAsyncSignal(cond, timeout, signal);
}

/**
 * Moves a queued entry that still waits (spinning or parked) to `to`, once;
 * returns the state it had, so that exactly one of a notifier and a timing-out
 * waiter decides its fate.
 */
function settle(w: Int32Array, at: number, to: number): number {
  for (;;) {
    const state = Atomics.load(w, at);
    if (state !== ENTRY_WAITING && state !== ENTRY_PARKED) return state;
    if (Atomics.compareExchange(w, at, state, to) === state) return state;
  }
}

/** Set while a handle is rebuilt in another thread. */
let adopting: { w: Int32Array; lock: Lock | RLock } | undefined;

/**
 * A condition variable: threads wait on it until another thread notifies
 * them, while holding its lock around the shared state they look at.
 * `notify(n)` wakes exactly n of the current waiters (the oldest first);
 * a wait returns `false` only on timeout.
 *
 * @example A producer and a consumer
 * ```ts
 * import { Condition, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const cond = new Condition();
 * const box = new Int32Array(new SharedArrayBuffer(4));
 * const consumer = new Thread({
 *   target: (c: Condition, b: Int32Array) => {
 *     using _ = c.hold();
 *     c.waitFor(() => b[0] !== 0);
 *     b[0] *= 2;
 *   },
 *   args: [cond, box],
 * });
 * consumer.start();
 * {
 *   using _ = cond.hold();
 *   box[0] = 21;
 *   cond.notify();
 * }
 * consumer.join();
 * assert.equal(box[0], 42);
 * ```
 */
export class Condition {
  #w: Int32Array;
  #lock: Lock | RLock;
  #hint = 0;

  /**
   * Creates a condition over `lock` (default: a new RLock).
   *
   * @param lock The Lock or RLock that guards the shared state.
   * @throws {TypeError} If `lock` is neither a Lock nor an RLock.
   */
  constructor(lock?: Lock | RLock) {
    const adopt = adopting;
    adopting = undefined;
    if (adopt !== undefined) {
      this.#w = adopt.w;
      this.#lock = adopt.lock;
      return;
    }
    if (
      lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)
    ) {
      throw new TypeError(
        `lock must be a Lock or an RLock, got ${describeValue(lock)}`,
      );
    }
    this.#lock = lock ?? new RLock();
    this.#w = words(COND_WORDS);
  }

  static {
    waitAsyncSignal = (c, timeout, signal) =>
      c.#waitAsync(deadlineOf(timeout), signal);
    registerShareable(
      "Condition",
      Condition,
      (c) => [c.#w, encode(c.#lock, "lock", [])],
      (state) => {
        const [w, lock] = state as [Int32Array, unknown];
        adopting = { w, lock: decode(lock) as Lock | RLock };
        return new Condition();
      },
    );
  }

  /**
   * Acquires the underlying lock.
   *
   * @param options As the lock's `acquire()`.
   * @returns Whether the lock was acquired.
   */
  acquire(options?: AcquireOptions): boolean {
    return this.#lock.acquire(options);
  }

  /**
   * Acquires the underlying lock without blocking the event loop.
   *
   * @param options As the lock's `acquireAsync()`.
   * @returns Whether the lock was acquired.
   */
  acquireAsync(options?: AsyncAcquireOptions): Promise<boolean> {
    return this.#lock.acquireAsync(options);
  }

  /**
   * Acquires the underlying lock if it is free.
   *
   * @returns Whether the lock was acquired.
   */
  tryAcquire(): boolean {
    return this.#lock.tryAcquire();
  }

  /**
   * Releases the underlying lock.
   *
   * @throws {ThreadError} As the lock's `release()`.
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Whether the underlying lock is held.
   *
   * @returns `true` when locked.
   */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Acquires the underlying lock for a `using` block: Python's `with cond:`.
   *
   * @returns The releasing Disposable.
   */
  hold(): Disposable {
    return this.#lock.hold();
  }

  /**
   * The asynchronous twin of {@linkcode Condition.hold}.
   *
   * @param options An AbortSignal.
   * @returns The releasing Disposable.
   */
  holdAsync(options?: HoldAsyncOptions): Promise<Disposable> {
    return this.#lock.holdAsync(options);
  }

  #checkOwned(what: string): void {
    if (!_isOwned(this.#lock)) {
      throw new ThreadError(`cannot ${what} on un-acquired lock`);
    }
  }

  /** Takes a free entry and queues it; under the lock. */
  #enqueue(): number {
    const w = this.#w;
    const length = w[COND_LENGTH];
    if (length >= COND_CAPACITY) {
      throw new ThreadError(
        `too many waiters on one Condition (at most ${COND_CAPACITY})`,
      );
    }
    let entry = this.#hint;
    while (Atomics.load(w, COND_ENTRIES + entry) !== ENTRY_FREE) {
      entry = (entry + 1) % COND_CAPACITY;
    }
    this.#hint = (entry + 1) % COND_CAPACITY;
    Atomics.store(w, COND_ENTRIES + entry, ENTRY_WAITING);
    w[COND_QUEUE + (w[COND_HEAD] + length) % COND_CAPACITY] = entry;
    w[COND_LENGTH] = length + 1;
    return entry;
  }

  /** After a wait: unqueues a cancelled entry and frees it; under the lock. */
  #finish(entry: number): boolean {
    const w = this.#w;
    const notified = Atomics.load(w, COND_ENTRIES + entry) === ENTRY_NOTIFIED;
    if (!notified) {
      const head = w[COND_HEAD];
      const length = w[COND_LENGTH];
      let kept = 0;
      for (let i = 0; i < length; i++) {
        const e = w[COND_QUEUE + (head + i) % COND_CAPACITY];
        if (e !== entry) w[COND_QUEUE + (head + kept++) % COND_CAPACITY] = e;
      }
      w[COND_LENGTH] = kept;
    }
    Atomics.store(w, COND_ENTRIES + entry, ENTRY_FREE);
    return notified;
  }

  /**
   * Releases the lock, sleeps until notified or until `timeout` ms pass, and
   * takes the lock back (at every level of an RLock).
   *
   * @param timeout Milliseconds to wait at most (default: forever; negative
   * counts as 0).
   * @returns `false` if it timed out, `true` if notified.
   * @throws {ThreadError} If the calling thread does not hold the lock.
   * @throws {TypeError} If `timeout` is not a number.
   */
  wait(timeout?: number): boolean {
    const deadline = deadlineOf(lenientTimeout(timeout));
    this.#checkOwned("wait");
    const w = this.#w;
    const entry = this.#enqueue();
    const at = COND_ENTRIES + entry;
    const saved = _releaseSave(this.#lock);
    try {
      // Spin as WAITING (a notify() then needs no Atomics.notify), then say
      // PARKED before sleeping, so that a notify() from now on wakes us.
      if (
        !spinWhile(w, at, ENTRY_WAITING) &&
        Atomics.compareExchange(w, at, ENTRY_WAITING, ENTRY_PARKED) ===
          ENTRY_WAITING
      ) {
        while (Atomics.load(w, at) === ENTRY_PARKED) {
          if (!waitWord(w, at, ENTRY_PARKED, deadline, false)) {
            settle(w, at, ENTRY_CANCELLED);
          }
        }
      }
    } finally {
      _acquireRestore(this.#lock, saved);
    }
    return this.#finish(entry);
  }

  /**
   * The asynchronous twin of {@linkcode Condition.wait}.
   *
   * @param timeout Milliseconds to wait at most (default: forever).
   * @returns `false` if it timed out, `true` if notified.
   * @throws {ThreadError} (rejects) If the lock is not held.
   */
  async waitAsync(timeout?: number): Promise<boolean> {
    return await this.#waitAsync(
      deadlineOf(lenientTimeout(timeout)),
      undefined,
    );
  }

  /** Waits asynchronously; aborted, it takes the lock back and rejects. */
  async #waitAsync(
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    this.#checkOwned("wait");
    const w = this.#w;
    const entry = this.#enqueue();
    const at = COND_ENTRIES + entry;
    const saved = _releaseSave(this.#lock);
    let aborted: { reason: unknown } | undefined;
    try {
      Atomics.compareExchange(w, at, ENTRY_WAITING, ENTRY_PARKED);
      while (Atomics.load(w, at) === ENTRY_PARKED) {
        if (performance.now() >= deadline) {
          settle(w, at, ENTRY_CANCELLED);
        } else {
          await waitWordAsync(w, at, ENTRY_PARKED, deadline, signal);
        }
      }
    } catch (reason) {
      aborted = { reason };
      settle(w, at, ENTRY_CANCELLED);
    } finally {
      await _acquireRestoreAsync(this.#lock, saved);
    }
    const notified = this.#finish(entry);
    if (aborted === undefined) return notified;
    // A notification this aborted wait received goes to another waiter.
    if (notified) this.notify();
    throw aborted.reason;
  }

  /**
   * Waits until `predicate()` is truthy, re-checking after each
   * notification, at most `timeout` ms in all.
   *
   * @param predicate Checked with the lock held.
   * @param timeout Milliseconds to wait at most (default: forever).
   * @returns The predicate's last value (falsy after a timeout).
   * @throws {ThreadError} If the calling thread does not hold the lock.
   * @throws {TypeError} If `predicate` is not a function.
   */
  waitFor(predicate: () => unknown, timeout?: number): unknown {
    const deadline = this.#checkWaitFor(predicate, timeout);
    let result = predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      this.wait(left === Infinity ? undefined : left);
      result = predicate();
    }
    return result;
  }

  /**
   * The asynchronous twin of {@linkcode Condition.waitFor}.
   *
   * @param predicate Checked with the lock held.
   * @param timeout Milliseconds to wait at most (default: forever).
   * @returns The predicate's last value.
   */
  async waitForAsync(
    predicate: () => unknown,
    timeout?: number,
  ): Promise<unknown> {
    const deadline = this.#checkWaitFor(predicate, timeout);
    let result = predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.waitAsync(left === Infinity ? undefined : left);
      result = predicate();
    }
    return result;
  }

  #checkWaitFor(predicate: unknown, timeout: unknown): number {
    if (typeof predicate !== "function") {
      throw new TypeError(
        `predicate must be a function, got ${describeValue(predicate)}`,
      );
    }
    const deadline = deadlineOf(lenientTimeout(timeout));
    this.#checkOwned("wait");
    return deadline;
  }

  /**
   * Wakes at most `n` threads waiting on this condition (the oldest first).
   * The woken threads return from `wait()` once they get the lock back.
   *
   * @param n How many to wake (default 1).
   * @throws {ThreadError} If the calling thread does not hold the lock.
   * @throws {TypeError} If `n` is not a number.
   * @throws {RangeError} If `n` is negative or not an integer.
   */
  notify(n = 1): void {
    if (typeof n !== "number") {
      throw new TypeError(`n must be a number, got ${describeValue(n)}`);
    }
    if (!(Number.isInteger(n) || n === Infinity) || n < 0) {
      throw new RangeError(`n must be a non-negative integer, got ${n}`);
    }
    this.#checkOwned("notify");
    const w = this.#w;
    let head = w[COND_HEAD];
    let length = w[COND_LENGTH];
    while (n > 0 && length > 0) {
      const at = COND_ENTRIES + w[COND_QUEUE + head];
      head = (head + 1) % COND_CAPACITY;
      length--;
      // A waiter that timed out meanwhile does not count; one still
      // spinning needs no Atomics.notify.
      const was = settle(w, at, ENTRY_NOTIFIED);
      if (was === ENTRY_PARKED) Atomics.notify(w, at, 1);
      if (was === ENTRY_PARKED || was === ENTRY_WAITING) n--;
    }
    w[COND_HEAD] = head;
    w[COND_LENGTH] = length;
  }

  /**
   * Wakes every thread waiting on this condition.
   *
   * @throws {ThreadError} If the calling thread does not hold the lock.
   */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /**
   * Python's repr: `<Condition(<unlocked RLock ...>, 0)>`.
   *
   * @returns The lock and the number of waiters.
   */
  toString(): string {
    return `<Condition(${this.#lock}, ${Atomics.load(this.#w, COND_LENGTH)})>`;
  }
}
