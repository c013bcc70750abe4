// The bytes of a key of a SharedMap (and of the registry of module-level
// primitives): one encoding per value, so that keys equal by value have equal
// bytes (1 and 1.0 alike, -0 as 0, every NaN alike, arrays element by
// element), and a hash of those bytes.
import { describeValue } from "../_core/validate.ts";

/** A key of a SharedMap: compared by value. */
export type SharedKey =
  | string
  | number
  | bigint
  | boolean
  | null
  | readonly SharedKey[];

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_NUMBER = 3;
const T_STRING = 4;
const T_BIGINT = 5;
const T_ARRAY = 6;
const MAX_DEPTH = 64;

let buffer = new Uint8Array(256);
let view = new DataView(buffer.buffer);
let length = 0;

function room(bytes: number): void {
  if (length + bytes <= buffer.length) return;
  const bigger = new Uint8Array(Math.max(buffer.length * 2, length + bytes));
  bigger.set(buffer.subarray(0, length));
  buffer = bigger;
  view = new DataView(buffer.buffer);
}

function u32(value: number): void {
  room(4);
  view.setUint32(length, value, true);
  length += 4;
}

function text(value: string): void {
  u32(value.length);
  room(value.length * 2);
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    buffer[length++] = unit & 0xff;
    buffer[length++] = unit >> 8;
  }
}

/**
 * A copy of `key` that runs no code when read: an array's elements are read
 * once, here, before any byte is written (a getter may encode a key too).
 */
function plain(key: unknown, depth: number, what: string): unknown {
  switch (typeof key) {
    case "string":
    case "number":
    case "bigint":
    case "boolean":
      return key;
  }
  if (key === null) return key;
  if (Array.isArray(key) && depth < MAX_DEPTH) {
    const out: unknown[] = [];
    for (let i = 0; i < key.length; i++) {
      out.push(plain(key[i], depth + 1, what));
    }
    return out;
  }
  throw new TypeError(
    `Cannot use ${
      Array.isArray(key) ? "an array nested this deep" : describeValue(key)
    } as a ${what} key: keys are strings, numbers, bigints, booleans, null, or arrays of them`,
  );
}

function put(key: unknown): void {
  room(1);
  switch (typeof key) {
    case "string":
      buffer[length++] = T_STRING;
      text(key);
      return;
    case "number":
      buffer[length++] = T_NUMBER;
      room(8);
      // One NaN, and -0 as 0: the key compares as SameValueZero does.
      view.setFloat64(length, key !== key ? NaN : key === 0 ? 0 : key, true);
      length += 8;
      return;
    case "bigint":
      buffer[length++] = T_BIGINT;
      text(key.toString(16));
      return;
    case "boolean":
      buffer[length++] = key ? T_TRUE : T_FALSE;
      return;
  }
  if (key === null) {
    buffer[length++] = T_NULL;
    return;
  }
  const items = key as unknown[];
  buffer[length++] = T_ARRAY;
  u32(items.length);
  for (let i = 0; i < items.length; i++) put(items[i]);
}

/**
 * An encoded key: the first `length` bytes of `bytes` (this thread's key
 * buffer, valid until the next encode), and their hash.
 */
export interface EncodedKey {
  bytes: Uint8Array;
  length: number;
  hash: number;
}

/**
 * Encodes `key` into `out`, allocating nothing (the hot path of SharedMap).
 * `out.bytes` is read after the encode: the buffer may be replaced while
 * encoding, so a caller that took it before would read stale bytes.
 *
 * @throws {TypeError} When it is not a {@linkcode SharedKey}.
 */
export function encodeKeyInto(
  key: unknown,
  what: string,
  out: EncodedKey,
): void {
  const type = typeof key;
  const value = type === "string" || type === "number" || key === null
    ? key
    : plain(key, 0, what);
  length = 0;
  put(value);
  out.bytes = buffer;
  out.length = length;
  out.hash = hashBytes(buffer, 0, length);
}

const scratch: EncodedKey = { bytes: buffer, length: 0, hash: 0 };

/**
 * Encodes `key`; returns a copy of its bytes.
 *
 * @throws {TypeError} When it is not a {@linkcode SharedKey}.
 */
export function encodeKey(key: unknown, what: string): Uint8Array {
  encodeKeyInto(key, what, scratch);
  return scratch.bytes.slice(0, scratch.length);
}

/** FNV-1a of the first `count` bytes of `bytes` from `start`. */
export function hashBytes(
  bytes: Uint8Array,
  start: number,
  count: number,
): number {
  let h = 0x811c9dc5;
  for (let i = start; i < start + count; i++) {
    h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  return h | 0;
}

/** Decodes the key encoded at `start` of `bytes`. */
export function decodeKey(bytes: Uint8Array, start: number): SharedKey {
  at = start;
  source = bytes;
  return take();
}

let at = 0;
let source: Uint8Array = buffer;

function takeU32(): number {
  const value = source[at] | source[at + 1] << 8 | source[at + 2] << 16 |
    source[at + 3] << 24;
  at += 4;
  return value >>> 0;
}

/** A count read from the bytes, checked against what is left of them. */
function takeCount(bytesEach: number): number {
  const count = takeU32();
  if (at + count * bytesEach > source.length) {
    throw new TypeError("Cannot decode a key: its bytes are damaged");
  }
  return count;
}

function takeText(): string {
  const count = takeCount(2);
  let out = "";
  for (let i = 0; i < count; i++) {
    out += String.fromCharCode(source[at] | source[at + 1] << 8);
    at += 2;
  }
  return out;
}

function take(): SharedKey {
  const tag = source[at++];
  switch (tag) {
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_NUMBER: {
      const value = new DataView(source.buffer, source.byteOffset + at, 8)
        .getFloat64(0, true);
      at += 8;
      return value;
    }
    case T_STRING:
      return takeText();
    case T_BIGINT: {
      const digits = takeText();
      return digits.startsWith("-")
        ? -BigInt("0x" + digits.slice(1))
        : BigInt("0x" + digits);
    }
    case T_ARRAY: {
      const count = takeCount(1);
      const out: SharedKey[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = take();
      return out;
    }
    default:
      throw new TypeError(`Cannot decode a key: unknown tag ${tag}`);
  }
}
