// A FIFO ring of refs (Queue's index), on a growable ref array.
import { INDEX_CAPACITY, INDEX_COUNT, INDEX_HEAD } from "./_layout.ts";
import { get, reserve, set } from "./_ref_array.ts";

/** Adds a ref at the back. */
export function ringPush(w: Int32Array, at: number, ref: number): void {
  reserve(w, at);
  set(w, at, w[at + INDEX_COUNT], ref);
  w[at + INDEX_COUNT]++;
}

/** Removes and returns the ref at the front (the ring is not empty). */
export function ringShift(w: Int32Array, at: number): number {
  const ref = get(w, at, 0);
  const left = --w[at + INDEX_COUNT];
  w[at + INDEX_HEAD] = left === 0
    ? 0
    : (w[at + INDEX_HEAD] + 1) & (w[at + INDEX_CAPACITY] - 1);
  return ref;
}

/** The ref at the front (the ring is not empty). */
export function ringPeek(w: Int32Array, at: number): number {
  return get(w, at, 0);
}
