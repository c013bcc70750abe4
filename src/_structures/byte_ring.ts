// A FIFO of records (see _record.ts) stored inline in one ring of bytes
// (Queue's store): a put copies its record in, a get copies it out, and
// neither allocates. Each record is padded to 8. One that does not fit before
// the end of the ring leaves a WRAP mark there and starts at 0. The ring
// grows, in order, when full; a large ring that empties goes back to the
// heap. A large value takes a few bytes here: it is stored out of line.
// Callers hold the owner's lock; RING_WORDS words of the owner's block
// describe the ring. Offsets in the ring are bytes, under 1 GiB (the largest
// block): shifting them to words is safe.
import { alloc, free, heap } from "../_core/heap.ts";
import { K_RAW, REC_LENGTH } from "../_core/layout.ts";
import {
  OUT_OF_LINE_BYTES,
  type Prepared,
  RECORD_HEADER,
  recordSize,
  writeRecord,
} from "../_codec/record.ts";

export const RING_REF = 0; // ref of the ring's block, 0: none yet
export const RING_CAPACITY = 1; // bytes, a power of two
export const RING_HEAD = 2; // byte offset of the oldest record
export const RING_USED = 3; // bytes in use, padding and wrap marks included
export const RING_WORDS = 4;
/** Marks the end of the ring's records, in a record's length word. */
const WRAP = -1;
const FIRST_CAPACITY = 256;
/** A ring larger than this is freed when it empties. */
const KEPT_CAPACITY = OUT_OF_LINE_BYTES;

/** The bytes a record takes in the ring, given the size it keeps inline. */
function padded(size: number): number {
  return RECORD_HEADER + ((size + 7) & ~7);
}

/** Where the next record goes, and how many bytes it takes there. */
function placement(w: Int32Array, at: number, size: number): number {
  const capacity = w[at + RING_CAPACITY];
  if (capacity === 0) return -1;
  const used = w[at + RING_USED];
  const tail = (w[at + RING_HEAD] + used) & (capacity - 1);
  const toEnd = capacity - tail;
  // At the tail, or after a wrap mark that fills the rest of the ring.
  if (toEnd >= size) return used + size <= capacity ? tail : -1;
  return used + toEnd + size <= capacity ? tail : -1;
}

/**
 * Appends a prepared record.
 *
 * @throws {RangeError} When the heap cannot grow to hold it (the ring is
 * unchanged then).
 */
export function ringWrite(w: Int32Array, at: number, p: Prepared): void {
  const size = padded(p.size);
  let tail = placement(w, at, size);
  if (tail < 0) {
    grow(w, at, size);
    tail = placement(w, at, size);
  }
  const base = w[at + RING_REF];
  const capacity = w[at + RING_CAPACITY];
  if (capacity - tail < size) {
    heap().i32[base + (tail >> 2) + REC_LENGTH] = WRAP;
    w[at + RING_USED] += capacity - tail;
    tail = 0;
  }
  writeRecord(base + (tail >> 2), p);
  w[at + RING_USED] += size;
}

/** Moves the records into a ring that holds `size` more bytes. */
function grow(w: Int32Array, at: number, size: number): void {
  const old = w[at + RING_REF];
  const oldCapacity = w[at + RING_CAPACITY];
  let capacity = Math.max(FIRST_CAPACITY, oldCapacity * 2);
  while (capacity < w[at + RING_USED] + size) capacity *= 2;
  const ref = alloc(capacity, K_RAW, false);
  let used = 0;
  if (old !== 0) {
    const u8 = heap().u8;
    const to = ref * 4;
    forEach(w, at, (rec) => {
      const n = padded(recordSize(rec));
      u8.copyWithin(to + used, rec * 4, rec * 4 + n);
      used += n;
    });
    free(old);
  }
  w[at + RING_REF] = ref;
  w[at + RING_CAPACITY] = capacity;
  w[at + RING_HEAD] = 0;
  w[at + RING_USED] = used;
}

/** The oldest record's `rec` (the ring is not empty); passes a wrap mark. */
export function ringFront(w: Int32Array, at: number): number {
  const head = w[at + RING_HEAD];
  const rec = w[at + RING_REF] + (head >> 2);
  if (heap().i32[rec + REC_LENGTH] !== WRAP) return rec;
  w[at + RING_USED] -= w[at + RING_CAPACITY] - head;
  w[at + RING_HEAD] = 0;
  return w[at + RING_REF];
}

/** Removes the oldest record (after ringFront). */
export function ringDrop(w: Int32Array, at: number): void {
  const head = w[at + RING_HEAD];
  const size = padded(recordSize(w[at + RING_REF] + (head >> 2)));
  const used = w[at + RING_USED] - size;
  w[at + RING_USED] = used;
  if (used !== 0) {
    w[at + RING_HEAD] = (head + size) & (w[at + RING_CAPACITY] - 1);
  } else if (w[at + RING_CAPACITY] > KEPT_CAPACITY) {
    ringRelease(w, at);
  } else {
    // An empty ring starts over at 0: fewer wrap marks.
    w[at + RING_HEAD] = 0;
  }
}

/** Calls `fn` with every record's `rec`, oldest first. */
export function forEach(
  w: Int32Array,
  at: number,
  fn: (start: number) => void,
): void {
  const capacity = w[at + RING_CAPACITY];
  if (capacity === 0) return;
  const h = heap().i32;
  const base = w[at + RING_REF];
  let head = w[at + RING_HEAD];
  for (let left = w[at + RING_USED]; left > 0;) {
    const rec = base + (head >> 2);
    if (h[rec + REC_LENGTH] === WRAP) {
      left -= capacity - head;
      head = 0;
      continue;
    }
    fn(rec);
    const size = padded(recordSize(rec));
    left -= size;
    head = (head + size) & (capacity - 1);
  }
}

/** Frees the ring's storage (its records are the caller's business). */
export function ringRelease(w: Int32Array, at: number): void {
  if (w[at + RING_REF] !== 0) free(w[at + RING_REF]);
  w.fill(0, at, at + RING_WORDS);
}
