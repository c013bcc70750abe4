// A futex mutex on one Int32 word (Drepper's "Futexes are tricky", mutex 2):
// 0 unlocked, 1 locked, 2 locked with possible sleepers. Unlocking notifies
// only when the word says someone may sleep.
import { spinBudget, spinPause, waitWord, waitWordAsync } from "./_futex.ts";

/** One attempt, no waiting. */
export function tryLockWord(w: Int32Array, i: number): boolean {
  return Atomics.compareExchange(w, i, 0, 1) === 0;
}

/** Takes the mutex, sleeping until `deadline`; false when it passed. */
export function lockWord(w: Int32Array, i: number, deadline: number): boolean {
  // A holder on another core usually lets go soon: take it as 0 -> 1 while
  // spinning, which keeps the release cheap (no notify).
  for (let n = spinBudget(); n > 0; n--) {
    if (Atomics.load(w, i) === 0 && Atomics.compareExchange(w, i, 0, 1) === 0) {
      return true;
    }
    spinPause();
  }
  // Every pass tries once more before giving up, so a waiter woken at its
  // deadline never swallows the wake-up meant for another.
  for (;;) {
    if (Atomics.exchange(w, i, 2) === 0) return true;
    if (!waitWord(w, i, 2, deadline)) return false;
  }
}

/** The asynchronous twin of {@linkcode lockWord}; rejects when aborted. */
export async function lockWordAsync(
  w: Int32Array,
  i: number,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (;;) {
    if (Atomics.exchange(w, i, 2) === 0) return true;
    if (performance.now() >= deadline) return false;
    await waitWordAsync(w, i, 2, deadline, signal);
  }
}

/** Releases the mutex; false if it was not locked. */
export function unlockWord(w: Int32Array, i: number): boolean {
  const previous = Atomics.exchange(w, i, 0);
  if (previous === 2) Atomics.notify(w, i, 1);
  return previous !== 0;
}
