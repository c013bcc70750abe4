// The trace buffer: while a trace runs, every thread appends records of what
// it did (its life, its waits and lock holds, instants such as set() and
// notify()) to one block of shared memory; stopTrace() in any thread reads
// them all. A record is claimed with one atomic add and published by its
// type word, written last; writers count themselves in, so that the buffer
// is freed only once none writes into it.
import {
  H_TRACE,
  H_TRACE_EPOCH,
  K_RAW,
  S_IDENT,
  slotWord,
  TRACE_COUNT,
  TRACE_FIRST,
  TRACE_MAX,
  TRACE_WORDS,
  TRACE_WRITERS,
} from "./_layout.ts";
import { alloc, free, heap } from "./_heap.ts";
import { runtime } from "./_runtime.ts";

/** A thread's life; `detail` is the message of its name. */
export const TR_THREAD = 1;
/** A thread began while the trace ran. */
export const TR_START = 2;
/** A wait on the primitive `ref`; `detail` says which (WAIT_*). */
export const TR_WAIT = 3;
/** A lock held. */
export const TR_HOLD = 4;
/** Something happened at once; `detail` says what (AT_*). */
export const TR_INSTANT = 5;

export const WAIT_ACQUIRE = 1;
export const WAIT_CONDITION = 2;
export const WAIT_EVENT = 3;
export const WAIT_JOIN = 4;
export const WAIT_QUEUE = 5;

export const AT_SET = 1;
export const AT_NOTIFY = 2;
export const AT_RELEASE = 3;

/** One record read back. */
export interface TraceRecord {
  type: number;
  /** The thread's ident. */
  ident: number;
  ref: number;
  detail: number;
  start: number;
  end: number;
}

/** Starts a buffer (false: a trace runs already). */
export function startBuffer(epoch: number): boolean {
  const i32 = heap().i32;
  const buffer = alloc((TRACE_FIRST + TRACE_MAX * TRACE_WORDS) * 4, K_RAW);
  heap().f64[H_TRACE_EPOCH >> 1] = epoch;
  if (Atomics.compareExchange(i32, H_TRACE, 0, buffer) !== 0) {
    free(buffer);
    return false;
  }
  return true;
}

/** When the running trace began (epoch ms). */
export function traceEpoch(): number {
  return heap().f64[H_TRACE_EPOCH >> 1];
}

/** Appends a record for the calling thread, if a trace runs. */
export function record(
  type: number,
  ref: number,
  detail: number,
  start: number,
  end: number,
): void {
  const i32 = heap().i32;
  const buffer = Atomics.load(i32, H_TRACE);
  if (buffer === 0) return;
  Atomics.add(i32, buffer + TRACE_WRITERS, 1);
  try {
    if (Atomics.load(i32, H_TRACE) === buffer) {
      write(buffer, type, ref, detail, start, end);
    }
  } finally {
    Atomics.sub(i32, buffer + TRACE_WRITERS, 1);
  }
}

function write(
  buffer: number,
  type: number,
  ref: number,
  detail: number,
  start: number,
  end: number,
): void {
  const i32 = heap().i32;
  const n = Atomics.add(i32, buffer + TRACE_COUNT, 1);
  if (n >= TRACE_MAX) return;
  const at = buffer + TRACE_FIRST + n * TRACE_WORDS;
  const rt = runtime();
  i32[at + 1] = Atomics.load(rt.registry.words, slotWord(rt.slot, S_IDENT));
  i32[at + 2] = ref;
  i32[at + 3] = detail;
  const f64 = heap().f64;
  f64[(at + 4) >> 1] = start;
  f64[(at + 6) >> 1] = end;
  Atomics.store(i32, at, type);
}

/** Ends the trace: its records (undefined: none ran), the buffer freed. */
export function takeBuffer(): TraceRecord[] | undefined {
  const i32 = heap().i32;
  const buffer = Atomics.exchange(i32, H_TRACE, 0);
  if (buffer === 0) return undefined;
  while (Atomics.load(i32, buffer + TRACE_WRITERS) > 0) {
    // A writer is between its claim and its type word: a few instructions.
  }
  const n = Math.min(Atomics.load(i32, buffer + TRACE_COUNT), TRACE_MAX);
  const f64 = heap().f64;
  const out: TraceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = buffer + TRACE_FIRST + i * TRACE_WORDS;
    const type = Atomics.load(i32, at);
    if (type === 0) continue;
    out.push({
      type,
      ident: i32[at + 1],
      ref: i32[at + 2],
      detail: i32[at + 3],
      start: f64[(at + 4) >> 1],
      end: f64[(at + 6) >> 1],
    });
  }
  free(buffer);
  return out;
}
