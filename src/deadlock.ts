/**
 * Deadlock detection: {@linkcode setDeadlockDetection} makes every thread
 * record which locks it holds and waits for, in shared memory, so that a
 * wait that closes a cycle is reported (or refused), and lock-order
 * inversions are reported before they deadlock; {@linkcode findDeadlocks}
 * lists the cycles of the waits-for graph now, from any thread.
 *
 * @module
 */
import {
  OBSERVE_DETECT,
  OBSERVE_REPORT,
  OBSERVE_THROW,
} from "./_core/layout.ts";
import {
  type Deadlock,
  deadlockThrough,
  nameOf,
  setObserveFlags,
  waitingOf,
} from "./_observe/observe.ts";
import { runtime } from "./_threads/runtime.ts";
import { _threadIn, type Thread } from "./thread.ts";
import { describeValue } from "./_core/validate.ts";

/** What {@linkcode setDeadlockDetection} does. */
export type DeadlockDetection = "off" | "report" | "throw";

/**
 * One deadlock: threads each waiting for a lock the next one holds, the last
 * one waiting for the first (a cycle), or for a lock whose holder has ended
 * without releasing it (then `deadOwner` names that thread).
 */
export interface DeadlockCycle {
  /** The threads of the cycle, each with what it holds and waits for. */
  threads: {
    /** The thread. */
    thread: Thread;
    /** The locks it holds, named by where they were created. */
    holds: string[];
    /** The lock it waits for. */
    waitsFor: string;
  }[];
  /**
   * The thread that holds the lock the last thread waits for, when it has
   * ended (returned, or ran out of memory) while holding it: as in Python,
   * the lock stays held, and nothing will release it.
   */
  deadOwner?: {
    /** Its name. */
    name: string;
    /** Its ident. */
    ident: number;
  };
}

/**
 * Turns deadlock detection on or off, in every thread.
 *
 * - `"report"`: a blocking acquire of a Lock, RLock, Condition's lock or a
 *   shared container's internal lock (SharedValue, SharedList, SharedMap)
 *   that closes a cycle of threads each waiting for a lock another holds,
 *   or that waits for a lock whose holder has ended without releasing it
 *   (a thread that returned, or ran out of memory, holding it), prints
 *   `Deadlock detected:` and, for each thread, its name, what it holds and
 *   what it waits for (and the dead owner), to stderr; a lock taken while
 *   holding another, in the opposite order of an earlier one (B while
 *   holding A, after A while holding B), prints `Potential deadlock (lock
 *   order inversion):` with both orders. Waiting goes on as before.
 * - `"throw"`: the acquire that would be reported throws DeadlockError (its
 *   message is the report) instead of waiting; inversions are printed.
 * - `"off"` (the default): nothing is recorded; the locks' fast paths cost
 *   what they cost without detection.
 *
 * Locks are named by where they were created (`Lock at app.ts:12`): those
 * created while detection is on. Turn it on first, before the locks and
 * threads are made. Semaphores are not part of the waits-for graph (a unit
 * has no owner); a Condition's wait is not (it waits for a notify), but
 * taking its lock back is.
 *
 * @param mode `"off"`, `"report"` or `"throw"`.
 * @throws {TypeError} Another mode.
 *
 * @example A lock acquired twice by one thread
 * ```ts
 * import { DeadlockError, Lock, setDeadlockDetection } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * setDeadlockDetection("throw");
 * const lock = new Lock();
 * lock.acquire();
 * assert.throws(() => lock.acquire(), DeadlockError);
 * lock.release();
 * setDeadlockDetection("off");
 * ```
 */
export function setDeadlockDetection(mode: DeadlockDetection): void {
  const flag = mode === "off"
    ? 0
    : mode === "report"
    ? OBSERVE_REPORT
    : mode === "throw"
    ? OBSERVE_THROW
    : -1;
  if (flag < 0) {
    throw new TypeError(
      `Cannot set deadlock detection: mode must be "off", "report" or ` +
        `"throw", received ${describeValue(mode)}`,
    );
  }
  setObserveFlags(flag, OBSERVE_DETECT);
}

/**
 * The deadlocks of the waits-for graph now: cycles of threads each blocked
 * on a lock that another of them holds (a Lock, an RLock, a Condition's lock
 * or a shared container's internal lock), and chains of threads whose last
 * one waits for a lock held by a thread that has ended (its `deadOwner`: as
 * in Python, a lock its holder never released stays held). A snapshot,
 * from any thread; it sees what detection records (turn it on first with
 * {@linkcode setDeadlockDetection}).
 *
 * @returns The deadlocks, each once ([] if none).
 *
 * @example
 * ```ts
 * import { findDeadlocks } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(findDeadlocks(), []);
 * ```
 */
export function findDeadlocks(): DeadlockCycle[] {
  const reg = runtime().registry;
  const seen = new Set<number>();
  const found: Deadlock[] = [];
  for (const slot of reg.aliveSlots()) {
    if (seen.has(slot) || waitingOf(slot) === 0) continue;
    const deadlock = deadlockThrough(slot);
    if (deadlock === undefined) continue;
    // A cycle is the same from any of its threads.
    if (deadlock.dead === undefined) deadlock.slots.forEach((s) => seen.add(s));
    found.push(deadlock);
  }
  // A chain to a dead owner that is the tail of a longer one is part of it.
  const inner = new Set<number>();
  for (const d of found) {
    if (d.dead !== undefined) d.slots.slice(1).forEach((s) => inner.add(s));
  }
  return found.filter((d) => d.dead === undefined || !inner.has(d.slots[0]))
    .map((d) => ({
      threads: d.slots.map((s, i) => ({
        thread: _threadIn(s),
        holds: d.holds[i].map(nameOf),
        waitsFor: nameOf(d.waits[i]),
      })),
      ...(d.dead === undefined ? {} : { deadOwner: d.dead }),
    }));
}
