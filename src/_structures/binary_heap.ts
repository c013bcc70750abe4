// A binary min-heap of refs (PriorityQueue's index), on a growable ref array.
// `less(a, b)` orders two refs; it may throw (items that cannot be ordered):
// every comparison is made before anything moves, so a throw leaves the heap
// as it was.
import { INDEX_COUNT } from "../_core/layout.ts";
import { get, reserve, set } from "./ref_array.ts";

/** Orders two refs: negative when `a` comes out first. */
export type Compare = (a: number, b: number) => number;

/** Inserts a ref. */
export function heapPush(
  w: Int32Array,
  at: number,
  ref: number,
  compare: Compare,
): void {
  const count = w[at + INDEX_COUNT];
  // Where it goes, comparing first.
  let i = count;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (compare(ref, get(w, at, parent)) >= 0) break;
    i = parent;
  }
  reserve(w, at);
  for (let j = count; j > i;) {
    const parent = (j - 1) >> 1;
    set(w, at, j, get(w, at, parent));
    j = parent;
  }
  set(w, at, i, ref);
  w[at + INDEX_COUNT] = count + 1;
}

/** Removes and returns the smallest ref (the heap is not empty). */
export function heapPop(w: Int32Array, at: number, compare: Compare): number {
  const count = w[at + INDEX_COUNT] - 1;
  const top = get(w, at, 0);
  const last = get(w, at, count);
  if (count === 0) {
    w[at + INDEX_COUNT] = 0;
    return top;
  }
  // The path `last` sinks along, comparing first.
  const path: number[] = [];
  for (let i = 0;;) {
    let child = 2 * i + 1;
    if (child >= count) break;
    if (
      child + 1 < count &&
      compare(get(w, at, child + 1), get(w, at, child)) < 0
    ) child++;
    if (compare(get(w, at, child), last) >= 0) break;
    path.push(child);
    i = child;
  }
  let hole = 0;
  for (const child of path) {
    set(w, at, hole, get(w, at, child));
    hole = child;
  }
  set(w, at, hole, last);
  w[at + INDEX_COUNT] = count;
  return top;
}

/** The smallest ref (the heap is not empty). */
export function heapPeek(w: Int32Array, at: number): number {
  return get(w, at, 0);
}
