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
  deadlineOf,
  liveSignal,
} from "./_core/validate.ts";
import {
  lockWord,
  newStep,
  type Protocol,
  run,
  runAsync,
  spinWhile,
  type Step,
  syncStep,
  unlockWord,
  waitStep,
} from "./_core/wait.ts";
import {
  K_BOUNDED_SEMAPHORE,
  K_SEMAPHORE,
  SEM_BIG,
  SEM_INITIAL,
  SEM_LARGE,
  SEM_MUTEX,
  SEM_VALUE,
  SEM_WAITERS,
  SEM_WORDS,
} from "./_core/layout.ts";
import { adoption, create, defineKind, track } from "./_core/handles.ts";
import { wordsAt } from "./_core/heap.ts";
import { blocking, instant, observing, unblocked } from "./_observe/observe.ts";
import { AT_RELEASE, WAIT_ACQUIRE } from "./_observe/trace_buffer.ts";
import {
  type HoldAsyncOptions,
  holdLock,
  holdLockAsync,
} from "./_core/hold.ts";

const MAX = Number.MAX_SAFE_INTEGER;

/** The float64 view of a semaphore's words. */
function large(w: Int32Array): Float64Array {
  return new Float64Array(w.buffer, w.byteOffset, SEM_WORDS >> 1);
}

/** Takes one unit if there is one. */
function tryDecrement(w: Int32Array): boolean {
  for (
    let v = Atomics.load(w, SEM_VALUE);
    v > 0;
    v = Atomics.load(w, SEM_VALUE)
  ) {
    if (v === SEM_BIG) return decrementLarge(w);
    if (Atomics.compareExchange(w, SEM_VALUE, v, v - 1) === v) return true;
  }
  return false;
}

/** The value is large: take a unit under the mutex (true, or retry small). */
function decrementLarge(w: Int32Array): boolean {
  lockWord(w, SEM_MUTEX, Infinity);
  try {
    if (Atomics.load(w, SEM_VALUE) !== SEM_BIG) return tryDecrement(w);
    const f = large(w);
    const next = f[SEM_LARGE >> 1] - 1;
    if (next < SEM_BIG) Atomics.store(w, SEM_VALUE, next);
    else f[SEM_LARGE >> 1] = next;
    return true;
  } finally {
    unlockWord(w, SEM_MUTEX);
  }
}

/**
 * Adds `n` units unless the value would pass `max` (then RangeError, the
 * value unchanged); wakes up to `n` waiters.
 */
function add(w: Int32Array, n: number, max: number, bounded: boolean): void {
  for (;;) {
    const v = Atomics.load(w, SEM_VALUE);
    if (v === SEM_BIG || v + n >= SEM_BIG) {
      addLarge(w, n, max, bounded);
      break;
    }
    if (v + n > max) tooMany(bounded);
    if (Atomics.compareExchange(w, SEM_VALUE, v, v + n) === v) break;
  }
  if (Atomics.load(w, SEM_WAITERS) > 0) Atomics.notify(w, SEM_VALUE, n);
}

function addLarge(
  w: Int32Array,
  n: number,
  max: number,
  bounded: boolean,
): void {
  lockWord(w, SEM_MUTEX, Infinity);
  try {
    const f = large(w);
    for (;;) {
      const v = Atomics.load(w, SEM_VALUE);
      if (v === SEM_BIG) {
        const next = f[SEM_LARGE >> 1] + n;
        if (next > max) tooMany(bounded);
        f[SEM_LARGE >> 1] = next;
        return;
      }
      // Small, and changing under fast-path callers: switch it over at once.
      if (v + n > max) tooMany(bounded);
      if (v + n < SEM_BIG) {
        if (Atomics.compareExchange(w, SEM_VALUE, v, v + n) === v) return;
        continue;
      }
      if (Atomics.compareExchange(w, SEM_VALUE, v, SEM_BIG) === v) {
        f[SEM_LARGE >> 1] = v + n;
        return;
      }
    }
  } finally {
    unlockWord(w, SEM_MUTEX);
  }
}

function tooMany(bounded: boolean): never {
  throw new RangeError(
    bounded
      ? "Semaphore released too many times"
      : "Cannot release the semaphore: its value would exceed " +
        "Number.MAX_SAFE_INTEGER",
  );
}

/** The value now. */
function valueOf(w: Int32Array): number {
  const v = Atomics.load(w, SEM_VALUE);
  if (v !== SEM_BIG) return v;
  lockWord(w, SEM_MUTEX, Infinity);
  try {
    const again = Atomics.load(w, SEM_VALUE);
    return again === SEM_BIG ? large(w)[SEM_LARGE >> 1] : again;
  } finally {
    unlockWord(w, SEM_MUTEX);
  }
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
   * @throws {RangeError} If `value` is negative, not an integer, or above
   * `Number.MAX_SAFE_INTEGER`.
   */
  constructor(value = 1) {
    const kind = new.target === BoundedSemaphore
      ? K_BOUNDED_SEMAPHORE
      : K_SEMAPHORE;
    let ref = adoption(kind);
    if (ref === 0) {
      checkInteger(value, "value", 0, MAX);
      ref = create(
        kind,
        SEM_WORDS * 4,
      );
      const w = wordsAt(ref, SEM_WORDS);
      const f = large(w);
      if (value < SEM_BIG) w[SEM_VALUE] = value;
      else {
        w[SEM_VALUE] = SEM_BIG;
        f[SEM_LARGE >> 1] = value;
      }
      f[SEM_INITIAL >> 1] = value;
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
    if (tryDecrement(this.#w)) return true;
    if (timeout === 0) return false;
    // Spin unregistered first, so that a release() meanwhile need not notify.
    if (spinWhile(this.#w, SEM_VALUE, 0) && tryDecrement(this.#w)) return true;
    return run(
      acquireSteps(this.#ref, this.#w, deadlineOf(timeout), syncStep()),
    );
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
    const signal = liveSignal(options?.signal);
    if (tryDecrement(this.#w)) return true;
    if (timeout === 0) return false;
    return await runAsync(
      acquireSteps(this.#ref, this.#w, deadlineOf(timeout), newStep()),
      signal,
    );
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
   * @throws {RangeError} If `n` is less than 1 or not an integer, or the
   * value would exceed `Number.MAX_SAFE_INTEGER` (then it is unchanged).
   */
  release(n = 1): void {
    checkInteger(n, "n", 1, MAX);
    add(this.#w, n, MAX, false);
    if (observing()) instant(this.#ref, AT_RELEASE);
  }

  /** The current count. */
  get value(): number {
    return valueOf(this.#w);
  }

  /**
   * Takes one unit for a block, Python's `with sem:`: `sem.hold(() => ...)`
   * runs the callback and gives the unit back (the fast form, also when it
   * throws); `using _ = sem.hold();` gives it back at the end of the block.
   *
   * @returns The releasing Disposable.
   */
  hold(): Disposable;
  /**
   * Runs `fn` holding one unit, and gives it back.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run (sync; for an async one, `holdAsync(fn)`).
   * @returns What `fn` returns.
   */
  hold<R>(fn: () => R): R;
  hold<R>(fn?: () => R): R | Disposable {
    return holdLock(
      this,
      this.#held ??= {
        [Symbol.dispose]: () => this.release(),
      },
      fn,
    );
  }

  /**
   * The asynchronous twin of {@linkcode Semaphore.hold}.
   *
   * @param options An AbortSignal: aborting rejects with its reason (no
   * unit is then taken).
   * @returns The releasing Disposable.
   */
  holdAsync(options?: HoldAsyncOptions): Promise<Disposable>;
  /**
   * Runs `fn` (which may be async) holding one unit.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run.
   * @param options An AbortSignal, for the wait for a unit.
   * @returns The promise of what `fn` returns.
   */
  holdAsync<R>(fn: () => R, options?: HoldAsyncOptions): Promise<Awaited<R>>;
  holdAsync<R>(
    fnOrOptions?: (() => R) | HoldAsyncOptions,
    options?: HoldAsyncOptions,
  ): Promise<Awaited<R> | Disposable> {
    return holdLockAsync(
      this,
      this.#held ??= {
        [Symbol.dispose]: () => this.release(),
      },
      fnOrOptions,
      options,
    );
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
    checkInteger(n, "n", 1, MAX);
    const w = wordsOf(this);
    add(w, n, large(w)[SEM_INITIAL >> 1], true);
    if (observing()) instant(refOf(this), AT_RELEASE);
  }
}

/**
 * Takes a unit of the semaphore whose words are `w`, sleeping until
 * `deadline`; whether it did. (A blocking acquire spins before, and one that
 * the spin ends is not observed.)
 */
function* acquireSteps(
  ref: number,
  w: Int32Array,
  deadline: number,
  step: Step,
): Protocol<boolean> {
  const observed = observing();
  if (observed) blocking(ref);
  Atomics.add(w, SEM_WAITERS, 1);
  try {
    for (;;) {
      if (tryDecrement(w)) return true;
      if (!(yield waitStep(step, w, SEM_VALUE, 0, deadline, false))) {
        return false;
      }
    }
  } finally {
    Atomics.sub(w, SEM_WAITERS, 1);
    if (observed) unblocked(ref, WAIT_ACQUIRE);
  }
}
