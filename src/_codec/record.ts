// A record: one encoded value (see _codec.ts) as shared memory keeps it,
// wherever it lies (a block of its own, a queue's ring): a header
// (REC_HEADER_WORDS: its encoded length and its relay id), then its bytes.
// A record is found by the word index of its header (`rec`), as a block by
// its ref.
// Every queue item, shared container value, future outcome and task's
// arguments is one.
//
// A large value is stored out of line: its bytes go into an ArrayBuffer of
// their own that waits in the relay (see _relay_worker.ts), and the record
// keeps only the value's first byte (its flags: whether it holds classes or
// references) so that it takes a few bytes of the heap. Blocks of the heap
// are reused but never given back to the system (the heap is one growable
// SharedArrayBuffer, which cannot shrink); a value's own buffer is. It moves
// by transfer, so the thread that wrote it keeps nothing, and whoever lets
// it go last (the reader that used it up, once decoded, or the relay, when
// it is dropped) detaches it, which frees it at once: no thread's garbage
// collection needs to run.
//
// The bound is where storing out of line stops costing more. Measured on
// Deno 2.9.6 (a Uint8Array put and got by one thread, then through two;
// medians of 5, µs, inline / out of line): 256 KiB 426 / 810 and 563 /
// 1,098; 512 KiB 875 / 1,123 and 1,064 / 1,442; 1 MiB 2,121 / 1,219 and
// 3,872 / 2,110; 2 MiB 3,400 / 2,828 and 4,768 / 2,916. Out of line, the
// relay's round trip costs about 400 µs.
import {
  decode,
  decodeAsync,
  decodeData,
  discard,
  holdsClasses,
  holdsReferences,
  isForeign,
  missingClass,
  type RawEncoded,
} from "./codec.ts";
import { copyIn, copyOut, heap } from "../_core/heap.ts";
import { REC_HEADER_WORDS, REC_LENGTH, REC_RELAY } from "../_core/layout.ts";
import {
  drop,
  fetchParcel,
  fetchParcelAsync,
  freeBytes,
  type Parcel,
  stash,
} from "../_threads/relay.ts";
import type { CodeRef } from "../_locate/locate.ts";

/** Bytes of a record's header. */
export const RECORD_HEADER = REC_HEADER_WORDS * 4;
/** Values of at least this many bytes encoded are stored out of line. */
export const OUT_OF_LINE_BYTES = 1 << 20;
/** What an out-of-line record keeps inline: the value's first byte, padded. */
const HEAD_BYTES = 4;

const NO_SABS: SharedArrayBuffer[] = [];
const NO_BYTES = new Uint8Array(0);

/**
 * A record outside the heap: its inline bytes (the first `size` of `bytes`)
 * and its relay id (0: none, > 0: its shared buffers, < 0: stored out of
 * line), and, once fetched, what waited in the relay.
 */
export interface Loose {
  bytes: Uint8Array;
  size: number;
  relay: number;
  parcel?: Parcel;
}

/** A record about to be written: a Loose one, and its encoded length. */
export interface Prepared extends Loose {
  length: number;
}

const prepared: Prepared = { bytes: NO_BYTES, size: 0, relay: 0, length: 0 };
/** The inline part of the last out-of-line record prepared. */
const head = new Uint8Array(HEAD_BYTES);

/**
 * Makes a record of an encoded value: stores it out of line when it is
 * large, and hands its shared buffers to the relay. The result is reused:
 * write it (or copy it) before the next call.
 */
export function prepareRecord(encoded: RawEncoded): Prepared {
  const p = prepared;
  const length = encoded.length;
  p.length = length;
  if (length >= OUT_OF_LINE_BYTES) return prepareOutOfLine(encoded, p);
  p.bytes = encoded.buffer;
  p.size = length;
  p.relay = encoded.sabs.length > 0 ? stash(encoded.sabs) : 0;
  return p;
}

function prepareOutOfLine(encoded: RawEncoded, p: Prepared): Prepared {
  const { buffer, length } = encoded;
  head[0] = buffer[0];
  // The writer's buffer when it is ours: moved, not copied.
  const bytes = encoded.owned
    ? buffer.buffer as ArrayBuffer
    : buffer.slice(0, length).buffer;
  p.bytes = head;
  p.size = HEAD_BYTES;
  p.relay = -stash(encoded.sabs, bytes, length);
  return p;
}

/** Where the bytes of record `rec` start in the heap, in bytes. */
function bytesAt(rec: number): number {
  return (rec + REC_HEADER_WORDS) * 4;
}

/** Writes a prepared record at word `rec` (RECORD_HEADER + p.size bytes). */
export function writeRecord(rec: number, p: Prepared): void {
  const i32 = heap().i32;
  i32[rec + REC_LENGTH] = p.length;
  i32[rec + REC_RELAY] = p.relay;
  copyIn(p.bytes, p.size, bytesAt(rec));
}

/** The encoded length of the value of record `rec`. */
export function recordLength(rec: number): number {
  return heap().i32[rec + REC_LENGTH];
}

/** The bytes record `rec` keeps after its header. */
export function recordSize(rec: number): number {
  const i32 = heap().i32;
  return i32[rec + REC_RELAY] < 0 ? HEAD_BYTES : i32[rec + REC_LENGTH];
}

/** Fetches what `relay` holds: a copy when `keep` (the record stays). */
function fetch(relay: number, keep: boolean): Parcel {
  return fetchParcel(relay < 0 ? -relay : relay, keep);
}

/** The bytes of a value stored out of line. */
function bytesOf(parcel: Parcel): Uint8Array {
  return new Uint8Array(parcel.bytes!, 0, parcel.length);
}

/** Decodes a value out of line (`spend`: using it up), then frees its bytes. */
function decodeParcel(parcel: Parcel, spend: boolean): unknown {
  try {
    return decode(bytesOf(parcel), parcel.sabs, spend);
  } finally {
    freeBytes(parcel.bytes!);
  }
}

/**
 * The value of record `rec`. `spend`: it is used up (the caller frees its
 * storage); otherwise it stays, and can be read again.
 *
 * @throws {TypeError} When a class it holds is not loaded in this thread.
 */
export function readRecord(rec: number, spend: boolean): unknown {
  const relay = heap().i32[rec + REC_RELAY];
  if (relay === 0) {
    const start = bytesAt(rec);
    // A value from outside this process is read from a copy of exactly its
    // bytes: no length in it is trusted.
    if (isForeign(start)) {
      const end = start + recordLength(rec);
      return decode(heap().u8.slice(start, end), NO_SABS, spend);
    }
    return decode(start, NO_SABS, spend);
  }
  const parcel = fetch(relay, !spend);
  if (relay > 0) return decode(bytesAt(rec), parcel.sabs, spend);
  return decodeParcel(parcel, spend);
}

/**
 * The data of record `rec`, which stays: instances of classes this thread
 * cannot reach come out as plain objects, never an error (a PriorityQueue
 * orders items by their data).
 */
export function readRecordData(rec: number): unknown {
  const relay = heap().i32[rec + REC_RELAY];
  if (relay === 0) return decodeData(bytesAt(rec));
  const parcel = fetch(relay, true);
  if (relay > 0) return decodeData(bytesAt(rec), parcel.sabs);
  try {
    return decodeData(bytesOf(parcel), parcel.sabs);
  } finally {
    freeBytes(parcel.bytes!);
  }
}

/** The first class record `rec` holds that this thread has not loaded. */
export function recordMissingClass(rec: number): CodeRef | undefined {
  const relay = heap().i32[rec + REC_RELAY];
  if (relay >= 0) return missingClass(bytesAt(rec));
  if (!holdsClasses(heap().u8[bytesAt(rec)])) return undefined;
  const parcel = fetch(relay, true);
  try {
    return missingClass(bytesOf(parcel));
  } finally {
    freeBytes(parcel.bytes!);
  }
}

/** Drops record `rec`, which will not be read: what it holds goes. */
export function dropRecord(rec: number): void {
  const relay = heap().i32[rec + REC_RELAY];
  if (relay < 0) {
    dropOutOfLine(heap().u8[bytesAt(rec)], relay);
    return;
  }
  discard(bytesAt(rec));
  if (relay !== 0) drop(relay);
}

function dropOutOfLine(first: number, relay: number): void {
  // Its references are listed in its bytes: they come back to be dropped.
  if (!holdsReferences(first)) {
    drop(-relay);
    return;
  }
  const parcel = fetch(relay, false);
  try {
    discard(bytesOf(parcel));
  } finally {
    freeBytes(parcel.bytes!);
  }
}

// Synchronous reads copy into this buffer (they decode before the next).
let scratch = new Uint8Array(1024);

/**
 * Copies record `rec` out of the heap into `into`: into a new array when
 * `fresh`, else into this thread's buffer, valid until the next copy.
 */
export function copyRecord(rec: number, into: Loose, fresh: boolean): void {
  const size = recordSize(rec);
  const start = bytesAt(rec);
  if (fresh) {
    into.bytes = heap().u8.slice(start, start + size);
  } else {
    if (scratch.length < size) scratch = new Uint8Array(size * 2);
    copyOut(start, size, scratch);
    into.bytes = scratch;
  }
  into.size = size;
  into.relay = heap().i32[rec + REC_RELAY];
  into.parcel = undefined;
}

/**
 * Fetches, without blocking the event loop, what a loose record waits for in
 * the relay (`keep`: a copy, the record stays), so that a read decodes it at
 * once.
 */
export async function fetchLoose(l: Loose, keep: boolean): Promise<void> {
  if (l.relay === 0 || l.parcel !== undefined) return;
  l.parcel = await fetchParcelAsync(l.relay < 0 ? -l.relay : l.relay, keep);
}

/**
 * Decodes a loose record, using it up (fetching from the relay, blocking,
 * what it waits for there and {@linkcode fetchLoose} did not fetch).
 *
 * @throws {TypeError} When a class it holds is not loaded in this thread.
 */
export function readLoose(l: Loose): unknown {
  if (l.relay === 0) return decode(l.bytes);
  const parcel = l.parcel ?? fetch(l.relay, false);
  l.parcel = undefined;
  if (l.relay > 0) return decode(l.bytes, parcel.sabs);
  return decodeParcel(parcel, true);
}

/**
 * Decodes a loose record, importing the modules of classes this thread has
 * not loaded. `spend`: it is used up; otherwise its record stays (and what
 * it waits for in the relay is fetched as a copy).
 */
export async function readLooseAsync(
  l: Loose,
  spend: boolean,
): Promise<unknown> {
  await fetchLoose(l, !spend);
  const parcel = l.parcel;
  l.parcel = undefined;
  if (l.relay >= 0) {
    return decodeAsync(l.bytes, parcel?.sabs ?? NO_SABS, spend);
  }
  try {
    return await decodeAsync(bytesOf(parcel!), parcel!.sabs, spend);
  } finally {
    freeBytes(parcel!.bytes!);
  }
}

/**
 * The first class a loose record holds that this thread has not loaded
 * (what it waits for in the relay fetched already, see fetchLoose).
 */
export function looseMissingClass(l: Loose): CodeRef | undefined {
  if (l.relay >= 0) return missingClass(l.bytes);
  return missingClass(bytesOf(l.parcel!));
}

/** Drops a loose record that will not be read: what it holds goes. */
export function dropLoose(l: Loose): void {
  const parcel = l.parcel;
  l.parcel = undefined;
  if (l.relay >= 0) {
    discard(l.bytes);
    if (l.relay !== 0 && parcel === undefined) drop(l.relay);
    return;
  }
  if (parcel === undefined) {
    dropOutOfLine(l.bytes[0], l.relay);
    return;
  }
  try {
    discard(bytesOf(parcel));
  } finally {
    freeBytes(parcel.bytes!);
  }
}
