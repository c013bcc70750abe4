// The record store: records (see _record.ts) in blocks of their own, each
// a queued item (LIFO and priority queues), a shared container's value, or a
// message (_message.ts). A block's ref is its record's `rec`. Records are written before the lock of their owner
// is taken and read after it is released, so the lock is held only to link
// and unlink refs.
import type { RawEncoded } from "./codec.ts";
import { alloc, free } from "../_core/heap.ts";
import { K_RAW } from "../_core/layout.ts";
import {
  dropLoose,
  type Prepared,
  prepareRecord,
  RECORD_HEADER,
  writeRecord,
} from "./record.ts";

/**
 * Stores a prepared record in a block of its own; returns the block's ref.
 *
 * @throws {RangeError} When the heap cannot grow to hold it.
 */
export function storeRecord(p: Prepared): number {
  const ref = alloc(RECORD_HEADER + p.size, K_RAW, false);
  writeRecord(ref, p);
  return ref;
}

/**
 * Stores an encoded value in a block of its own; returns the block's ref.
 *
 * @throws {RangeError} When the heap cannot grow to hold it (the value is
 * dropped then).
 */
export function storeEncoded(encoded: RawEncoded): number {
  const p = prepareRecord(encoded);
  try {
    return storeRecord(p);
  } catch (error) {
    dropLoose(p);
    throw error;
  }
}

/** Frees a record's block (what the record holds is the caller's business). */
export function freeRecord(ref: number): void {
  free(ref);
}
