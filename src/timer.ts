/**
 * {@linkcode Timer}: a thread that runs a function after a delay, unless
 * cancelled first. Python's `threading.Timer`.
 *
 * @module
 */
import { _newName, _threadExtra, Thread } from "./thread.ts";
import { Event } from "./event.ts";
import { checkNumber, describeValue, TIMEOUT_MAX } from "./_core/validate.ts";
import { markLib } from "./_core/lib_exports.ts";

interface TimerState {
  interval: number;
  finished: Event;
}

/**
 * A thread that calls `fn(...args)` after `interval` milliseconds, unless
 * {@linkcode Timer.cancel} is called first. Start it with `start()`. Like a
 * thread target, `fn` must be exported from an importable module, or be
 * self-contained. Timers are named `Thread-N`.
 *
 * @typeParam A The function's parameter types.
 *
 * @example A cancelled timer never runs
 * ```ts
 * import { Timer } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const ran = new Int32Array(new SharedArrayBuffer(4));
 * const timer = new Timer(10_000, (cell: Int32Array) => Atomics.store(cell, 0, 1), [ran]);
 * timer.start();
 * timer.cancel();
 * timer.join();
 * assert.equal(ran[0], 0);
 * ```
 */
export class Timer<A extends unknown[] = unknown[]> extends Thread<A> {
  /**
   * Creates a timer; it runs only once started.
   *
   * @param interval Milliseconds to wait before calling `fn` (negative counts
   * as 0).
   * @param fn What to call.
   * @param args Its arguments.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} An interval above `TIMEOUT_MAX`.
   */
  constructor(interval: number, fn: (...args: A) => unknown, args?: A) {
    checkNumber(interval, "interval");
    if (interval > TIMEOUT_MAX) {
      throw new RangeError(`interval is too large: at most ${TIMEOUT_MAX} ms`);
    }
    if (typeof fn !== "function") {
      throw new TypeError(`fn must be a function, got ${describeValue(fn)}`);
    }
    super({ target: fn, args, name: _newName() });
    const state: TimerState = {
      interval: Math.max(0, interval),
      finished: new Event(),
    };
    Object.assign(_threadExtra(this), state);
  }

  /** Stops the timer if it has not called its function yet. */
  cancel(): void {
    (_threadExtra(this) as unknown as TimerState).finished.set();
  }

  /**
   * Waits for the interval, then calls the function unless cancelled.
   *
   * @returns The function's result, or undefined if cancelled.
   */
  override run(): unknown {
    const { interval, finished } = _threadExtra(this) as unknown as TimerState;
    finished.wait(interval);
    if (finished.isSet()) return undefined;
    try {
      return super.run();
    } finally {
      finished.set();
    }
  }
}

markLib(Timer, "Timer");
