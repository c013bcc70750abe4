/**
 * {@linkcode Event}: a flag threads wait on. Python's `threading.Event`.
 *
 * @module
 */
import {
  checkOptions,
  deadlineOf,
  lenientTimeout,
  liveSignal,
} from "./_core/validate.ts";
import {
  newStep,
  type Protocol,
  run,
  runAsync,
  spinWhile,
  type Step,
  syncStep,
  waitStep,
} from "./_core/wait.ts";
import {
  EVENT_STATE,
  EVENT_WAITERS,
  EVENT_WORDS,
  K_EVENT,
} from "./_core/layout.ts";
import { adoption, create, defineKind, track } from "./_core/handles.ts";
import { wordsAt } from "./_core/heap.ts";
import { blocking, instant, observing, unblocked } from "./_observe/observe.ts";
import { AT_SET, WAIT_EVENT } from "./_observe/trace_buffer.ts";

/**
 * A flag in shared memory: `set()` wakes every thread waiting on it,
 * `clear()` resets it. A waiter released by `set()` returns `true` even if
 * `clear()` follows at once.
 *
 * @example
 * ```ts
 * import { Event } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const ready = new Event();
 * assert.equal(ready.wait(10), false);
 * ready.set();
 * assert.equal(ready.wait(), true);
 * ```
 */
export class Event {
  #ref: number;
  #w: Int32Array;

  /** Creates an event whose flag is clear. */
  constructor() {
    this.#ref = adoption(K_EVENT) || create(K_EVENT, EVENT_WORDS * 4);
    this.#w = wordsAt(this.#ref, EVENT_WORDS);
    track(this, this.#ref);
  }

  static {
    defineKind(K_EVENT, Event, (e) => e.#ref);
  }

  /**
   * Whether the flag is set.
   *
   * @returns The flag.
   */
  isSet(): boolean {
    return (Atomics.load(this.#w, EVENT_STATE) & 1) === 1;
  }

  /** Sets the flag and wakes every waiting thread. */
  set(): void {
    const w = this.#w;
    for (;;) {
      const state = Atomics.load(w, EVENT_STATE);
      // The next generation, flag set: one step, so no waiter sees half.
      const next = (((state | 1) + 2) | 0) | 1;
      if (Atomics.compareExchange(w, EVENT_STATE, state, next) === state) break;
    }
    if (Atomics.load(w, EVENT_WAITERS) > 0) Atomics.notify(w, EVENT_STATE);
    if (observing()) instant(this.#ref, AT_SET);
  }

  /** Clears the flag. */
  clear(): void {
    const w = this.#w;
    for (;;) {
      const state = Atomics.load(w, EVENT_STATE);
      if ((state & 1) === 0) return;
      if (
        Atomics.compareExchange(w, EVENT_STATE, state, state & ~1) === state
      ) return;
    }
  }

  /**
   * Blocks the calling thread until the flag is set, or `timeout` ms pass.
   *
   * @param timeout Milliseconds to wait at most (default: forever; negative
   * counts as 0).
   * @returns `true` if the flag was set (even if cleared since), `false` on
   * timeout.
   * @throws {TypeError} If `timeout` is not a number.
   * @throws {RangeError} If `timeout` exceeds `TIMEOUT_MAX`.
   */
  wait(timeout?: number): boolean {
    const t = lenientTimeout(timeout);
    const state = Atomics.load(this.#w, EVENT_STATE);
    if ((state & 1) === 1) return true;
    if (t === 0) return false;
    // Spin unregistered first, so that a set() meanwhile need not notify:
    // set() changes the word before it reads the count of sleepers.
    if (spinWhile(this.#w, EVENT_STATE, state)) return true;
    return run(
      waitSteps(this.#ref, this.#w, state, deadlineOf(t), syncStep()),
    );
  }

  /**
   * Waits without blocking the event loop until the flag is set.
   *
   * @param timeout Milliseconds to wait at most (default: forever).
   * @param options An AbortSignal: aborting rejects with its reason.
   * @returns `true` if the flag was set, `false` on timeout.
   * @throws {TypeError} (rejects) If `timeout` is not a number.
   */
  async waitAsync(
    timeout?: number,
    options?: { signal?: AbortSignal },
  ): Promise<boolean> {
    const t = lenientTimeout(timeout);
    const signal = liveSignal(checkOptions(options)?.signal);
    const state = Atomics.load(this.#w, EVENT_STATE);
    if ((state & 1) === 1) return true;
    return await runAsync(
      waitSteps(this.#ref, this.#w, state, deadlineOf(t), newStep()),
      signal,
    );
  }

  /**
   * Python's repr: `<Event: set>` or `<Event: unset>`.
   *
   * @returns The event's state.
   */
  toString(): string {
    return `<Event: ${this.isSet() ? "set" : "unset"}>`;
  }
}

/**
 * Sleeps until the event whose words are `w` leaves `state` (unset), or
 * until `deadline`; whether it did. (A blocking wait spins before, and a
 * wait that the spin ends is not observed.)
 */
function* waitSteps(
  ref: number,
  w: Int32Array,
  state: number,
  deadline: number,
  step: Step,
): Protocol<boolean> {
  const observed = observing();
  if (observed) blocking(ref);
  Atomics.add(w, EVENT_WAITERS, 1);
  try {
    while (Atomics.load(w, EVENT_STATE) === state) {
      if (!(yield waitStep(step, w, EVENT_STATE, state, deadline, false))) {
        break;
      }
    }
  } finally {
    Atomics.sub(w, EVENT_WAITERS, 1);
    if (observed) unblocked(ref, WAIT_EVENT);
  }
  // From an unset state, only a set() changes the word.
  return Atomics.load(w, EVENT_STATE) !== state;
}
