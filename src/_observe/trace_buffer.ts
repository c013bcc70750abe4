// The trace buffer: while a trace runs, every thread appends records of what
// it did (its waits and lock holds, instants such as set() and notify()) to
// shared memory; stopTrace() in any thread reads them all. A record is
// claimed with one atomic add and published by its type word, written last.
// Records live in chunks that are allocated as the trace grows, so a trace
// keeps every event until shared memory runs out; from then on it counts
// what it could not keep. Thread lives (which carry the threads' names) are
// blocks of their own in a list, so that no flood of events crowds them out.
// Writers count themselves in, so that the buffer is freed only once none
// writes into it.
import {
  H_TRACE,
  K_RAW,
  LIFE_END,
  LIFE_IDENT,
  LIFE_NAME,
  LIFE_NEXT,
  LIFE_START,
  LIFE_TYPE,
  LIFE_WORDS,
  S_IDENT,
  slotWord,
  TRACE_CHUNK_BITS,
  TRACE_CHUNKS,
  TRACE_COUNT,
  TRACE_DIRECTORY,
  TRACE_DROPPED,
  TRACE_EPOCH,
  TRACE_HEADER_WORDS,
  TRACE_LIVES,
  TRACE_WORDS,
  TRACE_WRITERS,
} from "../_core/layout.ts";
import { alloc, free, heap } from "../_core/heap.ts";
import { runtime } from "../_threads/runtime.ts";
import { dropMessage, loadMessage, storeMessage } from "../_codec/message.ts";

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

const CHUNK_RECORDS = 1 << TRACE_CHUNK_BITS;
const CHUNK_MASK = CHUNK_RECORDS - 1;
/** A directory entry: the chunk is being allocated by a writer. */
const MAKING = -1;
/** A directory entry: shared memory had no room for the chunk. */
const NO_ROOM = -2;
/**
 * How long a writer or stopTrace() waits for another writer at most: a
 * writer whose thread died (out of memory) never finishes.
 */
const WRITER_WAIT_MS = 2000;

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

/** One thread's life read back; `name` only for TR_THREAD. */
export interface TraceLife {
  type: number;
  ident: number;
  name: string | undefined;
  start: number;
  end: number;
}

/** What a trace recorded. */
export interface TraceContents {
  /** When it began (epoch ms). */
  epoch: number;
  records: TraceRecord[];
  lives: TraceLife[];
  /** Records and lives that found no room. */
  dropped: number;
}

/**
 * Starts a buffer, beginning at `epoch` (false: a trace runs already, and
 * nothing changed).
 */
export function startBuffer(epoch: number): boolean {
  const buffer = alloc(TRACE_HEADER_WORDS * 4, K_RAW);
  const s = heap();
  s.f64[(buffer + TRACE_EPOCH) >> 1] = epoch;
  if (Atomics.compareExchange(s.i32, H_TRACE, 0, buffer) !== 0) {
    free(buffer);
    return false;
  }
  return true;
}

/**
 * Runs `fn` on the running trace's buffer, counted among its writers, if a
 * trace runs.
 */
function writing(fn: (buffer: number) => void): void {
  const i32 = heap().i32;
  const buffer = Atomics.load(i32, H_TRACE);
  if (buffer === 0) return;
  Atomics.add(i32, buffer + TRACE_WRITERS, 1);
  try {
    if (Atomics.load(i32, H_TRACE) === buffer) fn(buffer);
  } finally {
    Atomics.sub(i32, buffer + TRACE_WRITERS, 1);
  }
}

function ownIdent(): number {
  const rt = runtime();
  return Atomics.load(rt.registry.words, slotWord(rt.slot, S_IDENT));
}

/** Appends a record for the calling thread, if a trace runs. */
export function record(
  type: number,
  ref: number,
  detail: number,
  start: number,
  end: number,
): void {
  writing((buffer) => {
    const n = Atomics.add(heap().i32, buffer + TRACE_COUNT, 1);
    const chunk = chunkOf(buffer, n >>> TRACE_CHUNK_BITS);
    if (chunk <= 0) {
      Atomics.add(heap().i32, buffer + TRACE_DROPPED, 1);
      return;
    }
    const at = chunk + (n & CHUNK_MASK) * TRACE_WORDS;
    const s = heap();
    s.i32[at + 1] = ownIdent();
    s.i32[at + 2] = ref;
    s.i32[at + 3] = detail;
    s.f64[(at + 4) >> 1] = start;
    s.f64[(at + 6) >> 1] = end;
    Atomics.store(s.i32, at, type);
  });
}

/**
 * The ref of chunk `c` of the buffer, allocated by the first writer that
 * needs it; NO_ROOM (or past the directory: 0) when it cannot be.
 */
function chunkOf(buffer: number, c: number): number {
  if (c >= TRACE_CHUNKS) return 0;
  const i32 = heap().i32;
  const at = buffer + TRACE_DIRECTORY + c;
  let chunk = Atomics.load(i32, at);
  if (chunk === 0 && Atomics.compareExchange(i32, at, 0, MAKING) === 0) {
    try {
      chunk = alloc(CHUNK_RECORDS * TRACE_WORDS * 4, K_RAW);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      chunk = NO_ROOM;
    }
    Atomics.store(heap().i32, at, chunk);
    Atomics.notify(heap().i32, at);
  }
  // Another writer allocates it: a matter of microseconds, unless that
  // writer's thread died meanwhile (out of memory): then the records are
  // counted as dropped.
  const deadline = performance.now() + WRITER_WAIT_MS;
  while (chunk === MAKING && performance.now() < deadline) {
    Atomics.wait(heap().i32, at, MAKING, 1);
    chunk = Atomics.load(heap().i32, at);
  }
  return chunk === MAKING ? NO_ROOM : chunk;
}

/**
 * Records the calling thread's life: TR_START when it began (`name`
 * undefined), TR_THREAD when it ended, with its name. The end of a thread
 * whose worker died is recorded by the thread that ends it, with the
 * thread's `ident` and a `start` of 0 (not known there).
 */
export function recordLife(
  type: number,
  name: string | undefined,
  start: number,
  end: number,
  ident = ownIdent(),
): void {
  writing((buffer) => {
    let block = 0;
    let message = 0;
    try {
      if (name !== undefined) message = storeMessage(name, "name", () => []);
      block = alloc(LIFE_WORDS * 4, K_RAW);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      if (message !== 0) dropMessage(message);
      Atomics.add(heap().i32, buffer + TRACE_DROPPED, 1);
      return;
    }
    const s = heap();
    s.i32[block + LIFE_TYPE] = type;
    s.i32[block + LIFE_IDENT] = ident;
    s.i32[block + LIFE_NAME] = message;
    s.f64[(block + LIFE_START) >> 1] = start;
    s.f64[(block + LIFE_END) >> 1] = end;
    // Pushed only, and taken all at once: no ABA.
    const head = buffer + TRACE_LIVES;
    for (let next = Atomics.load(s.i32, head);;) {
      s.i32[block + LIFE_NEXT] = next;
      const seen = Atomics.compareExchange(s.i32, head, next, block);
      if (seen === next) return;
      next = seen;
    }
  });
}

/** Ends the trace: what it recorded (undefined: none ran), its memory freed. */
export function takeBuffer(): TraceContents | undefined {
  const i32 = heap().i32;
  const buffer = Atomics.exchange(i32, H_TRACE, 0);
  if (buffer === 0) return undefined;
  // A writer is between its claim and its type word: a few instructions
  // (or the allocation of a chunk). An unfinished record is left out.
  const deadline = performance.now() + WRITER_WAIT_MS;
  while (
    Atomics.load(i32, buffer + TRACE_WRITERS) > 0 &&
    performance.now() < deadline
  ) {
    // Spin: the writer is on another core.
  }
  const s = heap();
  const claimed = Math.min(
    Atomics.load(s.i32, buffer + TRACE_COUNT),
    TRACE_CHUNKS * CHUNK_RECORDS,
  );
  const records: TraceRecord[] = [];
  for (let c = 0; c * CHUNK_RECORDS < claimed; c++) {
    const chunk = s.i32[buffer + TRACE_DIRECTORY + c];
    if (chunk <= 0) continue;
    const n = Math.min(CHUNK_RECORDS, claimed - c * CHUNK_RECORDS);
    for (let i = 0; i < n; i++) {
      const at = chunk + i * TRACE_WORDS;
      const type = s.i32[at];
      if (type === 0) continue;
      records.push({
        type,
        ident: s.i32[at + 1],
        ref: s.i32[at + 2],
        detail: s.i32[at + 3],
        start: s.f64[(at + 4) >> 1],
        end: s.f64[(at + 6) >> 1],
      });
    }
    free(chunk);
  }
  const lives: TraceLife[] = [];
  for (let block = s.i32[buffer + TRACE_LIVES]; block !== 0;) {
    const message = s.i32[block + LIFE_NAME];
    lives.push({
      type: s.i32[block + LIFE_TYPE],
      ident: s.i32[block + LIFE_IDENT],
      name: message === 0 ? undefined : loadMessage(message, false) as string,
      start: s.f64[(block + LIFE_START) >> 1],
      end: s.f64[(block + LIFE_END) >> 1],
    });
    if (message !== 0) dropMessage(message);
    const next = s.i32[block + LIFE_NEXT];
    free(block);
    block = next;
  }
  const contents = {
    epoch: s.f64[(buffer + TRACE_EPOCH) >> 1],
    records,
    lives: lives.reverse(),
    dropped: s.i32[buffer + TRACE_DROPPED],
  };
  free(buffer);
  return contents;
}
