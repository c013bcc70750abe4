/**
 * {@linkcode Condition}: Python's `threading.Condition`, across threads.
 *
 * @module
 */
import { ThreadError } from "./errors.ts";
import {
  type AcquireOptions,
  type AsyncAcquireOptions,
  checkOptions,
  deadlineOf,
  describeValue,
  lenientTimeout,
  liveSignal,
} from "./_core/validate.ts";
import {
  lockStep,
  newStep,
  type Protocol,
  run,
  runAsync,
  spinStep,
  type Step,
  syncStep,
  tryLockWord,
  waitStep,
} from "./_core/wait.ts";
import { blocking, instant, observing, unblocked } from "./_observe/observe.ts";
import {
  AT_NOTIFY,
  WAIT_ACQUIRE,
  WAIT_CONDITION,
} from "./_observe/trace_buffer.ts";
import {
  COND_COUNT,
  COND_HEAD,
  COND_LOCK_KIND,
  COND_LOCK_REF,
  COND_TAIL,
  COND_WORDS,
  ENTRY_CANCELLED,
  ENTRY_NOTIFIED,
  ENTRY_PARKED,
  ENTRY_WAITING,
  K_CONDITION,
  K_RAW,
  N_LINKED,
  N_NEXT,
  N_PREV,
  N_STATE,
  NODE_WORDS,
} from "./_core/layout.ts";
import {
  adopt,
  adoption,
  create,
  defineKind,
  release,
  retain,
  shareOf,
  track,
} from "./_core/handles.ts";
import { alloc, free, heap, wordsAt } from "./_core/heap.ts";
import {
  _isOwned,
  _lockWordOf,
  _releaseSave,
  _retaken,
  type HoldAsyncOptions,
  Lock,
  RLock,
} from "./lock.ts";

/**
 * Moves a queued node that still waits (spinning or parked) to `to`, once;
 * returns the state it had, so that exactly one of a notifier and a timing-out
 * waiter decides its fate.
 */
function settle(node: Int32Array, to: number): number {
  for (;;) {
    const state = Atomics.load(node, N_STATE);
    if (state !== ENTRY_WAITING && state !== ENTRY_PARKED) return state;
    if (Atomics.compareExchange(node, N_STATE, state, to) === state) {
      return state;
    }
  }
}

/**
 * Sleeps on a waiter's `node` until it is notified or `deadline` passes
 * (then it is cancelled: a notify() skips it). It says PARKED before
 * sleeping, so that a notify() from then on wakes it (a blocking wait spins
 * as WAITING before). Aborted, it is cancelled too.
 */
function* sleepSteps(
  node: Int32Array,
  deadline: number,
  step: Step,
): Protocol<void> {
  if (
    Atomics.compareExchange(node, N_STATE, ENTRY_WAITING, ENTRY_PARKED) !==
      ENTRY_WAITING
  ) return;
  try {
    while (Atomics.load(node, N_STATE) === ENTRY_PARKED) {
      if (
        !(yield waitStep(step, node, N_STATE, ENTRY_PARKED, deadline, false))
      ) {
        settle(node, ENTRY_CANCELLED);
      }
    }
  } catch (reason) {
    settle(node, ENTRY_CANCELLED);
    throw reason;
  }
}

let waitSteps: (
  cond: Condition,
  deadline: number,
  step: Step,
) => Protocol<boolean>;

/**
 * Internal: a wait on `cond` as a protocol, for a primitive built on a
 * Condition (Barrier) that runs its whole wait as one protocol. The caller
 * holds the condition's lock.
 */
export function _waitSteps(
  cond: Condition,
  deadline: number,
  step: Step,
): Protocol<boolean> {
  return waitSteps(cond, deadline, step);
}

let lockOf: (cond: Condition) => Lock | RLock;

/** Internal: the lock of `cond`. */
export function _lockOf(cond: Condition): Lock | RLock {
  return lockOf(cond);
}

/**
 * A condition variable: threads wait on it until another thread notifies
 * them, while holding its lock around the shared state they look at.
 * `notify(n)` wakes exactly n of the current waiters (the oldest first);
 * a wait returns `false` only on timeout. Any number of threads may wait.
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
  #ref: number;
  #w: Int32Array;
  #lock: Lock | RLock;

  /**
   * Creates a condition over `lock` (default: a new RLock).
   *
   * @param lock The Lock or RLock that guards the shared state.
   * @throws {TypeError} If `lock` is neither a Lock nor an RLock.
   */
  constructor(lock?: Lock | RLock) {
    let ref = adoption(K_CONDITION);
    if (ref !== 0) {
      const w = wordsAt(ref, COND_WORDS);
      this.#lock = adopt(w[COND_LOCK_KIND], w[COND_LOCK_REF]) as Lock | RLock;
    } else {
      if (
        lock !== undefined && !(lock instanceof Lock) &&
        !(lock instanceof RLock)
      ) {
        throw new TypeError(
          `lock must be a Lock or an RLock, got ${describeValue(lock)}`,
        );
      }
      this.#lock = lock ?? new RLock();
      const { kind, ref: lockRef } = shareOf(this.#lock)!;
      ref = create(K_CONDITION, COND_WORDS * 4);
      const w = wordsAt(ref, COND_WORDS);
      w[COND_LOCK_KIND] = kind;
      w[COND_LOCK_REF] = lockRef;
      retain(lockRef);
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, COND_WORDS);
    track(this, ref);
  }

  static {
    waitSteps = (c, deadline, step) => c.#waitSteps(deadline, step);
    lockOf = (c) => c.#lock;
    defineKind(
      K_CONDITION,
      Condition,
      (c) => c.#ref,
      { destroy: (ref) => release(heap().i32[ref + COND_LOCK_REF]) },
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
   * Acquires the underlying lock for a block, Python's `with cond:`:
   * `cond.hold(() => ...)` runs the callback with the lock held (the fast
   * form), `using _ = cond.hold();` holds it to the end of the block.
   *
   * @returns The releasing Disposable.
   */
  hold(): Disposable;
  /**
   * Runs `fn` with the underlying lock held, and releases it.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run (sync; for an async one, `holdAsync(fn)`).
   * @returns What `fn` returns.
   */
  hold<R>(fn: () => R): R;
  hold<R>(fn?: () => R): R | Disposable {
    return fn === undefined ? this.#lock.hold() : this.#lock.hold(fn);
  }

  /**
   * The asynchronous twin of {@linkcode Condition.hold}.
   *
   * @param options An AbortSignal.
   * @returns The releasing Disposable.
   */
  holdAsync(options?: HoldAsyncOptions): Promise<Disposable>;
  /**
   * Runs `fn` (which may be async) with the underlying lock held.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run.
   * @param options An AbortSignal, for the wait for the lock.
   * @returns The promise of what `fn` returns.
   */
  holdAsync<R>(fn: () => R, options?: HoldAsyncOptions): Promise<Awaited<R>>;
  holdAsync<R>(
    fnOrOptions?: (() => R) | HoldAsyncOptions,
    options?: HoldAsyncOptions,
  ): Promise<Awaited<R> | Disposable> {
    return typeof fnOrOptions === "function"
      ? this.#lock.holdAsync(fnOrOptions, options)
      : this.#lock.holdAsync(fnOrOptions);
  }

  #checkOwned(what: string): void {
    if (!_isOwned(this.#lock)) {
      throw new ThreadError(`cannot ${what} on un-acquired lock`);
    }
  }

  /** Queues a new waiter node at the tail; under the lock. */
  #enqueue(): Int32Array {
    const w = this.#w;
    const ref = alloc(NODE_WORDS * 4, K_RAW);
    const node = wordsAt(ref, NODE_WORDS);
    Atomics.store(node, N_STATE, ENTRY_WAITING);
    node[N_LINKED] = 1;
    const tail = w[COND_TAIL];
    node[N_PREV] = tail;
    if (tail === 0) w[COND_HEAD] = ref;
    else heap().i32[tail + N_NEXT] = ref;
    w[COND_TAIL] = ref;
    w[COND_COUNT]++;
    return node;
  }

  /** Takes `ref` out of the list; under the lock. */
  #unlink(ref: number): void {
    const w = this.#w;
    const h = heap().i32;
    const prev = h[ref + N_PREV];
    const next = h[ref + N_NEXT];
    if (prev === 0) w[COND_HEAD] = next;
    else h[prev + N_NEXT] = next;
    if (next === 0) w[COND_TAIL] = prev;
    else h[next + N_PREV] = prev;
    h[ref + N_LINKED] = 0;
    w[COND_COUNT]--;
  }

  /** After a wait, under the lock again: whether it was notified; frees the node. */
  #finish(node: Int32Array): boolean {
    const ref = node.byteOffset / 4;
    const notified = Atomics.load(node, N_STATE) === ENTRY_NOTIFIED;
    if (node[N_LINKED] === 1) this.#unlink(ref);
    free(ref);
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
    return run(this.#waitSteps(deadline, syncStep()));
  }

  /**
   * The asynchronous twin of {@linkcode Condition.wait}. Aborted, it takes
   * the lock back and rejects; a notification it received meanwhile goes to
   * another waiter.
   *
   * @param timeout Milliseconds to wait at most (default: forever).
   * @param options An AbortSignal: aborting rejects with its reason.
   * @returns `false` if it timed out, `true` if notified.
   * @throws {ThreadError} (rejects) If the lock is not held.
   */
  async waitAsync(
    timeout?: number,
    options?: { signal?: AbortSignal },
  ): Promise<boolean> {
    const deadline = deadlineOf(lenientTimeout(timeout));
    const signal = liveSignal(checkOptions(options)?.signal);
    this.#checkOwned("wait");
    return await runAsync(this.#waitSteps(deadline, newStep()), signal);
  }

  /**
   * A wait, as a protocol (the lock held by the caller, checked): releases
   * the lock, sleeps until notified or `deadline`, takes the lock back.
   * Aborted, it takes the lock back, passes on a notification it got, and
   * throws the reason.
   */
  *#waitSteps(deadline: number, step: Step): Protocol<boolean> {
    const node = this.#enqueue();
    const saved = _releaseSave(this.#lock);
    const observed = observing();
    if (observed) blocking(this.#ref);
    let aborted: { reason: unknown } | undefined;
    try {
      // Spin as WAITING first: a notify() then needs no Atomics.notify.
      if (!(yield spinStep(step, node, N_STATE, ENTRY_WAITING))) {
        yield* sleepSteps(node, deadline, step);
      }
    } catch (reason) {
      aborted = { reason };
    } finally {
      if (observed) unblocked(this.#ref, WAIT_CONDITION);
    }
    const { words, index, ref } = _lockWordOf(this.#lock);
    if (!tryLockWord(words, index)) {
      const watched = observing();
      if (watched) blocking(ref);
      try {
        yield lockStep(step, words, index, Infinity);
      } finally {
        if (watched) unblocked(ref, WAIT_ACQUIRE);
      }
    }
    _retaken(this.#lock, saved);
    const notified = this.#finish(node);
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
   * @param options An AbortSignal: aborting rejects with its reason, with
   * the lock held again.
   * @returns The predicate's last value.
   */
  async waitForAsync(
    predicate: () => unknown,
    timeout?: number,
    options?: { signal?: AbortSignal },
  ): Promise<unknown> {
    const deadline = this.#checkWaitFor(predicate, timeout);
    const signal = liveSignal(checkOptions(options)?.signal);
    let result = predicate();
    while (!result) {
      if (performance.now() >= deadline) break;
      await runAsync(this.#waitSteps(deadline, newStep()), signal);
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
    if (observing()) instant(this.#ref, AT_NOTIFY);
    const w = this.#w;
    while (n > 0 && w[COND_HEAD] !== 0) {
      const ref = w[COND_HEAD];
      this.#unlink(ref);
      // A waiter that timed out meanwhile does not count; one still
      // spinning needs no Atomics.notify. The waiter frees its node only
      // once it holds the lock again, so the node outlives this.
      const node = wordsAt(ref, NODE_WORDS);
      const was = settle(node, ENTRY_NOTIFIED);
      if (was === ENTRY_PARKED) Atomics.notify(node, N_STATE, 1);
      if (was === ENTRY_PARKED || was === ENTRY_WAITING) n--;
    }
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
    return `<Condition(${this.#lock}, ${Atomics.load(this.#w, COND_COUNT)})>`;
  }
}
