// The record store: each queued item is one block of the heap holding its
// encoded bytes (see _codec.ts) and the relay id of the shared buffers it
// carries. Records are written before the queue's lock is taken and read
// after it is released, so the lock is held only to link and unlink refs.
import { alloc, bytesAt, free, heap } from "./_heap.ts";
import { K_RAW, REC_HEADER_WORDS, REC_LENGTH, REC_RELAY } from "./_layout.ts";

/** Stores an encoded item; returns the record's ref. */
export function writeRecord(bytes: Uint8Array, relay: number): number {
  const ref = alloc(REC_HEADER_WORDS * 4 + bytes.length, K_RAW);
  const w = heap().i32;
  w[ref + REC_LENGTH] = bytes.length;
  w[ref + REC_RELAY] = relay;
  bytesAt(ref + REC_HEADER_WORDS, bytes.length).set(bytes);
  return ref;
}

/** The encoded item of a record (a view of shared memory). */
export function recordBytes(ref: number): Uint8Array {
  return bytesAt(ref + REC_HEADER_WORDS, heap().i32[ref + REC_LENGTH]);
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
