// A ring of refs on a growable ref array: FIFO (an executor's queued
// futures, a watcher's finished ones) or a deque (a SharedList's items, O(1)
// at both ends). Callers hold the owner's lock; the ones that add call
// reserve() first.
import { INDEX_CAPACITY, INDEX_COUNT, INDEX_HEAD } from "../_core/layout.ts";
import { get, reserve, set } from "./ref_array.ts";

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

/** Removes and returns the newest ref (the ring is not empty). */
export function ringPop(w: Int32Array, at: number): number {
  const ref = get(w, at, w[at + INDEX_COUNT] - 1);
  w[at + INDEX_COUNT]--;
  return ref;
}

/** Adds a ref before the oldest (room was reserved). */
export function ringUnshift(w: Int32Array, at: number, ref: number): void {
  w[at + INDEX_HEAD] = (w[at + INDEX_HEAD] - 1) & (w[at + INDEX_CAPACITY] - 1);
  w[at + INDEX_COUNT]++;
  set(w, at, 0, ref);
}

/**
 * Inserts a ref at position `i` (0 ≤ i ≤ count, room reserved), moving the
 * refs of the shorter side.
 */
export function ringInsert(
  w: Int32Array,
  at: number,
  i: number,
  ref: number,
): void {
  const n = w[at + INDEX_COUNT];
  if (i < n - i) {
    ringUnshift(w, at, 0);
    for (let k = 0; k < i; k++) set(w, at, k, get(w, at, k + 1));
  } else {
    w[at + INDEX_COUNT]++;
    for (let k = n; k > i; k--) set(w, at, k, get(w, at, k - 1));
  }
  set(w, at, i, ref);
}

/** Removes and returns the ref at position `i` (0 ≤ i < count). */
export function ringRemove(w: Int32Array, at: number, i: number): number {
  const ref = get(w, at, i);
  const n = w[at + INDEX_COUNT];
  if (i < n - 1 - i) {
    for (let k = i; k > 0; k--) set(w, at, k, get(w, at, k - 1));
    ringShift(w, at);
  } else {
    for (let k = i; k < n - 1; k++) set(w, at, k, get(w, at, k + 1));
    w[at + INDEX_COUNT]--;
  }
  return ref;
}
