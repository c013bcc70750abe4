// The state of a future in shared memory, by ref: what Future handles, the
// executor's workers, wait() and asCompleted() do to it in any thread.
//
// A future's state word moves once from pending (or running) to done; its
// outcome is written under FUTURE_SETTING, so a reader that sees FINISHED
// sees the outcome. When it is done, its result() waiters (an eventcount)
// and its watchers (wait() and asCompleted() calls in progress, each with a
// ring of the futures done since it began) are woken: Python's _waiters.
import {
  EC_SEQ,
  F_ARGS,
  F_FAILED,
  F_LOCK,
  F_OUTCOME,
  F_STATE,
  F_WAITERS,
  F_WATCHERS,
  FUTURE_CANCELLED,
  FUTURE_FINISHED,
  FUTURE_PENDING,
  FUTURE_RUNNING,
  FUTURE_SETTING,
  INDEX_COUNT,
  K_RAW,
  WT_DONE,
  WT_EVENTS,
  WT_LOCK,
  WT_WORDS,
} from "../_core/layout.ts";
import { alloc, free, heap } from "../_core/heap.ts";
import { get, release as releaseRefs } from "../_structures/ref_array.ts";
import { ringPush, ringShift } from "../_structures/ref_ring.ts";
import { stackPush, stackRemove } from "../_structures/stack.ts";
import {
  eventStep,
  lockWord,
  type Protocol,
  type Step,
  unlockWord,
  wakeAll,
} from "../_core/wait.ts";
import { dropMessage } from "../_codec/message.ts";

/** Whether a state is done: cancelled or finished. */
export function isDone(state: number): boolean {
  return state === FUTURE_CANCELLED || state === FUTURE_FINISHED;
}

/** The future's state now. */
export function stateOf(ref: number): number {
  return Atomics.load(heap().i32, ref + F_STATE);
}

/**
 * Python's set_running_or_notify_cancel: pending becomes running (true); a
 * cancelled future stays so (false). Any other state: undefined.
 */
export function markRunning(ref: number): boolean | undefined {
  const previous = Atomics.compareExchange(
    heap().i32,
    ref + F_STATE,
    FUTURE_PENDING,
    FUTURE_RUNNING,
  );
  if (previous === FUTURE_PENDING) return true;
  return previous === FUTURE_CANCELLED ? false : undefined;
}

/**
 * Sets the outcome (a message; `failed`: an error) of a future that is not
 * done yet; false, and nothing changed, when it is.
 */
export function settle(ref: number, outcome: number, failed: boolean): boolean {
  const i32 = heap().i32;
  for (;;) {
    const state = Atomics.load(i32, ref + F_STATE);
    if (state !== FUTURE_PENDING && state !== FUTURE_RUNNING) return false;
    if (
      Atomics.compareExchange(i32, ref + F_STATE, state, FUTURE_SETTING) ===
        state
    ) break;
  }
  i32[ref + F_OUTCOME] = outcome;
  i32[ref + F_FAILED] = failed ? 1 : 0;
  Atomics.store(i32, ref + F_STATE, FUTURE_FINISHED);
  announce(ref);
  return true;
}

/** Python's cancel(): only a pending future can be cancelled. */
export function cancel(ref: number): boolean {
  const i32 = heap().i32;
  for (;;) {
    const state = Atomics.load(i32, ref + F_STATE);
    if (state === FUTURE_CANCELLED) return true;
    if (state !== FUTURE_PENDING) return false;
    if (
      Atomics.compareExchange(
        i32,
        ref + F_STATE,
        FUTURE_PENDING,
        FUTURE_CANCELLED,
      ) === FUTURE_PENDING
    ) break;
  }
  announce(ref);
  return true;
}

/**
 * Wakes whoever waits for the future, which just became done. Watchers are
 * looked for without the future's lock: a watcher publishes itself, then
 * looks at the state again (see {@linkcode watch}), so one of the two sees
 * the other (at worst both, and the watcher hears of the future twice).
 */
function announce(ref: number): void {
  const i32 = heap().i32;
  wakeAll(i32, ref + F_WAITERS);
  const at = ref + F_WATCHERS;
  if (Atomics.load(i32, at + INDEX_COUNT) === 0) return;
  lockWord(i32, ref + F_LOCK, Infinity);
  try {
    const n = i32[at + INDEX_COUNT];
    for (let i = 0; i < n; i++) deliver(get(i32, at, i), ref);
    releaseRefs(i32, at);
  } finally {
    unlockWord(i32, ref + F_LOCK);
  }
}

function deliver(watcher: number, future: number): void {
  const i32 = heap().i32;
  lockWord(i32, watcher + WT_LOCK, Infinity);
  try {
    ringPush(i32, watcher + WT_DONE, future);
  } finally {
    unlockWord(i32, watcher + WT_LOCK);
  }
  wakeAll(i32, watcher + WT_EVENTS);
}

/** The outcome's message (0: none yet) and whether it is an error. */
export function outcomeOf(ref: number): { message: number; failed: boolean } {
  const i32 = heap().i32;
  return { message: i32[ref + F_OUTCOME], failed: i32[ref + F_FAILED] === 1 };
}

/** Frees what a future's block holds: it is about to be freed. */
export function destroyFuture(ref: number): void {
  const i32 = heap().i32;
  if (i32[ref + F_OUTCOME] !== 0) dropMessage(i32[ref + F_OUTCOME]);
  if (i32[ref + F_ARGS] !== 0) dropMessage(i32[ref + F_ARGS]);
  releaseRefs(i32, ref + F_WATCHERS);
}

/** Sleeps until the future is done or `deadline`; whether it is done. */
export function* doneSteps(
  ref: number,
  deadline: number,
  step: Step,
): Protocol<boolean> {
  const i32 = heap().i32;
  for (;;) {
    const seq = Atomics.load(i32, ref + F_WAITERS + EC_SEQ);
    if (isDone(Atomics.load(i32, ref + F_STATE))) return true;
    if (performance.now() >= deadline) return false;
    yield eventStep(step, i32, ref + F_WAITERS, seq, deadline);
  }
}

/** A new watcher, for one wait() or asCompleted() call. */
export function newWatcher(): number {
  return alloc(WT_WORDS * 4, K_RAW);
}

/**
 * Makes `watcher` hear when `future` is done; true when it is done already
 * (the watcher may hear of it too, then).
 */
export function watch(watcher: number, future: number): boolean {
  const i32 = heap().i32;
  if (isDone(Atomics.load(i32, future + F_STATE))) return true;
  const at = future + F_WATCHERS;
  lockWord(i32, future + F_LOCK, Infinity);
  try {
    stackPush(i32, at, watcher);
    Atomics.store(i32, at + INDEX_COUNT, i32[at + INDEX_COUNT]);
  } finally {
    unlockWord(i32, future + F_LOCK);
  }
  return isDone(Atomics.load(i32, future + F_STATE));
}

/** Removes `watcher` from a future it watches (done or not). */
export function unwatch(watcher: number, future: number): void {
  const i32 = heap().i32;
  lockWord(i32, future + F_LOCK, Infinity);
  stackRemove(i32, future + F_WATCHERS, watcher);
  unlockWord(i32, future + F_LOCK);
}

/**
 * The next future the watcher heard of, sleeping until one is done or
 * `deadline` (then 0).
 */
export function* nextDoneSteps(
  watcher: number,
  deadline: number,
  step: Step,
): Protocol<number> {
  const i32 = heap().i32;
  for (;;) {
    const seq = Atomics.load(i32, watcher + WT_EVENTS + EC_SEQ);
    lockWord(i32, watcher + WT_LOCK, Infinity);
    const next = i32[watcher + WT_DONE + INDEX_COUNT] > 0
      ? ringShift(i32, watcher + WT_DONE)
      : 0;
    unlockWord(i32, watcher + WT_LOCK);
    if (next !== 0) return next;
    if (performance.now() >= deadline) return 0;
    yield eventStep(step, i32, watcher + WT_EVENTS, seq, deadline);
  }
}

/** Frees a watcher no future holds any longer. */
export function freeWatcher(watcher: number): void {
  releaseRefs(heap().i32, watcher + WT_DONE);
  free(watcher);
}
