// The record store: each queued item is one block of the heap holding its
// encoded bytes (see _codec.ts) and the relay id of the shared buffers it
// carries. Records are written before the queue's lock is taken and read
// after it is released, so the lock is held only to link and unlink refs.
import { alloc, copyIn, free, heap } from "../_core/heap.ts";
import {
  K_RAW,
  REC_HEADER_WORDS,
  REC_LENGTH,
  REC_RELAY,
} from "../_core/layout.ts";

/** Stores an encoded item (the first `length` bytes); returns the record's ref. */
export function writeRecord(
  bytes: Uint8Array,
  length: number,
  relay: number,
): number {
  const ref = alloc(REC_HEADER_WORDS * 4 + length, K_RAW, false);
  const h = heap();
  h.i32[ref + REC_LENGTH] = length;
  h.i32[ref + REC_RELAY] = relay;
  copyIn(bytes, length, (ref + REC_HEADER_WORDS) << 2);
  return ref;
}

/** Where a record's encoded item starts in the heap, in bytes. */
export function recordStart(ref: number): number {
  return (ref + REC_HEADER_WORDS) << 2;
}

/** The relay id of the shared buffers a record carries, 0 for none. */
export function recordRelay(ref: number): number {
  return heap().i32[ref + REC_RELAY];
}

/** The bytes a record counts for a queue's byte bound: its item's, encoded. */
export function recordSize(ref: number): number {
  return heap().i32[ref + REC_LENGTH];
}

/** Frees a record. */
export function freeRecord(ref: number): void {
  free(ref);
}
