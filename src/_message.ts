// A message: one value, encoded by the codec into a block of its own, that
// any thread can decode (an executor task's arguments, a future's outcome,
// the description of a submitted function). The block holds the bytes; its
// SharedArrayBuffers, which bytes cannot hold, wait in the relay.
import { alloc, copyIn, free, heap } from "./_heap.ts";
import { K_RAW, M_HEADER_WORDS, M_LENGTH, M_RELAY } from "./_layout.ts";
import {
  decode,
  decodeAsync,
  discard,
  encodeRaw,
  isForeign,
  missingClass,
  type Modules,
  notLoaded,
} from "./_codec.ts";
import { drop, fetchRelayed, fetchRelayedAsync, stash } from "./_relay.ts";
import type { CodeRef } from "./_locate.ts";

const NO_SABS: SharedArrayBuffer[] = [];

/**
 * Encodes `value` into a new block; returns its ref.
 *
 * @throws {TypeError} When the value holds something that cannot cross.
 * @throws {RangeError} When the heap cannot grow.
 */
export function storeMessage(
  value: unknown,
  path: string,
  modules: Modules,
): number {
  const { buffer, length, sabs } = encodeRaw(value, path, modules);
  let ref: number;
  try {
    ref = alloc(M_HEADER_WORDS * 4 + length, K_RAW, false);
  } catch (error) {
    discard(buffer.subarray(0, length));
    throw error;
  }
  const i32 = heap().i32;
  i32[ref + M_LENGTH] = length;
  i32[ref + M_RELAY] = sabs.length > 0 ? stash(sabs) : 0;
  copyIn(buffer, length, (ref + M_HEADER_WORDS) * 4);
  return ref;
}

/**
 * Copies an encoded value (no shared buffers: a foreign one) into a new
 * block; returns its ref.
 *
 * @throws {RangeError} When the heap cannot grow.
 */
export function storeEncoded(bytes: Uint8Array): number {
  const ref = alloc(M_HEADER_WORDS * 4 + bytes.length, K_RAW, false);
  const i32 = heap().i32;
  i32[ref + M_LENGTH] = bytes.length;
  i32[ref + M_RELAY] = 0;
  copyIn(bytes, bytes.length, (ref + M_HEADER_WORDS) * 4);
  return ref;
}

/** The first class the message holds that this thread has not loaded. */
export function messageMissing(ref: number): CodeRef | undefined {
  return missingClass((ref + M_HEADER_WORDS) * 4);
}

/**
 * Decodes the message. `once`: it is used up (then freed); otherwise it can
 * be read again, by any thread, until {@linkcode dropMessage}.
 *
 * @throws {TypeError} When a class it holds is not loaded in this thread.
 */
export function loadMessage(ref: number, once: boolean): unknown {
  const start = (ref + M_HEADER_WORDS) * 4;
  if (isForeign(start)) {
    // Read from a copy of exactly its bytes: no length in it is trusted.
    const bytes = heap().u8.slice(start, start + heap().i32[ref + M_LENGTH]);
    if (once) free(ref);
    return decode(bytes);
  }
  // Before the relay is asked: an item that stays must keep its buffers.
  const missing = messageMissing(ref);
  if (missing !== undefined) throw new TypeError(notLoaded(missing));
  const relay = heap().i32[ref + M_RELAY];
  const sabs = relay === 0 ? NO_SABS : fetchRelayed(relay, !once);
  const value = decode((ref + M_HEADER_WORDS) * 4, sabs, once);
  if (once) free(ref);
  return value;
}

/** As {@linkcode loadMessage}, importing the modules of missing classes. */
export async function loadMessageAsync(
  ref: number,
  once: boolean,
): Promise<unknown> {
  const i32 = heap().i32;
  const relay = i32[ref + M_RELAY];
  const sabs = relay === 0 ? NO_SABS : await fetchRelayedAsync(relay, !once);
  const start = (ref + M_HEADER_WORDS) * 4;
  const bytes = heap().u8.slice(start, start + heap().i32[ref + M_LENGTH]);
  if (!once) return decodeAsync(bytes, sabs, false);
  free(ref);
  return decodeAsync(bytes, sabs);
}

/** Frees a message that will not be decoded (again). */
export function dropMessage(ref: number): void {
  const relay = heap().i32[ref + M_RELAY];
  discard((ref + M_HEADER_WORDS) * 4);
  if (relay !== 0) drop(relay);
  free(ref);
}
