// The heap: one growable SharedArrayBuffer that every thread of the process
// maps (the main thread creates it; each worker gets it at boot), and the
// allocator of its blocks. Blocks are powers of two, each size class with a
// free list guarded by a spin lock held for a few instructions; memory never
// used yet is taken by bumping a pointer, growing the buffer when needed.
//
// Measured on Deno 2.9.6 (V8 15): growth is seen at once by every thread;
// Atomics on a fixed-length view over a growable buffer cost what they cost
// on a plain SharedArrayBuffer (32 ns a compare-exchange and store), while a
// length-tracking view costs 4x for Atomics and 30x for plain reads. So every
// view here has a fixed length, and a thread renews its whole-heap views when
// a ref lies beyond them. A view costs 55 ns to create; a new
// SharedArrayBuffer 600-900 ns.
import { workerData } from "node:worker_threads";
import {
  B_INFO,
  B_REFS,
  BLOCK_HEADER_WORDS,
  CLASSES,
  FREE_BIT,
  H_BUMP,
  H_CLASS_HEADS,
  H_CLASS_LOCKS,
  H_GROW_LOCK,
  MIN_CLASS_BYTES,
  REGISTRY_BYTES,
} from "./_layout.ts";

/** The largest heap: refs are Int32 word indices. */
const MAX_BYTES = 2 ** 33 - 8;
const INITIAL_BYTES = 4 << 20;
const KEY = Symbol.for("@weft/threading/heap");

interface State {
  sab: SharedArrayBuffer;
  i32: Int32Array;
  u8: Uint8Array;
  f64: Float64Array;
}

/** The heap's buffer, as a worker's boot data carries it. */
export function bootHeap(data: unknown): SharedArrayBuffer | undefined {
  const sab = (data as { weftHeap?: unknown } | null)?.weftHeap;
  return sab instanceof SharedArrayBuffer ? sab : undefined;
}

function create(): SharedArrayBuffer {
  // Reserving address space can fail under a tight ulimit -v: ask for less.
  for (let max = MAX_BYTES; max >= 256 << 20; max = Math.floor(max / 4)) {
    try {
      return new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: max });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
  return new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: 256 << 20 });
}

function init(sab: SharedArrayBuffer): State {
  const i32 = new Int32Array(sab, 0, sab.byteLength >> 2);
  if (Atomics.load(i32, H_BUMP) === 0) {
    Atomics.compareExchange(
      i32,
      H_BUMP,
      0,
      (REGISTRY_BYTES >> 2) + BLOCK_HEADER_WORDS,
    );
  }
  return views(sab);
}

function views(sab: SharedArrayBuffer): State {
  const length = sab.byteLength;
  return {
    sab,
    i32: new Int32Array(sab, 0, length >> 2),
    u8: new Uint8Array(sab, 0, length),
    f64: new Float64Array(sab, 0, length >> 3),
  };
}

let state: State | undefined;

function current(): State {
  if (state !== undefined) return state;
  const global = globalThis as unknown as Record<symbol, State | undefined>;
  const shared = global[KEY];
  if (shared !== undefined) return state = shared;
  return state = global[KEY] = init(bootHeap(workerData) ?? create());
}

/** The heap's buffer. */
export function heapBuffer(): SharedArrayBuffer {
  return current().sab;
}

/** Whole-heap views, renewed when the heap has grown since. */
export function heap(): State {
  let s = current();
  if (s.u8.length !== s.sab.byteLength) {
    const global = globalThis as unknown as Record<symbol, State>;
    s = state = global[KEY] = views(s.sab);
  }
  return s;
}

/** A view of `count` words at `ref`. */
export function wordsAt(ref: number, count: number): Int32Array {
  return new Int32Array(current().sab, ref << 2, count);
}

/** A view of `length` bytes starting at word `ref`. */
export function bytesAt(ref: number, length: number): Uint8Array {
  return new Uint8Array(current().sab, ref << 2, length);
}

function classOf(bytes: number): number {
  let c = 0;
  for (let size = MIN_CLASS_BYTES; size - BLOCK_HEADER_WORDS * 4 < bytes; c++) {
    size *= 2;
  }
  return c;
}

/** Payload bytes a block of class `c` holds. */
function capacityOf(c: number): number {
  return MIN_CLASS_BYTES * 2 ** c - BLOCK_HEADER_WORDS * 4;
}

function spinLock(w: Int32Array, at: number): void {
  while (Atomics.compareExchange(w, at, 0, 1) !== 0) {
    // Held for a few instructions: a holder that was preempted is rare
    // enough that yielding the core is the right answer.
    if (Atomics.load(w, at) !== 0) Atomics.wait(w, at, 1, 0.05);
  }
}

function spinUnlock(w: Int32Array, at: number): void {
  Atomics.store(w, at, 0);
}

/**
 * Allocates a block of at least `bytes` payload bytes, zeroed, and returns
 * its ref. `kind` marks what it holds (see _layout.ts).
 *
 * @throws {RangeError} When the heap cannot grow to hold it.
 */
export function alloc(bytes: number, kind: number): number {
  const c = classOf(bytes);
  if (c >= CLASSES) {
    throw new RangeError(
      `Cannot allocate ${bytes} bytes of shared memory: at most ${
        capacityOf(CLASSES - 1)
      } in one block`,
    );
  }
  let s = heap();
  let w = s.i32;
  spinLock(w, H_CLASS_LOCKS + c);
  const ref = Atomics.load(w, H_CLASS_HEADS + c);
  if (ref !== 0) {
    Atomics.store(w, H_CLASS_HEADS + c, Atomics.load(w, ref));
    spinUnlock(w, H_CLASS_LOCKS + c);
    w[ref + B_INFO] = c | (kind << 8);
    w[ref + B_REFS] = 0;
    s.u8.fill(0, ref << 2, (ref << 2) + capacityOf(c));
    return ref;
  }
  spinUnlock(w, H_CLASS_LOCKS + c);
  const total = (MIN_CLASS_BYTES * 2 ** c) >> 2;
  const fresh = Atomics.add(w, H_BUMP, total);
  const end = (fresh - BLOCK_HEADER_WORDS + total) * 4;
  if (end > s.sab.byteLength) {
    grow(end);
    s = heap();
    w = s.i32;
  }
  w[fresh + B_INFO] = c | (kind << 8);
  return fresh;
}

function grow(end: number): void {
  const s = current();
  if (end > s.sab.maxByteLength) {
    throw new RangeError(
      `Cannot grow shared memory to ${end} bytes: at most ${s.sab.maxByteLength}`,
    );
  }
  const w = new Int32Array(s.sab, 0, REGISTRY_BYTES >> 2);
  spinLock(w, H_GROW_LOCK);
  try {
    const length = s.sab.byteLength;
    if (end > length) {
      s.sab.grow(Math.min(s.sab.maxByteLength, Math.max(end, length * 2)));
    }
  } finally {
    spinUnlock(w, H_GROW_LOCK);
  }
}

/** Returns a block to its free list. */
export function free(ref: number): void {
  const w = heap().i32;
  const info = w[ref + B_INFO];
  if ((info & FREE_BIT) !== 0) {
    throw new Error(`@weft/threading: block ${ref} freed twice`);
  }
  const c = info & 0xff;
  w[ref + B_INFO] = c | FREE_BIT;
  spinLock(w, H_CLASS_LOCKS + c);
  w[ref] = Atomics.load(w, H_CLASS_HEADS + c);
  Atomics.store(w, H_CLASS_HEADS + c, ref);
  spinUnlock(w, H_CLASS_LOCKS + c);
}

/** Payload bytes the block at `ref` holds. */
export function capacity(ref: number): number {
  return capacityOf(heap().i32[ref + B_INFO] & 0xff);
}

/** What the block at `ref` holds. */
export function kindOf(ref: number): number {
  return (heap().i32[ref + B_INFO] >> 8) & 0xff;
}

/** Counts one more reference to the block at `ref`. */
export function retain(ref: number): void {
  Atomics.add(heap().i32, ref + B_REFS, 1);
}

/** Counts one reference less; true when that was the last one. */
export function unretain(ref: number): boolean {
  const left = Atomics.sub(heap().i32, ref + B_REFS, 1) - 1;
  if (left < 0) {
    throw new Error(`@weft/threading: block ${ref} released too many times`);
  }
  return left === 0;
}
