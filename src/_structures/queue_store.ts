// Where a queue keeps its items, in its order: a ring of bytes for FIFO (the
// records inline, see _byte_ring.ts), a stack or a binary heap of record
// blocks for LIFO and priority (see _record_store.ts). Every item is a
// record (see _record.ts), found by the word index of its header.
// Callers hold the queue's lock; STORE_WORDS words of the queue's block
// describe the store.
import { FIFO, LIFO } from "../_core/layout.ts";
import {
  forEach as ringEach,
  RING_WORDS,
  ringDrop,
  ringFront,
  ringRelease,
  ringWrite,
} from "./byte_ring.ts";
import type { Prepared } from "../_codec/record.ts";
import { freeRecord, storeRecord } from "../_codec/record_store.ts";
import { stackPeek, stackPop, stackPush } from "./stack.ts";
import { type Compare, heapPeek, heapPop, heapPush } from "./binary_heap.ts";
import { count, get, release as releaseIndex } from "./ref_array.ts";

export const STORE_WORDS = RING_WORDS;

/** Orders two records (their `rec`s): priority only. */
export type RecordCompare = Compare;

/**
 * Adds a prepared record.
 *
 * @throws {RangeError} When the heap cannot grow (the store is unchanged).
 */
export function storeAdd(
  w: Int32Array,
  at: number,
  order: number,
  p: Prepared,
  compare: RecordCompare,
): void {
  if (order === FIFO) {
    ringWrite(w, at, p);
    return;
  }
  const rec = storeRecord(p);
  try {
    if (order === LIFO) stackPush(w, at, rec);
    else heapPush(w, at, rec, compare);
  } catch (error) {
    freeRecord(rec);
    throw error;
  }
}

/** The next record's `rec` (the store is not empty). */
export function storeNext(w: Int32Array, at: number, order: number): number {
  if (order === FIFO) return ringFront(w, at);
  return order === LIFO ? stackPeek(w, at) : heapPeek(w, at);
}

/**
 * Removes the next record, once its item has been copied out (storeNext
 * gave where it is).
 */
export function storeDrop(
  w: Int32Array,
  at: number,
  order: number,
  compare: RecordCompare,
): void {
  if (order === FIFO) ringDrop(w, at);
  else if (order === LIFO) freeRecord(stackPop(w, at));
  else freeRecord(heapPop(w, at, compare));
}

/** Calls `fn` with every record's `rec`, and empties the store. */
export function storeClear(
  w: Int32Array,
  at: number,
  order: number,
  fn: (record: number) => void,
): void {
  if (order === FIFO) {
    ringEach(w, at, fn);
    ringRelease(w, at);
    return;
  }
  for (let i = count(w, at) - 1; i >= 0; i--) {
    const rec = get(w, at, i);
    fn(rec);
    freeRecord(rec);
  }
  releaseIndex(w, at);
}
