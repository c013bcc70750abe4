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
//
// Byte offsets reach 8 GiB, past what 32-bit operators keep: they are
// computed with * 4 and / 4, never << 2 or >> 2. Typed arrays may be longer
// than 2 ** 32 elements on Deno 2.9.6 (measured: a Uint8Array of 2 ** 34 + 8
// bytes, an Int32Array of 2 ** 32 + 2 elements over a SharedArrayBuffer,
// Atomics at their last index), so one view covers the whole heap.
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
  H_HEAP_BYTES,
  MIN_CLASS_BYTES,
  REGISTRY_BYTES,
} from "./layout.ts";

/**
 * The largest heap: refs are Int32 word indices, the bump pointer (the ref
 * of the next block) included.
 */
const MAX_HEAP_BYTES = 2 ** 33 - 16;
const INITIAL_BYTES = 4 << 20;
const KEY = Symbol.for("@weft/threading/heap");

interface State {
  sab: SharedArrayBuffer;
  i32: Int32Array;
  u8: Uint8Array;
  f64: Float64Array;
  view: DataView;
  /** The heap's length / 8 these views cover (see H_HEAP_BYTES). */
  covered: number;
}

/** The heap's buffer, as a worker's boot data carries it. */
export function bootHeap(data: unknown): SharedArrayBuffer | undefined {
  const sab = (data as { weftHeap?: unknown } | null)?.weftHeap;
  return sab instanceof SharedArrayBuffer ? sab : undefined;
}

function create(): SharedArrayBuffer {
  // Reserving address space can fail under a tight ulimit -v: ask for less.
  for (
    let max = MAX_HEAP_BYTES;
    max >= 256 << 20;
    max = Math.floor(max / 32) * 8
  ) {
    try {
      return new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: max });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
  return new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: 256 << 20 });
}

function init(sab: SharedArrayBuffer): State {
  const i32 = new Int32Array(sab, 0, REGISTRY_BYTES / 4);
  if (Atomics.load(i32, H_BUMP) === 0) {
    Atomics.compareExchange(
      i32,
      H_BUMP,
      0,
      REGISTRY_BYTES / 4 + BLOCK_HEADER_WORDS,
    );
    Atomics.compareExchange(i32, H_HEAP_BYTES, 0, sab.byteLength / 8);
  }
  return views(sab);
}

function views(sab: SharedArrayBuffer): State {
  const length = sab.byteLength;
  return {
    sab,
    i32: new Int32Array(sab, 0, length / 4),
    u8: new Uint8Array(sab, 0, length),
    f64: new Float64Array(sab, 0, length / 8),
    view: new DataView(sab, 0, length),
    covered: length / 8,
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

/**
 * Whole-heap views, renewed when the heap has grown since. (The registry's
 * copy of the length is read: the buffer's own byteLength costs ~10x.)
 */
export function heap(): State {
  const s = current();
  // A plain read is enough: whoever hands us a ref beyond our views got it
  // after the growth, through an atomic operation that orders this read.
  if (s.i32[H_HEAP_BYTES] === s.covered) return s;
  const global = globalThis as unknown as Record<symbol, State>;
  return state = global[KEY] = views(s.sab);
}

/**
 * Copies the first `length` bytes of `from` into the heap at byte `to` (a
 * loop for small ones: a view to copy from costs more than they do).
 */
export function copyIn(from: Uint8Array, length: number, to: number): void {
  const u8 = heap().u8;
  if (length <= 64) {
    for (let i = 0; i < length; i++) u8[to + i] = from[i];
  } else {
    u8.set(length === from.length ? from : from.subarray(0, length), to);
  }
}

/** Copies `length` bytes of the heap at byte `from` into the start of `to`. */
export function copyOut(from: number, length: number, to: Uint8Array): void {
  const u8 = heap().u8;
  if (length <= 64) {
    for (let i = 0; i < length; i++) to[i] = u8[from + i];
  } else {
    to.set(u8.subarray(from, from + length));
  }
}

/** A view of `count` words at `ref`. */
export function wordsAt(ref: number, count: number): Int32Array {
  return new Int32Array(current().sab, ref * 4, count);
}

/** A view of `length` bytes starting at word `ref`. */
export function bytesAt(ref: number, length: number): Uint8Array {
  return new Uint8Array(current().sab, ref * 4, length);
}

const MIN_CLASS_BITS = 31 - Math.clz32(MIN_CLASS_BYTES);
/** Bytes of the largest block, its header included. */
const MAX_BLOCK_BYTES = MIN_CLASS_BYTES * 2 ** (CLASSES - 1);

/** The size class of a block of `bytes` payload bytes; CLASSES: none. */
function classOf(bytes: number): number {
  const total = bytes + BLOCK_HEADER_WORDS * 4;
  if (total <= MIN_CLASS_BYTES) return 0;
  // Before clz32, which would wrap a size of 2 ** 32 or more.
  if (total > MAX_BLOCK_BYTES) return CLASSES;
  return 32 - Math.clz32(total - 1) - MIN_CLASS_BITS;
}

/** Payload bytes a block of class `c` holds. */
function capacityOf(c: number): number {
  return (MIN_CLASS_BYTES << c) - BLOCK_HEADER_WORDS * 4;
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

// Each thread keeps a few free blocks of each class to itself (a magazine),
// taken from and given back to the shared free lists MAGAZINE / 2 at a time,
// so that most allocations and frees take no lock at all.
const MAGAZINE = 32;
const magazines: number[][] = Array.from({ length: CLASSES }, () => []);

/** Moves up to MAGAZINE / 2 blocks from the shared free list of class `c`. */
function refill(w: Int32Array, c: number, magazine: number[]): void {
  if (Atomics.load(w, H_CLASS_HEADS + c) === 0) return;
  spinLock(w, H_CLASS_LOCKS + c);
  let ref = Atomics.load(w, H_CLASS_HEADS + c);
  for (let n = MAGAZINE / 2; n > 0 && ref !== 0; n--) {
    magazine.push(ref);
    ref = w[ref];
  }
  Atomics.store(w, H_CLASS_HEADS + c, ref);
  spinUnlock(w, H_CLASS_LOCKS + c);
}

/** Moves `count` blocks of class `c` back to the shared free list. */
function spill(
  w: Int32Array,
  c: number,
  magazine: number[],
  count: number,
): void {
  spinLock(w, H_CLASS_LOCKS + c);
  let head = Atomics.load(w, H_CLASS_HEADS + c);
  for (let n = count; n > 0; n--) {
    const ref = magazine.pop()!;
    w[ref] = head;
    head = ref;
  }
  Atomics.store(w, H_CLASS_HEADS + c, head);
  spinUnlock(w, H_CLASS_LOCKS + c);
}

/** Gives this thread's kept blocks back to everyone: its isolate closes. */
export function flushMagazines(): void {
  const w = heap().i32;
  magazines.forEach((m, c) => {
    if (m.length > 0) spill(w, c, m, m.length);
  });
}

/**
 * Allocates a block of at least `bytes` payload bytes, zeroed unless `zero`
 * is false, and returns its ref. `kind` marks what it holds (see
 * _layout.ts).
 *
 * @throws {RangeError} When the heap cannot grow to hold it.
 */
export function alloc(bytes: number, kind: number, zero = true): number {
  const c = classOf(bytes);
  if (c >= CLASSES) {
    throw new RangeError(
      `Cannot allocate ${bytes} bytes of shared memory: at most ${
        capacityOf(CLASSES - 1)
      } in one block`,
    );
  }
  let s = heap();
  const magazine = magazines[c];
  if (magazine.length === 0) refill(s.i32, c, magazine);
  const ref = magazine.pop();
  if (ref !== undefined) {
    const w = s.i32;
    w[ref + B_INFO] = c | (kind << 8);
    w[ref + B_REFS] = 0;
    if (zero) s.u8.fill(0, ref * 4, ref * 4 + capacityOf(c));
    return ref;
  }
  const words = (MIN_CLASS_BYTES << c) / 4;
  for (;;) {
    const fresh = Atomics.load(s.i32, H_BUMP);
    const end = (fresh - BLOCK_HEADER_WORDS + words) * 4;
    if (end > s.covered * 8) {
      grow(end);
      s = heap();
    }
    // Taken only once the heap holds it: a growth that fails leaves the
    // bump pointer where it was, and the memory never used stays so.
    if (
      Atomics.compareExchange(s.i32, H_BUMP, fresh, fresh + words) === fresh
    ) {
      s.i32[fresh + B_INFO] = c | (kind << 8);
      return fresh;
    }
  }
}

/**
 * Grows the heap to at least `end` bytes (doubling it when it can).
 *
 * @throws {RangeError} When it cannot: the heap is unchanged then.
 */
function grow(end: number): void {
  const s = current();
  const max = s.sab.maxByteLength;
  if (end > max) {
    throw new RangeError(
      `Cannot grow shared memory to ${end} bytes: at most ${max}`,
    );
  }
  const w = new Int32Array(s.sab, 0, REGISTRY_BYTES / 4);
  spinLock(w, H_GROW_LOCK);
  try {
    const length = s.sab.byteLength;
    if (end <= length) return;
    // Lengths stay multiples of 8 (H_HEAP_BYTES counts eights).
    const needed = Math.ceil(end / 8) * 8;
    const doubled = Math.min(max, Math.max(needed, length * 2));
    try {
      s.sab.grow(doubled);
    } catch {
      try {
        s.sab.grow(needed);
      } catch (error) {
        throw new RangeError(
          `Cannot grow shared memory to ${end} bytes: ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
    }
    Atomics.store(w, H_HEAP_BYTES, s.sab.byteLength / 8);
  } finally {
    spinUnlock(w, H_GROW_LOCK);
  }
}

/** Returns a block to the free blocks. */
export function free(ref: number): void {
  const w = heap().i32;
  const info = w[ref + B_INFO];
  if ((info & FREE_BIT) !== 0) {
    throw new Error(`@weft/threading: block ${ref} freed twice`);
  }
  const c = info & 0xff;
  w[ref + B_INFO] = c | FREE_BIT;
  const magazine = magazines[c];
  if (magazine.length >= MAGAZINE) spill(w, c, magazine, MAGAZINE / 2);
  magazine.push(ref);
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
