// The mutex of a shared container (SharedValue, SharedList, SharedMap):
// MUTEX_WORDS words at the start of its block, a lock word and the ident of
// the thread holding it, so that a call on the container from inside its own
// update() fails at once instead of waiting for itself forever.
//
// It is a lock of the waits-for graph (see _observe.ts): while observed, its
// holds and waits are recorded like a Lock's, so that `m1.update(() =>
// m2.get(k))` in one thread against `m2.update(() => m1.get(k))` in another
// is a deadlock that detection reports (or refuses). A waiter also checks,
// now and then, that the holder is still alive: a thread that ran out of
// memory inside update() never releases the mutex, and waiting for it would
// be forever.
import { ThreadError } from "../errors.ts";
import { MUTEX_LOCK, MUTEX_OWNER } from "./layout.ts";
import { lockWord, tryLockWord, unlockWord } from "./wait.ts";
import { ownIdent } from "../_threads/thread_state.ts";
import {
  acquired,
  blocking,
  describeIdent,
  identAlive,
  observing,
  released,
  unblocked,
} from "../_observe/observe.ts";
import { WAIT_ACQUIRE } from "../_observe/trace_buffer.ts";

/** How often a waiter checks that the holder is alive. */
const OWNER_CHECK_MS = 1000;

/**
 * Takes the mutex at word `at` of `w`; `what` names the container in the
 * error.
 *
 * @throws {ThreadError} When this thread holds it already, or its holder
 * has ended without releasing it.
 * @throws {DeadlockError} Deadlock detection in throw mode, instead of
 * waiting in a deadlock.
 */
export function enterMutex(w: Int32Array, at: number, what: string): void {
  const me = ownIdent();
  if (Atomics.load(w, at + MUTEX_OWNER) === me) {
    throw new ThreadError(
      `${what} is already locked by this thread (a call on it inside its update()?)`,
    );
  }
  if (!tryLockWord(w, at + MUTEX_LOCK)) wait(w, at, what);
  Atomics.store(w, at + MUTEX_OWNER, me);
  if (observing()) acquired((w.byteOffset >> 2) + at);
}

/** The slow path of {@linkcode enterMutex}: sleeps until the mutex is free. */
function wait(w: Int32Array, at: number, what: string): void {
  const ref = (w.byteOffset >> 2) + at;
  const observed = observing();
  if (observed) blocking(ref);
  try {
    while (!lockWord(w, at + MUTEX_LOCK, performance.now() + OWNER_CHECK_MS)) {
      const owner = Atomics.load(w, at + MUTEX_OWNER);
      if (owner !== 0 && !identAlive(owner)) {
        throw new ThreadError(
          `${what} is locked by ${
            describeIdent(owner)
          }, which has ended without unlocking it (it ran out of memory ` +
            `inside update()?): nothing will unlock it`,
        );
      }
    }
  } finally {
    if (observed) unblocked(ref, WAIT_ACQUIRE);
  }
}

/** Releases the mutex at word `at` of `w`. */
export function leaveMutex(w: Int32Array, at: number): void {
  if (observing()) released((w.byteOffset >> 2) + at);
  Atomics.store(w, at + MUTEX_OWNER, 0);
  unlockWord(w, at + MUTEX_LOCK);
}

/**
 * Runs `fn` with the mutex at word `at` of `w` held.
 *
 * @throws {ThreadError} When this thread holds it already, or its holder
 * has ended without releasing it.
 * @throws {DeadlockError} Deadlock detection in throw mode, instead of
 * waiting in a deadlock.
 */
export function withMutex<R>(
  w: Int32Array,
  at: number,
  what: string,
  fn: (w: Int32Array) => R,
): R {
  enterMutex(w, at, what);
  try {
    return fn(w);
  } finally {
    leaveMutex(w, at);
  }
}
