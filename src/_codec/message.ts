// A message: one value, encoded by the codec into a record of its own (see
// _record.ts) that any thread can decode: an executor task's arguments, a
// future's outcome, the description of a submitted function.
import { encodeRaw, type Modules } from "./codec.ts";
import {
  copyRecord,
  dropRecord,
  type Loose,
  readLooseAsync,
  readRecord,
  recordMissingClass,
} from "./record.ts";
import { freeRecord, storeEncoded } from "./record_store.ts";

const NO_SABS: SharedArrayBuffer[] = [];
import type { CodeRef } from "../_locate/locate.ts";

/**
 * Encodes `value` into a new block; returns its ref.
 *
 * @throws {TypeError} When the value holds something that cannot cross.
 * @throws {RangeError} When it is too large, or the heap cannot grow.
 */
export function storeMessage(
  value: unknown,
  path: string,
  modules: Modules,
): number {
  return storeEncoded(encodeRaw(value, path, modules));
}

/**
 * Stores a message's bytes as they are (no shared buffers: one read from
 * outside this process) in a record of their own; returns its ref.
 *
 * @throws {RangeError} When it is too large, or the heap cannot grow.
 */
export function storeBytes(bytes: Uint8Array): number {
  return storeEncoded({
    buffer: bytes,
    length: bytes.length,
    sabs: NO_SABS,
    owned: true,
  });
}

/** The first class the message holds that this thread has not loaded. */
export function messageMissing(ref: number): CodeRef | undefined {
  return recordMissingClass(ref);
}

/**
 * Decodes the message. `once`: it is used up (then freed); otherwise it can
 * be read again, by any thread, until {@linkcode dropMessage}.
 *
 * @throws {TypeError} When a class it holds cannot be reached in this
 * thread: `error.value` holds its data (used up all the same when `once`).
 */
export function loadMessage(ref: number, once: boolean): unknown {
  try {
    return readRecord(ref, once);
  } finally {
    if (once) freeRecord(ref);
  }
}

/** As {@linkcode loadMessage}, importing the modules of missing classes. */
export function loadMessageAsync(
  ref: number,
  once: boolean,
): Promise<unknown> {
  const copy: Loose = { bytes: new Uint8Array(0), size: 0, relay: 0 };
  copyRecord(ref, copy, true);
  if (once) freeRecord(ref);
  return readLooseAsync(copy, once);
}

/** Frees a message that will not be decoded (again). */
export function dropMessage(ref: number): void {
  dropRecord(ref);
  freeRecord(ref);
}
