// How a PriorityQueue orders its items: Python's natural order by default,
// or a comparator, which travels to every thread that puts as a
// description stored in a block of its own.
import { alloc, bytesAt, heap } from "../_core/heap.ts";
import { K_RAW } from "../_core/layout.ts";
import { decode, encode } from "../_codec/codec.ts";
import type { CodeRef } from "../_locate/locate.ts";

/** A comparator of two items (negative: `a` first). */
export type Order = (a: unknown, b: unknown) => number;

/** Stores the description of a comparator in a block of its own; returns it. */
export function storeCompare(ref: CodeRef): number {
  const { bytes } = encode(ref, "compare", () => []);
  const block = alloc(4 + bytes.length, K_RAW);
  heap().i32[block] = bytes.length;
  bytesAt(block + 1, bytes.length).set(bytes);
  return block;
}

/** The description storeCompare() stored in `block`. */
export function loadCompare(block: number): CodeRef {
  return decode(bytesAt(block + 1, heap().i32[block]), [], false) as CodeRef;
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/**
 * Refuses an item the natural order cannot place: NaN (or an invalid Date)
 * anywhere in it is neither smaller nor larger than anything, so the queue
 * would misorder without a word.
 *
 * @throws {TypeError} When the item holds one.
 */
export function checkOrderable(item: unknown, depth = 0): void {
  if (
    typeof item === "number"
      ? Number.isNaN(item)
      : item instanceof Date && Number.isNaN(item.getTime())
  ) {
    throw new TypeError(
      `Cannot put an item in a PriorityQueue: received ${
        typeof item === "number" ? "NaN" : "an invalid Date"
      }, which has no place in the order (pass { compare } to order such items)`,
    );
  }
  if (Array.isArray(item) && depth < 64) {
    for (let i = 0; i < item.length; i++) checkOrderable(item[i], depth + 1);
  }
}

/**
 * Python's ordering of tuples and the values in them: numbers and bigints,
 * strings, Dates, arrays element by element.
 *
 * @throws {TypeError} For values it cannot order.
 */
export function naturalCompare(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if (
    (ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")
  ) {
    return (a as number) < (b as number)
      ? -1
      : (a as number) > (b as number)
      ? 1
      : 0;
  }
  if (ta === "string" && tb === "string") {
    return (a as string) < (b as string)
      ? -1
      : (a as string) > (b as string)
      ? 1
      : 0;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length && i < b.length; i++) {
      const c = naturalCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TypeError(
    `Cannot order ${typeName(a)} and ${typeName(b)} in a PriorityQueue: ` +
      `pass { compare } to order such items`,
  );
}
