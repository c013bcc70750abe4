// A FIFO of records stored inline in one ring of bytes (Queue's store): a put
// copies its encoded item in, a get copies it out, and neither allocates. A
// record is its byte length and relay id (RING_RECORD_HEADER bytes) and its
// bytes, padded to 8. One that does not fit before the end of the ring leaves
// a WRAP mark there and starts at 0. The ring grows, in order, when full.
// Callers hold the owner's lock; RING_WORDS words of the owner's block
// describe the ring.
import { alloc, copyIn, free, heap } from "../_core/heap.ts";
import { K_RAW } from "../_core/layout.ts";

export const RING_REF = 0; // ref of the ring's block, 0: none yet
export const RING_CAPACITY = 1; // bytes, a power of two
export const RING_HEAD = 2; // byte offset of the oldest record
export const RING_USED = 3; // bytes in use, padding and wrap marks included
export const RING_WORDS = 4;
/** Byte length and relay id, before a record's bytes. */
export const RING_RECORD_HEADER = 8;
const WRAP = -1;
const FIRST_CAPACITY = 256;

function padded(length: number): number {
  return RING_RECORD_HEADER + ((length + 7) & ~7);
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
 * Appends a record: the first `length` bytes of `bytes`.
 *
 * @throws {RangeError} When the heap cannot grow to hold it (the ring is
 * unchanged then).
 */
export function ringWrite(
  w: Int32Array,
  at: number,
  bytes: Uint8Array,
  length: number,
  relay: number,
): void {
  const size = padded(length);
  let tail = placement(w, at, size);
  if (tail < 0) {
    grow(w, at, size);
    tail = placement(w, at, size);
  }
  const h = heap();
  const base = w[at + RING_REF] << 2;
  const capacity = w[at + RING_CAPACITY];
  if (capacity - tail < size) {
    h.i32[(base + tail) >> 2] = WRAP;
    w[at + RING_USED] += capacity - tail;
    tail = 0;
  }
  const start = base + tail;
  h.i32[start >> 2] = length;
  h.i32[(start >> 2) + 1] = relay;
  copyIn(bytes, length, start + RING_RECORD_HEADER);
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
    const h = heap();
    const to = ref << 2;
    forEach(w, at, (start) => {
      const length = h.i32[start >> 2];
      const n = padded(length);
      h.u8.copyWithin(to + used, start, start + n);
      used += n;
    });
    free(old);
  }
  w[at + RING_REF] = ref;
  w[at + RING_CAPACITY] = capacity;
  w[at + RING_HEAD] = 0;
  w[at + RING_USED] = used;
}

/**
 * The heap byte offset of the oldest record's header (the ring is not
 * empty); passes a wrap mark first.
 */
export function ringFront(w: Int32Array, at: number): number {
  const base = w[at + RING_REF] << 2;
  const head = w[at + RING_HEAD];
  if (heap().i32[(base + head) >> 2] !== WRAP) return base + head;
  w[at + RING_USED] -= w[at + RING_CAPACITY] - head;
  w[at + RING_HEAD] = 0;
  return base;
}

/** Removes the oldest record (after ringFront). */
export function ringDrop(w: Int32Array, at: number): void {
  const base = w[at + RING_REF] << 2;
  const head = w[at + RING_HEAD];
  const size = padded(heap().i32[(base + head) >> 2]);
  const used = w[at + RING_USED] - size;
  w[at + RING_USED] = used;
  // An empty ring starts over at 0: fewer wrap marks.
  w[at + RING_HEAD] = used === 0
    ? 0
    : (head + size) & (w[at + RING_CAPACITY] - 1);
}

/** Calls `fn` with the header offset of every record, oldest first. */
export function forEach(
  w: Int32Array,
  at: number,
  fn: (start: number) => void,
): void {
  const capacity = w[at + RING_CAPACITY];
  if (capacity === 0) return;
  const h = heap().i32;
  const base = w[at + RING_REF] << 2;
  let head = w[at + RING_HEAD];
  for (let left = w[at + RING_USED]; left > 0;) {
    const length = h[(base + head) >> 2];
    if (length === WRAP) {
      left -= capacity - head;
      head = 0;
      continue;
    }
    fn(base + head);
    const size = padded(length);
    left -= size;
    head = (head + size) & (capacity - 1);
  }
}

/** Frees the ring's storage (its records are the caller's business). */
export function ringRelease(w: Int32Array, at: number): void {
  if (w[at + RING_REF] !== 0) free(w[at + RING_REF]);
  w.fill(0, at, at + RING_WORDS);
}
