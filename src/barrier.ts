/**
 * {@linkcode Barrier}: Python's `threading.Barrier`, across threads.
 *
 * @module
 */
import { BrokenBarrierError } from "./errors.ts";
import {
  checkInteger,
  checkOptions,
  deadlineOf,
  describeValue,
  lenientTimeout,
  liveSignal,
} from "./_core/validate.ts";
import {
  BARRIER_ACTION,
  BARRIER_COND,
  BARRIER_COUNT,
  BARRIER_PARTIES,
  BARRIER_STATE,
  BARRIER_TIMEOUT,
  BARRIER_WORDS,
  K_BARRIER,
  K_CONDITION,
  K_RAW,
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
import { alloc, bytesAt, free, heap, wordsAt } from "./_core/heap.ts";
import { decode, encode } from "./_codec/codec.ts";
import {
  type CodeRef,
  describe,
  resolve,
  resolveSync,
} from "./_locate/locate.ts";
import { callerModules } from "./_core/call_sites.ts";
import { _lockOf, _waitSteps, Condition } from "./condition.ts";
import { _lockWordOf, Lock } from "./lock.ts";
import {
  lockStep,
  newStep,
  type Protocol,
  run,
  runAsync,
  type Step,
  syncStep,
  unlockWord,
} from "./_core/wait.ts";

/** Options of {@linkcode Barrier}. */
export interface BarrierOptions {
  /**
   * Run by the last thread to arrive, before any is released. Like a thread
   * target, it must be exported from an importable module, or self-contained.
   */
  action?: () => unknown;
  /** The default timeout of `wait()`, in milliseconds (default: forever). */
  timeout?: number;
}

const FILLING = 0;
const DRAINING = 1;
const RESETTING = -1;
const BROKEN = -2;

/** Stores the description of a barrier's action in a block of its own. */
function storeAction(ref: CodeRef): number {
  const { bytes } = encode(ref, "action", () => []);
  const block = alloc(4 + bytes.length, K_RAW);
  heap().i32[block] = bytes.length;
  bytesAt(block + 1, bytes.length).set(bytes);
  return block;
}

function loadAction(block: number): CodeRef {
  return decode(bytesAt(block + 1, heap().i32[block]), [], false) as CodeRef;
}

/**
 * A meeting point for a fixed number of threads: each `wait()` blocks until
 * `parties` threads have called it, then all are released together, and the
 * barrier is ready for the next round. A timeout, `abort()` or a failing
 * action breaks it: every waiter gets a BrokenBarrierError until `reset()`.
 *
 * @example Three threads meet
 * ```ts
 * import { Barrier, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(3);
 * const seen = new Int32Array(new SharedArrayBuffer(12));
 * const threads = [0, 1].map(() =>
 *   new Thread({
 *     target: (b: Barrier, s: Int32Array) => Atomics.store(s, b.wait(), 1),
 *     args: [barrier, seen],
 *   })
 * );
 * for (const t of threads) t.start();
 * Atomics.store(seen, barrier.wait(), 1);
 * for (const t of threads) t.join();
 * assert.deepEqual([...seen], [1, 1, 1]);
 * ```
 */
export class Barrier {
  #ref: number;
  #w: Int32Array;
  #cond: Condition;
  #parties: number;
  #timeout: number;
  #action: (() => unknown) | undefined;
  #actionRef: CodeRef | undefined;

  /**
   * Creates a barrier for `parties` threads.
   *
   * @param parties How many threads must call `wait()` to pass.
   * @param options An action and a default timeout (ms).
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} `parties` < 1 or not an integer, or a timeout above
   * `TIMEOUT_MAX`.
   */
  constructor(parties: number, options?: BarrierOptions) {
    let ref = adoption(K_BARRIER);
    if (ref !== 0) {
      const w = wordsAt(ref, BARRIER_WORDS);
      this.#cond = adopt(K_CONDITION, w[BARRIER_COND]) as Condition;
      this.#actionRef = w[BARRIER_ACTION] === 0
        ? undefined
        : loadAction(w[BARRIER_ACTION]);
    } else {
      checkInteger(parties, "parties", 1);
      checkOptions(options);
      const action = options?.action;
      if (action !== undefined && typeof action !== "function") {
        throw new TypeError(
          `action must be a function, got ${describeValue(action)}`,
        );
      }
      const timeout = lenientTimeout(options?.timeout);
      this.#action = action;
      this.#actionRef = action && describe(action, callerModules());
      this.#cond = new Condition(new Lock());
      ref = create(K_BARRIER, BARRIER_WORDS * 4);
      const w = wordsAt(ref, BARRIER_WORDS);
      w[BARRIER_PARTIES] = parties;
      const cond = shareOf(this.#cond)!.ref;
      retain(cond);
      w[BARRIER_COND] = cond;
      if (this.#actionRef) w[BARRIER_ACTION] = storeAction(this.#actionRef);
      heap().f64[(ref + BARRIER_TIMEOUT) >> 1] = timeout;
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, BARRIER_WORDS);
    this.#parties = this.#w[BARRIER_PARTIES];
    this.#timeout = heap().f64[(ref + BARRIER_TIMEOUT) >> 1];
    track(this, ref);
  }

  static {
    defineKind(K_BARRIER, Barrier, (b) => b.#ref, {
      destroy: (ref) => {
        const w = heap().i32;
        release(w[ref + BARRIER_COND]);
        if (w[ref + BARRIER_ACTION] !== 0) free(w[ref + BARRIER_ACTION]);
      },
      // The action runs in whichever thread arrives last: find it in advance.
      prepare: (b, async) => {
        if (b.#actionRef !== undefined) async.push(resolve(b.#actionRef));
      },
    });
  }

  get #state(): number {
    return Atomics.load(this.#w, BARRIER_STATE);
  }

  set #state(state: number) {
    Atomics.store(this.#w, BARRIER_STATE, state);
  }

  get #count(): number {
    return Atomics.load(this.#w, BARRIER_COUNT);
  }

  set #count(count: number) {
    Atomics.store(this.#w, BARRIER_COUNT, count);
  }

  #timeoutOf(timeout: unknown): number {
    return timeout === undefined ? this.#timeout : lenientTimeout(timeout);
  }

  /**
   * Waits until `parties` threads have called `wait()`.
   *
   * @param timeout Milliseconds to wait at most (default: the barrier's
   * timeout; negative counts as 0). Timing out breaks the barrier.
   * @returns This thread's arrival index, from 0 to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is or gets broken.
   * @throws {TypeError} If `timeout` is not a number.
   */
  wait(timeout?: number): number {
    const deadline = deadlineOf(this.#timeoutOf(timeout));
    return run(this.#passSteps(deadline, syncStep()));
  }

  /**
   * The asynchronous twin of {@linkcode Barrier.wait}. Aborted, it leaves
   * the barrier as if this wait had never begun (not broken).
   *
   * @param timeout Milliseconds to wait at most (default: the barrier's).
   * @param options An AbortSignal: aborting rejects with its reason.
   * @returns This thread's arrival index.
   * @throws {BrokenBarrierError} (rejects) If the barrier is or gets broken.
   */
  async waitAsync(
    timeout?: number,
    options?: { signal?: AbortSignal },
  ): Promise<number> {
    const deadline = deadlineOf(this.#timeoutOf(timeout));
    const signal = liveSignal(checkOptions(options)?.signal);
    return await runAsync(this.#passSteps(deadline, newStep()), signal);
  }

  /**
   * Passing the barrier, for wait() and waitAsync() alike: one protocol
   * that takes the condition's lock, waits on the condition as it needs
   * (its lock let go meanwhile, never held across an await), and returns
   * the arrival index.
   */
  *#passSteps(deadline: number, step: Step): Protocol<number> {
    const { words, index: at } = _lockWordOf(_lockOf(this.#cond));
    yield lockStep(step, words, at, Infinity);
    try {
      return yield* this.#pass(deadline, step);
    } finally {
      unlockWord(words, at);
    }
  }

  *#pass(deadline: number, step: Step): Protocol<number> {
    const cond = this.#cond;
    while (this.#state === RESETTING || this.#state === DRAINING) {
      yield* _waitSteps(cond, Infinity, step);
    }
    if (this.#state < 0) throw new BrokenBarrierError();
    const index = this.#count;
    this.#count = index + 1;
    try {
      if (index + 1 === this.#parties) {
        this.#release();
      } else {
        while (this.#state === FILLING && performance.now() < deadline) {
          yield* _waitSteps(cond, deadline, step);
        }
        this.#checkPassed(this.#state !== FILLING);
      }
      return index;
    } finally {
      this.#exit();
    }
  }

  #checkPassed(passed: unknown): void {
    if (!passed) {
      this.#break();
      throw new BrokenBarrierError("Barrier wait timed out");
    }
    if (this.#state < 0) throw new BrokenBarrierError();
  }

  /** The last arrival: runs the action, then releases everyone. */
  #release(): void {
    try {
      this.#runAction();
      this.#state = DRAINING;
      this.#cond.notifyAll();
    } catch (error) {
      this.#break();
      throw error;
    }
  }

  #runAction(): void {
    if (this.#action === undefined && this.#actionRef !== undefined) {
      this.#action = resolveSync(this.#actionRef).fn as () => unknown;
    }
    this.#action?.();
  }

  /** Lets the next round start once every thread of this one has left. */
  #exit(): void {
    this.#count = this.#count - 1;
    if (
      this.#count === 0 &&
      (this.#state === RESETTING || this.#state === DRAINING)
    ) {
      this.#state = FILLING;
      this.#cond.notifyAll();
    }
  }

  #break(): void {
    this.#state = BROKEN;
    this.#cond.notifyAll();
  }

  /**
   * Returns the barrier to its initial state. Threads waiting on it get a
   * BrokenBarrierError.
   */
  reset(): void {
    using _ = this.#cond.hold();
    if (this.#count > 0) {
      if (this.#state === FILLING || this.#state === BROKEN) {
        this.#state = RESETTING;
      }
    } else {
      this.#state = FILLING;
    }
    this.#cond.notifyAll();
  }

  /** Breaks the barrier: current and future waiters get a BrokenBarrierError. */
  abort(): void {
    using _ = this.#cond.hold();
    this.#break();
  }

  /** How many threads `wait()` needs. */
  get parties(): number {
    return this.#parties;
  }

  /** How many threads are waiting now. */
  get nWaiting(): number {
    return this.#state === FILLING ? this.#count : 0;
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    return this.#state === BROKEN;
  }
}
