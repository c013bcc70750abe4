// A value stored in a shared container (a SharedList item, a SharedMap
// value): a record (see _record_store.ts) holding its encoded copy, whose
// references keep the primitives in it alive while it is stored.
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

/**
 * Encodes a copy of `value` into a record of its own; returns its ref.
 *
 * @throws {TypeError} When it cannot cross threads, or holds shared memory.
 * @throws {RangeError} When it is too large, or the heap cannot grow.
 */
export function storeValue(value: unknown, what: string): number {
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
  return recordLength(ref);
}

/**
 * A copy of a stored value; it stays stored.
 *
 * @throws {TypeError} When it holds an instance of a class this thread
 * cannot reach now (the value stays).
 */
export function readValue(ref: number): unknown {
  return readRecord(ref, false);
}

/**
 * Takes a stored value out: returns it and frees its record.
 *
 * @throws {TypeError} When it holds an instance of a class this thread
 * cannot reach now: taken out all the same, its data in `error.value`.
 */
export function takeValue(ref: number): unknown {
  try {
    return readRecord(ref, true);
  } finally {
    freeRecord(ref);
  }
}

/** Drops a stored value that will not be read. */
export function dropValue(ref: number): void {
  dropRecord(ref);
  freeRecord(ref);
}
