// A value stored in a shared container (a SharedList item, a SharedMap
// value, a SharedValue's value): a record (see record_store.ts) holding its
// encoded copy, whose references keep the primitives in it alive while it
// is stored; or, for a small integer, the word that refers to it: counters
// kept in a container then allocate nothing and encode nothing. A stored
// value's word is a record's ref (> 0) or such an immediate (< 0): -1 -
// zigzag(n), for an integer n from -2^30 to 2^30 - 1 (not -0: a float).
import { discard, encodeRaw } from "./codec.ts";
import { callerModules } from "../_core/call_sites.ts";
import { checkInteger, checkOptions } from "../_core/validate.ts";
import { dropRecord, readRecord, recordLength } from "./record.ts";
import { freeRecord, storeEncoded } from "./record_store.ts";

/** The most bytes a container's `maxBytes` may allow. */
const MAX_BYTES = 2 ** 30;

/**
 * A container's `maxBytes` option, `fallback` when absent.
 *
 * @throws {TypeError} When options is not an object or maxBytes not a number.
 * @throws {RangeError} When maxBytes is not an integer from 1 to 2 ** 30.
 */
export function maxBytesOf(
  options: { maxBytes?: number } | undefined,
  fallback: number,
): number {
  return checkInteger(
    checkOptions(options)?.maxBytes ?? fallback,
    "maxBytes",
    1,
    MAX_BYTES,
  );
}

const IMMEDIATE_MIN = -0x40000000;
const IMMEDIATE_MAX = 0x3fffffff;
/** What an immediate counts for `maxBytes`: its size encoded (see below). */
let immediateBytes = 0;

function immediateOf(value: number): number {
  return -1 - ((value << 1) ^ (value >> 31));
}

function valueOf(word: number): number {
  const z = -1 - word;
  return (z >>> 1) ^ -(z & 1);
}

/**
 * Stores a copy of `value`: an immediate for a small integer, else a record
 * of its own holding it encoded; returns the word that refers to it.
 *
 * @throws {TypeError} When it cannot cross threads, or holds shared memory.
 * @throws {RangeError} When it is too large, or the heap cannot grow.
 */
export function storeValue(value: unknown, what: string): number {
  if (
    typeof value === "number" && (value | 0) === value &&
    value >= IMMEDIATE_MIN && value <= IMMEDIATE_MAX &&
    (value !== 0 || 1 / value > 0)
  ) {
    return immediateOf(value);
  }
  const encoded = encodeRaw(value, "value", callerModules);
  if (encoded.sabs.length > 0) {
    discard(encoded.buffer);
    throw new TypeError(
      `Cannot store a SharedArrayBuffer or a view over one in a ${what}: ` +
        "pass shared memory to threads directly",
    );
  }
  return storeEncoded(encoded);
}

/** The bytes a stored value takes, encoded (what `maxBytes` bounds). */
export function storedSize(ref: number): number {
  if (ref > 0) return recordLength(ref);
  // As much as it would take in a record: maxBytes means one thing.
  return immediateBytes ||= encodeRaw(0, "value", () => []).length;
}

/**
 * A copy of a stored value; it stays stored.
 *
 * @throws {TypeError} When it holds an instance of a class this thread
 * cannot reach now (the value stays).
 */
export function readValue(ref: number): unknown {
  return ref < 0 ? valueOf(ref) : readRecord(ref, false);
}

/**
 * Takes a stored value out: returns it and frees its record.
 *
 * @throws {TypeError} When it holds an instance of a class this thread
 * cannot reach now: taken out all the same, its data in `error.value`.
 */
export function takeValue(ref: number): unknown {
  if (ref < 0) return valueOf(ref);
  try {
    return readRecord(ref, true);
  } finally {
    freeRecord(ref);
  }
}

/** Drops a stored value that will not be read. */
export function dropValue(ref: number): void {
  if (ref < 0) return;
  dropRecord(ref);
  freeRecord(ref);
}
