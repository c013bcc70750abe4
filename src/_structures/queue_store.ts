// Where a queue keeps its items, in its order: a ring of bytes for FIFO (the
// records inline, see _byte_ring.ts), a stack or a binary heap of record
// blocks for LIFO and priority (see _record_store.ts). Every record is a
// header (byte length, relay id) and the encoded item. Callers hold the
// queue's lock; STORE_WORDS words of the queue's block describe the store.
import { heap } from "../_core/heap.ts";
import { FIFO, LIFO } from "../_core/layout.ts";
import {
  forEach as ringEach,
  RING_RECORD_HEADER,
  RING_WORDS,
  ringDrop,
  ringFront,
  ringRelease,
  ringWrite,
} from "./byte_ring.ts";
import {
  freeRecord,
  recordStart,
  writeRecord,
} from "../_codec/record_store.ts";
import { stackPeek, stackPop, stackPush } from "./stack.ts";
import { type Compare, heapPeek, heapPop, heapPush } from "./binary_heap.ts";
import { count, get, release as releaseIndex } from "./ref_array.ts";

export const STORE_WORDS = RING_WORDS;

/** Orders two records (heap byte offsets of their items): priority only. */
export type RecordCompare = (a: number, b: number) => number;

/**
 * Adds an encoded item (the first `length` bytes of `bytes`), and the relay
 * id of the buffers it carries.
 */
export function storeAdd(
  w: Int32Array,
  at: number,
  order: number,
  bytes: Uint8Array,
  length: number,
  relay: number,
  compare: RecordCompare,
): void {
  if (order === FIFO) {
    ringWrite(w, at, bytes, length, relay);
    return;
  }
  const rec = writeRecord(bytes, length, relay);
  try {
    if (order === LIFO) stackPush(w, at, rec);
    else heapPush(w, at, rec, byRef(compare));
  } catch (error) {
    freeRecord(rec);
    throw error;
  }
}

function byRef(compare: RecordCompare): Compare {
  return (a, b) => compare(recordStart(a), recordStart(b));
}

/** The heap byte offset of the next record's header (the store is not empty). */
export function storeNext(w: Int32Array, at: number, order: number): number {
  if (order === FIFO) return ringFront(w, at);
  return (order === LIFO ? stackPeek(w, at) : heapPeek(w, at)) << 2;
}

/** The byte length of the item of the record at `header`. */
export function recordLength(header: number): number {
  return heap().i32[header >> 2];
}

/** The relay id of the record at `header`. */
export function recordRelayAt(header: number): number {
  return heap().i32[(header >> 2) + 1];
}

/** Where the item of the record at `header` starts. */
export function itemAt(header: number): number {
  return header + RING_RECORD_HEADER;
}

/**
 * Removes the next record, once its item has been copied out (storeNext
 * gave its header).
 */
export function storeDrop(
  w: Int32Array,
  at: number,
  order: number,
  compare: RecordCompare,
): void {
  if (order === FIFO) ringDrop(w, at);
  else if (order === LIFO) freeRecord(stackPop(w, at));
  else freeRecord(heapPop(w, at, byRef(compare)));
}

/** Calls `fn` with the header of every record, and empties the store. */
export function storeClear(
  w: Int32Array,
  at: number,
  order: number,
  fn: (header: number) => void,
): void {
  if (order === FIFO) {
    ringEach(w, at, fn);
    ringRelease(w, at);
    return;
  }
  for (let i = count(w, at) - 1; i >= 0; i--) {
    const rec = get(w, at, i);
    fn(rec << 2);
    freeRecord(rec);
  }
  releaseIndex(w, at);
}
