// The mutex of a shared container (SharedValue, SharedList, SharedMap):
// MUTEX_WORDS words of its block, a lock word and the ident of the thread
// holding it, so that a call on the container from inside its own update()
// fails at once instead of waiting for itself forever.
import { ThreadError } from "./errors.ts";
import { MUTEX_LOCK, MUTEX_OWNER } from "./_layout.ts";
import { lockWord, unlockWord } from "./_wait.ts";
import { _ownIdent } from "./lock.ts";

/**
 * Takes the mutex at word `at` of `w`; `what` names the container in the
 * error.
 *
 * @throws {ThreadError} When this thread holds it already.
 */
function enter(w: Int32Array, at: number, what: string): void {
  const me = _ownIdent();
  if (Atomics.load(w, at + MUTEX_OWNER) === me) {
    throw new ThreadError(
      `${what} is already locked by this thread (a call on it inside its update()?)`,
    );
  }
  lockWord(w, at + MUTEX_LOCK, Infinity);
  Atomics.store(w, at + MUTEX_OWNER, me);
}

/** Releases the mutex at word `at` of `w`. */
function leave(w: Int32Array, at: number): void {
  Atomics.store(w, at + MUTEX_OWNER, 0);
  unlockWord(w, at + MUTEX_LOCK);
}

/**
 * Runs `fn` with the mutex at word `at` of `w` held.
 *
 * @throws {ThreadError} When this thread holds it already.
 */
export function withMutex<R>(
  w: Int32Array,
  at: number,
  what: string,
  fn: (w: Int32Array) => R,
): R {
  enter(w, at, what);
  try {
    return fn(w);
  } finally {
    leave(w, at);
  }
}
