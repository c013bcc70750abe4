// The order of a Redis PriorityQueue: each item's natural order (Python's,
// as the local PriorityQueue has it: numbers and bigints, strings, Dates,
// arrays element by element) written as bytes that sort the same way, so
// that Redis keeps the items in order (a sorted set's members, compared as
// bytes) without reading them.
//
// Numbers: 8 bytes of the float64, its sign bit flipped (negatives: all bits
// flipped). Strings: each UTF-16 code unit as 0x01 and two bytes, then 0x00,
// so a prefix sorts first. Arrays: each element after 0x01, then 0x00. A type
// byte first, so mixed types sort by type (numbers, strings, Dates, arrays)
// where Python would refuse to compare them. Inside an array, an element that
// has no natural order ends the key: items equal up to it keep the order
// they were put in (Python would fail comparing them only when it had to).
import { describeValue } from "../_core/validate.ts";

const NUMBER = 0x10;
const STRING = 0x20;
const DATE = 0x30;
const ARRAY = 0x40;
const MAX_DEPTH = 32;

const scratch = new DataView(new ArrayBuffer(8));

function number(out: number[], v: number): void {
  if (Number.isNaN(v)) {
    throw new RangeError("Cannot order NaN in a PriorityQueue");
  }
  scratch.setFloat64(0, v === 0 ? 0 : v);
  const negative = (scratch.getUint8(0) & 0x80) !== 0;
  for (let i = 0; i < 8; i++) {
    const b = scratch.getUint8(i);
    out.push(negative ? b ^ 0xff : i === 0 ? b ^ 0x80 : b);
  }
}

function write(
  out: number[],
  v: unknown,
  depth: number,
  top: boolean,
): boolean {
  if (typeof v === "number" || typeof v === "bigint") {
    out.push(NUMBER);
    number(out, Number(v));
    return true;
  }
  if (typeof v === "string") {
    out.push(STRING);
    for (let i = 0; i < v.length; i++) {
      const u = v.charCodeAt(i);
      out.push(1, u >> 8, u & 0xff);
    }
    out.push(0);
    return true;
  }
  if (v instanceof Date) {
    out.push(DATE);
    number(out, v.getTime());
    return true;
  }
  if (Array.isArray(v) && depth < MAX_DEPTH) {
    out.push(ARRAY);
    for (const item of v) {
      out.push(1);
      if (!write(out, item, depth + 1, false)) return false;
    }
    out.push(0);
    return true;
  }
  if (top) {
    throw new TypeError(
      `Cannot order ${describeValue(v)} in a Redis PriorityQueue: items ` +
        `are ordered by their natural order (numbers, strings, Dates, and ` +
        `arrays of them, such as [priority, data])`,
    );
  }
  return false;
}

/**
 * The sort key of an item.
 *
 * @throws {TypeError} An item with no natural order.
 * @throws {RangeError} NaN in the item's key.
 */
export function sortKey(item: unknown): Uint8Array {
  const out: number[] = [];
  write(out, item, 0, true);
  return new Uint8Array(out);
}
