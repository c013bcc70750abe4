// A hash table in the heap, keyed by bytes (see _key_codec.ts), its entries
// linked in insertion order, as a Map's and a Python dict's are. It is
// TABLE_WORDS words of its owner's block; each entry is a block of its own
// whose E_VALUE word the owner uses. Callers hold the owner's lock.
import { alloc, free, heap } from "../_core/heap.ts";
import {
  E_AFTER,
  E_BEFORE,
  E_CHAIN,
  E_HASH,
  E_HEADER_WORDS,
  E_KEY_LENGTH,
  E_VALUE,
  K_RAW,
  TABLE_BUCKETS,
  TABLE_FIRST,
  TABLE_LAST,
  TABLE_MASK,
  TABLE_SIZE,
} from "../_core/layout.ts";

const FIRST_BUCKETS = 16;

/** Entries held. */
export function tableSize(w: Int32Array, at: number): number {
  return Atomics.load(w, at + TABLE_SIZE);
}

/** The entry whose key is the first `length` bytes of `key`, or 0. */
export function tableFind(
  w: Int32Array,
  at: number,
  key: Uint8Array,
  length: number,
  hash: number,
): number {
  const buckets = w[at + TABLE_BUCKETS];
  if (buckets === 0) return 0;
  const { i32, u8 } = heap();
  for (
    let e = i32[buckets + (hash & w[at + TABLE_MASK])];
    e !== 0;
    e = i32[e + E_CHAIN]
  ) {
    if (i32[e + E_HASH] !== hash || i32[e + E_KEY_LENGTH] !== length) continue;
    const start = (e + E_HEADER_WORDS) * 4;
    let i = 0;
    while (i < length && u8[start + i] === key[i]) i++;
    if (i === length) return e;
  }
  return 0;
}

/**
 * Adds an entry for a key not in the table; returns it.
 *
 * @throws {RangeError} When the heap cannot grow (nothing changed then).
 */
export function tableAdd(
  w: Int32Array,
  at: number,
  key: Uint8Array,
  length: number,
  hash: number,
  value: number,
): number {
  const buckets = w[at + TABLE_MASK] + 1;
  if (
    w[at + TABLE_BUCKETS] === 0 || (w[at + TABLE_SIZE] + 1) * 4 > buckets * 3
  ) {
    rehash(w, at, w[at + TABLE_BUCKETS] === 0 ? FIRST_BUCKETS : buckets * 2);
  }
  const e = alloc(E_HEADER_WORDS * 4 + length, K_RAW, false);
  const { i32, u8 } = heap();
  i32[e + E_HASH] = hash;
  i32[e + E_KEY_LENGTH] = length;
  i32[e + E_VALUE] = value;
  u8.set(key.subarray(0, length), (e + E_HEADER_WORDS) * 4);
  const head = w[at + TABLE_BUCKETS] + (hash & w[at + TABLE_MASK]);
  i32[e + E_CHAIN] = i32[head];
  i32[head] = e;
  const last = w[at + TABLE_LAST];
  i32[e + E_BEFORE] = last;
  i32[e + E_AFTER] = 0;
  if (last === 0) w[at + TABLE_FIRST] = e;
  else i32[last + E_AFTER] = e;
  w[at + TABLE_LAST] = e;
  Atomics.store(w, at + TABLE_SIZE, w[at + TABLE_SIZE] + 1);
  return e;
}

function rehash(w: Int32Array, at: number, count: number): void {
  const buckets = alloc(count * 4, K_RAW);
  const i32 = heap().i32;
  const mask = count - 1;
  for (let e = w[at + TABLE_FIRST]; e !== 0; e = i32[e + E_AFTER]) {
    const head = buckets + (i32[e + E_HASH] & mask);
    i32[e + E_CHAIN] = i32[head];
    i32[head] = e;
  }
  if (w[at + TABLE_BUCKETS] !== 0) free(w[at + TABLE_BUCKETS]);
  w[at + TABLE_BUCKETS] = buckets;
  w[at + TABLE_MASK] = mask;
}

/** Unlinks and frees an entry (what its value holds is the caller's). */
export function tableRemove(w: Int32Array, at: number, e: number): void {
  const i32 = heap().i32;
  let link = w[at + TABLE_BUCKETS] + (i32[e + E_HASH] & w[at + TABLE_MASK]);
  while (i32[link] !== e) link = i32[link] + E_CHAIN;
  i32[link] = i32[e + E_CHAIN];
  const before = i32[e + E_BEFORE];
  const after = i32[e + E_AFTER];
  if (before === 0) w[at + TABLE_FIRST] = after;
  else i32[before + E_AFTER] = after;
  if (after === 0) w[at + TABLE_LAST] = before;
  else i32[after + E_BEFORE] = before;
  Atomics.store(w, at + TABLE_SIZE, w[at + TABLE_SIZE] - 1);
  free(e);
}

/** Frees every entry and the buckets (their values are the caller's). */
export function tableClear(w: Int32Array, at: number): void {
  const i32 = heap().i32;
  for (let e = w[at + TABLE_FIRST]; e !== 0;) {
    const after = i32[e + E_AFTER];
    free(e);
    e = after;
  }
  if (w[at + TABLE_BUCKETS] !== 0) free(w[at + TABLE_BUCKETS]);
  w[at + TABLE_BUCKETS] = 0;
  w[at + TABLE_MASK] = 0;
  w[at + TABLE_FIRST] = 0;
  w[at + TABLE_LAST] = 0;
  Atomics.store(w, at + TABLE_SIZE, 0);
}

/** The oldest entry, 0 for none. */
export function tableFirst(w: Int32Array, at: number): number {
  return w[at + TABLE_FIRST];
}

/** The entry added after `e`, 0 for none. */
export function entryAfter(e: number): number {
  return heap().i32[e + E_AFTER];
}

/** The owner's word of entry `e`. */
export function entryValue(e: number): number {
  return heap().i32[e + E_VALUE];
}

/** Sets the owner's word of entry `e`. */
export function setEntryValue(e: number, value: number): void {
  heap().i32[e + E_VALUE] = value;
}

/** Where the key of entry `e` starts in the heap, in bytes. */
export function entryKeyStart(e: number): number {
  return (e + E_HEADER_WORDS) * 4;
}

/** The byte length of the key of entry `e`. */
export function entryKeyLength(e: number): number {
  return heap().i32[e + E_KEY_LENGTH];
}
