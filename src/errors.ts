/**
 * The errors this module throws for misuse, Python's `RuntimeError` cases.
 *
 * @module
 */

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
