// A FIFO ring of refs (an executor's queued futures, a watcher's finished
// ones), on a growable ref array. Callers hold the owner's lock.
import { INDEX_CAPACITY, INDEX_COUNT, INDEX_HEAD } from "./_layout.ts";
import { get, reserve, set } from "./_ref_array.ts";

/**
 * Appends a ref.
 *
 * @throws {RangeError} When the heap cannot grow (nothing changed then).
 */
export function ringPush(w: Int32Array, at: number, ref: number): void {
  reserve(w, at);
  set(w, at, w[at + INDEX_COUNT], ref);
  w[at + INDEX_COUNT]++;
}

/** Removes and returns the oldest ref (the ring is not empty). */
export function ringShift(w: Int32Array, at: number): number {
  const ref = get(w, at, 0);
  w[at + INDEX_HEAD] = (w[at + INDEX_HEAD] + 1) & (w[at + INDEX_CAPACITY] - 1);
  w[at + INDEX_COUNT]--;
  return ref;
}
