/**
 * The errors this module throws: for misuse (Python's `RuntimeError` cases),
 * broken barriers, and the errors of `concurrent.futures`.
 *
 * @module
 */
import { markLib } from "./_core/lib_exports.ts";

/**
 * Thrown when a thread or a synchronization primitive is misused: releasing a
 * lock that is not held, starting a thread twice, joining the current thread.
 * It is the TypeScript spelling of the `RuntimeError`s that Python's
 * `threading` module raises.
 *
 * @example Releasing an unlocked lock
 * ```ts
 * import { Lock, ThreadError } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Lock().release(), ThreadError);
 * ```
 */
export class ThreadError extends Error {
  /**
   * Creates a ThreadError.
   *
   * @param message What went wrong.
   * @param options Standard error options (`cause`).
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ThreadError";
  }
}

/**
 * Thrown by {@linkcode Barrier.wait} when the barrier is broken (aborted, reset
 * while threads wait, timed out, or its action failed).
 *
 * @example
 * ```ts
 * import { BrokenBarrierError, ThreadError } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new BrokenBarrierError() instanceof ThreadError);
 * ```
 */
export class BrokenBarrierError extends ThreadError {
  /**
   * Creates a BrokenBarrierError.
   *
   * @param message What broke the barrier.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Barrier is broken", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenBarrierError";
  }
}

/**
 * Thrown, with deadlock detection in `"throw"` mode, by the acquire of a
 * lock that would close a cycle of threads each waiting for a lock another
 * holds: instead of waiting forever. Its message names the threads, what
 * each holds and what it waits for.
 *
 * @example
 * ```ts
 * import { DeadlockError, ThreadError } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new DeadlockError("Deadlock detected:") instanceof ThreadError);
 * ```
 */
export class DeadlockError extends ThreadError {
  /**
   * Creates a DeadlockError.
   *
   * @param message The cycle, as the report prints it.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Deadlock detected", options?: ErrorOptions) {
    super(message, options);
    this.name = "DeadlockError";
  }
}

/**
 * Thrown by a future's `result()` or `exception()` when the future was
 * cancelled. Python's `concurrent.futures.CancelledError`.
 *
 * @example
 * ```ts
 * import { CancelledError, Future } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const future = new Future();
 * future.cancel();
 * assert.throws(() => future.result(), CancelledError);
 * ```
 */
export class CancelledError extends Error {
  /**
   * Creates a CancelledError.
   *
   * @param message What was cancelled (Python's is empty).
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * Thrown when a wait for futures runs out of time: `result(timeout)`,
 * `exception(timeout)`, `asCompleted()` and the iterator of `map()`.
 * Python's `TimeoutError`.
 *
 * @example
 * ```ts
 * import { Future, TimeoutError } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Future().result(1), TimeoutError);
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Creates a TimeoutError.
   *
   * @param message What ran out of time.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * Thrown when an executor cannot run tasks any longer. Python's
 * `concurrent.futures.BrokenExecutor`.
 *
 * @example
 * ```ts
 * import { BrokenExecutor, BrokenThreadPool } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new BrokenThreadPool() instanceof BrokenExecutor);
 * ```
 */
export class BrokenExecutor extends Error {
  /**
   * Creates a BrokenExecutor.
   *
   * @param message Why the executor broke.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenExecutor";
  }
}

/**
 * Thrown by the futures and the `submit()` of a ThreadPoolExecutor whose
 * initializer failed in a worker. Python's `BrokenThreadPool`.
 *
 * @example
 * ```ts
 * import { BrokenThreadPool } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new BrokenThreadPool("broken").name, "BrokenThreadPool");
 * ```
 */
export class BrokenThreadPool extends BrokenExecutor {
  /**
   * Creates a BrokenThreadPool.
   *
   * @param message Why the pool broke.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenThreadPool";
  }
}

/**
 * Thrown when a future is set twice: `setResult()` or `setException()` on a
 * future that is done. Python's `concurrent.futures.InvalidStateError`.
 *
 * @example
 * ```ts
 * import { Future, InvalidStateError } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * future.setResult(1);
 * assert.throws(() => future.setResult(2), InvalidStateError);
 * ```
 */
export class InvalidStateError extends Error {
  /**
   * Creates an InvalidStateError.
   *
   * @param message What was invalid.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * The error of a thread that ran out of memory: its heap reached its limit
 * (`resourceLimits.maxHeapMb`, see `setDefaultResourceLimits()`), and
 * V8 ended it. As CPython raises MemoryError in that thread, it ends that
 * thread alone: the excepthook reports it (`Exception in thread NAME:`), its
 * joiners return, a task it ran fails with it, and the process goes on.
 *
 * @example
 * ```ts
 * import { MemoryError } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new MemoryError().name, "MemoryError");
 * ```
 */
export class MemoryError extends Error {
  /**
   * Creates a MemoryError.
   *
   * @param message What ran out of memory.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "MemoryError";
  }
}

// Found by name in every thread: an error that crosses arrives as this class.
for (
  const cls of [
    ThreadError,
    BrokenBarrierError,
    DeadlockError,
    CancelledError,
    TimeoutError,
    BrokenExecutor,
    BrokenThreadPool,
    InvalidStateError,
    MemoryError,
  ]
) markLib(cls, cls.name);
