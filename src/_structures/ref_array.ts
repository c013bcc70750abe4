// A growable array of refs in the heap, described by INDEX_WORDS words of its
// owner's block (see _layout.ts): the ring, the stack and the binary heap of a
// queue are built on it. Callers hold the owner's lock.
import { alloc, free, heap } from "../_core/heap.ts";
import {
  INDEX_CAPACITY,
  INDEX_COUNT,
  INDEX_HEAD,
  INDEX_REF,
  K_RAW,
} from "../_core/layout.ts";

const FIRST_CAPACITY = 16;

/** Refs held. */
export function count(w: Int32Array, at: number): number {
  return w[at + INDEX_COUNT];
}

/**
 * Makes room for `more` refs (default one), doubling the storage until they
 * fit; the `head` oldest refs of a ring are moved so that they stay in order.
 *
 * @throws {RangeError} When the heap cannot grow (nothing changed then).
 */
export function reserve(w: Int32Array, at: number, more = 1): void {
  const capacityNow = w[at + INDEX_CAPACITY];
  const needed = w[at + INDEX_COUNT] + more;
  if (needed <= capacityNow) return;
  let next = capacityNow === 0 ? FIRST_CAPACITY : capacityNow * 2;
  while (next < needed) next *= 2;
  const ref = alloc(next * 4, K_RAW);
  const old = w[at + INDEX_REF];
  if (old !== 0) {
    const h = heap().i32;
    const head = w[at + INDEX_HEAD];
    // Unwrap: oldest first.
    h.copyWithin(ref, old + head, old + capacityNow);
    h.copyWithin(ref + capacityNow - head, old, old + head);
    free(old);
  }
  w[at + INDEX_REF] = ref;
  w[at + INDEX_CAPACITY] = next;
  w[at + INDEX_HEAD] = 0;
}

/** The ref at position `i` (0: the oldest of a ring, the bottom of a stack). */
export function get(w: Int32Array, at: number, i: number): number {
  const mask = w[at + INDEX_CAPACITY] - 1;
  return heap().i32[w[at + INDEX_REF] + ((w[at + INDEX_HEAD] + i) & mask)];
}

/** Sets the ref at position `i`. */
export function set(w: Int32Array, at: number, i: number, ref: number): void {
  const mask = w[at + INDEX_CAPACITY] - 1;
  heap().i32[w[at + INDEX_REF] + ((w[at + INDEX_HEAD] + i) & mask)] = ref;
}

/** Frees the storage (the refs it held are the caller's business). */
export function release(w: Int32Array, at: number): void {
  if (w[at + INDEX_REF] !== 0) free(w[at + INDEX_REF]);
  w[at + INDEX_REF] = 0;
  w[at + INDEX_CAPACITY] = 0;
  w[at + INDEX_HEAD] = 0;
  w[at + INDEX_COUNT] = 0;
}
