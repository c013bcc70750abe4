// The pool of warm workers. A worker whose thread has ended parks in an entry
// of the registry instead of closing; any thread's start() can claim it with a
// compare-exchange and write its job into the entry's mailbox, so a warm start
// needs no event loop and no new Worker. SharedArrayBuffers of the job go
// through the relay, like those of queue items.
import {
  H_POOL_LIMIT,
  MAILBOX_OFFSET,
  P_BUSY,
  P_CLAIMED,
  P_FREE,
  P_IDLE,
  P_LENGTH,
  P_READY,
  P_RELAY,
  P_STATE,
  POOL_MAILBOX_BYTES,
  POOL_MAX,
  poolWord,
} from "./_layout.ts";
import { runtime } from "./_runtime.ts";
import type { Payload } from "./_runtime.ts";
import { fromBytes, toBytes } from "./_marshal.ts";
import { fetch, stash } from "./_relay.ts";
import { checkInteger } from "./_validate.ts";
import { spinWhile } from "./_futex.ts";

/** A thread to run: its registry slot and generation, and its code. */
export interface Job {
  slot: number;
  gen: number;
  payload: Payload;
}

const DEFAULT_LIMIT = 8;

function words(): Int32Array {
  return runtime().registry.words;
}

/** How many finished workers may stay parked (the registry starts at 0: unset). */
function limit(): number {
  const value = Atomics.load(words(), H_POOL_LIMIT);
  return value === 0 ? DEFAULT_LIMIT : value - 1;
}

/**
 * Sets how many finished threads' workers stay parked for reuse by later
 * threads (default 8, at most 64; 0 turns reuse off). Workers already parked
 * beyond a lower limit stay until reused.
 *
 * @param size The number of parked workers kept.
 * @throws {TypeError} If `size` is not a number.
 * @throws {RangeError} If it is not an integer from 0 to 64.
 *
 * @example
 * ```ts
 * import { setThreadPoolSize } from "@weft/threading";
 *
 * setThreadPoolSize(4);
 * ```
 */
export function setThreadPoolSize(size: number): void {
  checkInteger(size, "size", 0, POOL_MAX);
  Atomics.store(words(), H_POOL_LIMIT, size + 1);
}

/**
 * Hands `job` to a parked worker, if one is idle and the job fits its
 * mailbox. Returns false when the caller must start a new worker.
 */
export function offer(job: Job): boolean {
  const w = words();
  for (let entry = 0; entry < POOL_MAX; entry++) {
    const at = poolWord(entry, P_STATE);
    if (Atomics.load(w, at) !== P_IDLE) continue;
    if (Atomics.compareExchange(w, at, P_IDLE, P_CLAIMED) !== P_IDLE) continue;
    const sabs: SharedArrayBuffer[] = [];
    const bytes = toBytes(job, sabs);
    if (bytes.length > POOL_MAILBOX_BYTES) {
      Atomics.store(w, at, P_IDLE);
      return false;
    }
    new Uint8Array(w.buffer, MAILBOX_OFFSET + entry * POOL_MAILBOX_BYTES).set(
      bytes,
    );
    Atomics.store(w, poolWord(entry, P_LENGTH), bytes.length);
    Atomics.store(
      w,
      poolWord(entry, P_RELAY),
      sabs.length > 0 ? stash(sabs) : 0,
    );
    Atomics.store(w, at, P_READY);
    Atomics.notify(w, at, 1);
    return true;
  }
  return false;
}

let ownEntry = -1;

/**
 * Parks the calling worker until a thread is handed to it. Returns undefined
 * (the worker should close) when the pool is full.
 */
export function park(): Job | undefined {
  const w = words();
  if (ownEntry < 0) {
    for (let entry = 0; entry < POOL_MAX && ownEntry < 0; entry++) {
      if (
        Atomics.compareExchange(w, poolWord(entry, P_STATE), P_FREE, P_BUSY) ===
          P_FREE
      ) {
        ownEntry = entry;
      }
    }
    if (ownEntry < 0) return undefined;
  }
  let idle = 0;
  for (let entry = 0; entry < POOL_MAX; entry++) {
    if (Atomics.load(w, poolWord(entry, P_STATE)) === P_IDLE) idle++;
  }
  const at = poolWord(ownEntry, P_STATE);
  if (idle >= limit()) {
    Atomics.store(w, at, P_FREE);
    return undefined;
  }
  Atomics.store(w, at, P_IDLE);
  for (let state = P_IDLE; state !== P_READY; state = Atomics.load(w, at)) {
    if (!spinWhile(w, at, state)) Atomics.wait(w, at, state);
  }
  Atomics.store(w, at, P_BUSY);
  const length = Atomics.load(w, poolWord(ownEntry, P_LENGTH));
  const relayId = Atomics.load(w, poolWord(ownEntry, P_RELAY));
  const start = MAILBOX_OFFSET + ownEntry * POOL_MAILBOX_BYTES;
  const bytes = new Uint8Array(w.buffer).slice(start, start + length);
  return fromBytes(bytes, relayId === 0 ? [] : fetch(relayId)) as Job;
}
