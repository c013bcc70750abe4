/**
 * Counting semaphores: {@linkcode Semaphore} and {@linkcode BoundedSemaphore},
 * Python's, across threads.
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
} from "./_validate.ts";
import { spinBudget, spinPause, waitWord, waitWordAsync } from "./_wait.ts";
import {
  K_BOUNDED_SEMAPHORE,
  K_SEMAPHORE,
  SEM_INITIAL,
  SEM_VALUE,
  SEM_WAITERS,
  SEM_WORDS,
} from "./_layout.ts";
import { adoption, create, defineKind, track } from "./_handles.ts";
import { wordsAt } from "./_heap.ts";
import type { HoldAsyncOptions } from "./lock.ts";

function tryDecrement(w: Int32Array): boolean {
  for (
    let v = Atomics.load(w, SEM_VALUE);
    v > 0;
    v = Atomics.load(w, SEM_VALUE)
  ) {
    if (Atomics.compareExchange(w, SEM_VALUE, v, v - 1) === v) return true;
  }
  return false;
}

let wordsOf!: (s: Semaphore) => Int32Array;
let refOf!: (s: Semaphore) => number;

/**
 * A counter of available resources: `acquire()` takes one, waiting while
 * there is none; `release(n)` gives `n` back and wakes as many waiters.
 *
 * @example At most two holders at once
 * ```ts
 * import { Semaphore } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * assert.equal(slots.acquire(), true);
 * assert.equal(slots.tryAcquire(), true);
 * assert.equal(slots.acquire({ timeout: 10 }), false);
 * slots.release(2);
 * assert.equal(slots.value, 2);
 * ```
 */
export class Semaphore {
  #ref: number;
  #w: Int32Array;
  #held: Disposable | undefined;

  /**
   * Creates a semaphore.
   *
   * @param value The initial count (default 1).
   * @throws {TypeError} If `value` is not a number.
   * @throws {RangeError} If `value` is negative or not an integer.
   */
  constructor(value = 1) {
    let ref = adoption();
    if (ref === 0) {
      checkInteger(value, "value", 0);
      ref = create(
        new.target === BoundedSemaphore ? K_BOUNDED_SEMAPHORE : K_SEMAPHORE,
        SEM_WORDS * 4,
      );
      const w = wordsAt(ref, SEM_WORDS);
      w[SEM_VALUE] = value;
      w[SEM_INITIAL] = value;
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, SEM_WORDS);
    track(this, ref);
  }

  static {
    defineKind(K_SEMAPHORE, Semaphore, (s) => s.#ref);
    wordsOf = (s) => s.#w;
    refOf = (s) => s.#ref;
  }

  /**
   * Takes one unit, waiting while the count is 0.
   *
   * @param options `blocking: false` tries once; `timeout` (ms) bounds the
   * wait (negative counts as 0).
   * @returns Whether a unit was taken.
   * @throws {TypeError} `blocking: false` with a timeout, or wrong types.
   * @throws {RangeError} A timeout above `TIMEOUT_MAX`.
   */
  acquire(options?: AcquireOptions): boolean {
    const timeout = acquireTimeout(options, true);
    const w = this.#w;
    if (tryDecrement(w)) return true;
    if (timeout === 0) return false;
    const deadline = deadlineOf(timeout);
    // Spin unregistered, so that a release() meanwhile need not notify.
    for (let n = spinBudget(); n > 0; n--) {
      if (tryDecrement(w)) return true;
      spinPause();
    }
    Atomics.add(w, SEM_WAITERS, 1);
    try {
      for (;;) {
        if (tryDecrement(w)) return true;
        if (!waitWord(w, SEM_VALUE, 0, deadline, false)) return false;
      }
    } finally {
      Atomics.sub(w, SEM_WAITERS, 1);
    }
  }

  /**
   * Takes one unit without blocking the event loop.
   *
   * @param options As {@linkcode Semaphore.acquire}, plus an AbortSignal.
   * @returns Whether a unit was taken.
   * @throws {TypeError} (rejects) As {@linkcode Semaphore.acquire}; with the
   * signal's reason when aborted (no unit is then taken).
   */
  async acquireAsync(options?: AsyncAcquireOptions): Promise<boolean> {
    const timeout = acquireTimeout(options, true);
    const signal = checkSignal(options?.signal);
    signal?.throwIfAborted();
    const w = this.#w;
    if (tryDecrement(w)) return true;
    if (timeout === 0) return false;
    const deadline = deadlineOf(timeout);
    Atomics.add(w, SEM_WAITERS, 1);
    try {
      for (;;) {
        if (tryDecrement(w)) return true;
        if (performance.now() >= deadline) return false;
        await waitWordAsync(w, SEM_VALUE, 0, deadline, signal);
      }
    } finally {
      Atomics.sub(w, SEM_WAITERS, 1);
    }
  }

  /**
   * Takes one unit if there is one, without waiting.
   *
   * @returns Whether a unit was taken.
   */
  tryAcquire(): boolean {
    return tryDecrement(this.#w);
  }

  /**
   * Gives back `n` units and wakes up to `n` waiting threads.
   *
   * @param n How many units (default 1).
   * @throws {TypeError} If `n` is not a number.
   * @throws {RangeError} If `n` is less than 1 or not an integer.
   */
  release(n = 1): void {
    checkInteger(n, "n", 1);
    const w = this.#w;
    Atomics.add(w, SEM_VALUE, n);
    if (Atomics.load(w, SEM_WAITERS) > 0) Atomics.notify(w, SEM_VALUE, n);
  }

  /** The current count. */
  get value(): number {
    return Atomics.load(this.#w, SEM_VALUE);
  }

  /**
   * Takes one unit and returns a Disposable that gives it back:
   * `using _ = sem.hold();` is Python's `with sem:`.
   *
   * @returns The releasing Disposable.
   */
  hold(): Disposable {
    this.acquire();
    return this.#held ??= { [Symbol.dispose]: () => this.release() };
  }

  /**
   * The asynchronous twin of {@linkcode Semaphore.hold}.
   *
   * @param options An AbortSignal.
   * @returns The releasing Disposable.
   * @throws {Error} (rejects) The signal's reason when aborted.
   */
  async holdAsync(options?: HoldAsyncOptions): Promise<Disposable> {
    await this.acquireAsync({ signal: checkOptions(options)?.signal });
    return this.#held ??= { [Symbol.dispose]: () => this.release() };
  }

  /**
   * Python's repr: `<Semaphore value=2>`.
   *
   * @returns The count.
   */
  toString(): string {
    return `<${
      Object.getPrototypeOf(this).constructor.name
    } value=${this.value}>`;
  }
}

/**
 * A semaphore that refuses to be released above its initial value, which
 * catches releases without a matching acquire.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const sem = new BoundedSemaphore(1);
 * assert.throws(() => sem.release(), RangeError);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  static {
    defineKind(K_BOUNDED_SEMAPHORE, BoundedSemaphore, refOf);
  }

  /**
   * Gives back `n` units, unless that would exceed the initial value.
   *
   * @param n How many units (default 1).
   * @throws {RangeError} If the count would exceed the initial value
   * ("Semaphore released too many times"), or `n` < 1.
   * @throws {TypeError} If `n` is not a number.
   */
  override release(n = 1): void {
    checkInteger(n, "n", 1);
    const w = wordsOf(this);
    const initial = w[SEM_INITIAL];
    for (;;) {
      const v = Atomics.load(w, SEM_VALUE);
      if (v + n > initial) {
        throw new RangeError("Semaphore released too many times");
      }
      if (Atomics.compareExchange(w, SEM_VALUE, v, v + n) === v) break;
    }
    if (Atomics.load(w, SEM_WAITERS) > 0) Atomics.notify(w, SEM_VALUE, n);
  }
}
