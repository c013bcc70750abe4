// The relay: a daemon worker that never blocks, holding what cannot be
// written into shared memory until the thread that reads it asks: the
// SharedArrayBuffers an item carries, and the bytes of a large item, which
// live in an ArrayBuffer of their own (see _codec/record.ts). Importing this
// module does nothing (see worker.ts): the worker calls runRelay().
//
// Bytes move by transfer, never by sharing: a buffer the relay passes on is
// detached here, and one it drops is detached at once, because memory that a
// worker received is given back only when that worker's heap is collected,
// and an idle relay never collects (measured on Deno 2.9.6: a 50 MB buffer it
// had received and let go stayed resident for good; a detached one is
// returned at once). A reader that keeps the item's place (a future's
// result, read by every reader) gets a copy.
//
// It also watches every worker: it holds a port to each, and a port's
// "close" comes when the worker at its other end is gone, however it ended.
// A worker that dies while its thread runs (out of memory: V8 ends the
// isolate, no code of it runs again) is seen here at once, even while the
// thread that created it is blocked (its own "exit" event waits for its
// event loop), and marked for the others to report and end (see death.ts).
import { type MessagePort, workerData } from "node:worker_threads";
import {
  ALIVE,
  CELL_WORDS,
  DIED,
  H_DEATHS,
  H_MAIN_PARKED,
  P_BUSY,
  P_FREE,
  P_IDLE,
  P_STATE,
  P_WORKER,
  poolWord,
  REGISTRY_BYTES,
  S_DIED,
  S_RELAY,
  S_STATE,
  slotState,
  slotWord,
  W_CLOSED,
  W_ENTRY,
  W_GEN,
  W_SLOT,
} from "../_core/layout.ts";

/** What is stashed under one id. */
export interface Parcel {
  sabs: SharedArrayBuffer[];
  /**
   * The bytes of a value stored out of line: the first `length` bytes of
   * an ArrayBuffer of their own. (Not a Uint8Array: Deno's node ports walk
   * every element of a typed array in a message they receive.)
   */
  bytes?: ArrayBuffer;
  length?: number;
}

interface Init {
  heap: SharedArrayBuffer;
  port: MessagePort;
}

type Message =
  | { type: "port"; port: MessagePort; cell: number; worker: number }
  | ({ type: "put"; id: number } & Parcel)
  | { type: "get"; id: number; slot: number; keep: boolean }
  | { type: "drop"; id: number };

interface Waiter {
  port: MessagePort;
  slot: number;
  keep: boolean;
}

const stored = new Map<number, Parcel>();
const waiting = new Map<number, Waiter[]>();
/**
 * Ids dropped before their parcel came: messages from different ports are
 * not ordered among themselves.
 */
const dropped = new Set<number>();
let words: Int32Array;
let heapBuffer: SharedArrayBuffer;

/** How often the threads that may end a dead worker's thread are woken. */
const WAKE_MS = 1;

/**
 * Wakes, until the dead worker's thread in `slot` has ended, those that may
 * end it: its joiners (asleep on its state word) and main (asleep in any
 * blocking wait, it looks at deaths when woken). Again and again: a notify
 * that comes between a sleeper's last look and its sleep is lost.
 */
function wake(sab: SharedArrayBuffer, slot: number, gen: number): void {
  const w = new Int32Array(sab, 0, REGISTRY_BYTES >> 2);
  const state = slotWord(slot, S_STATE);
  if (Atomics.load(w, state) !== slotState(gen, ALIVE)) return;
  Atomics.notify(w, state);
  const parked = Atomics.load(w, H_MAIN_PARKED);
  if (parked !== 0) Atomics.notify(new Int32Array(sab, 0, parked + 1), parked);
  setTimeout(() => wake(sab, slot, gen), WAKE_MS);
}

/**
 * The worker `worker`, whose cell is at `cell`, is gone. If its thread still
 * ran, the worker died: the thread is marked (S_DIED), its joiners and the
 * main thread are woken to report and end it. Its pool entry is freed. Then
 * the cell is marked seen (W_CLOSED): its creator frees it after that. Any
 * thread may call this again for the same worker: it does nothing more.
 */
export function lostWorker(
  sab: SharedArrayBuffer,
  cell: number,
  worker: number,
): void {
  const w = new Int32Array(sab, 0, cell + CELL_WORDS);
  const slot = Atomics.exchange(w, cell + W_SLOT, -1);
  if (slot >= 0) {
    const gen = Atomics.load(w, cell + W_GEN);
    const state = slotWord(slot, S_STATE);
    if (Atomics.load(w, state) === slotState(gen, ALIVE)) {
      Atomics.store(w, slotWord(slot, S_DIED), DIED);
      Atomics.add(w, H_DEATHS, 1);
      Atomics.notify(w, H_DEATHS);
      wake(sab, slot, gen);
    }
  }
  const entry = Atomics.load(w, cell + W_ENTRY);
  if (entry >= 0 && Atomics.load(w, poolWord(entry, P_WORKER)) === worker) {
    const at = poolWord(entry, P_STATE);
    Atomics.compareExchange(w, at, P_IDLE, P_FREE);
    Atomics.compareExchange(w, at, P_BUSY, P_FREE);
  }
  Atomics.store(w, cell + W_CLOSED, 1);
  Atomics.notify(w, cell + W_CLOSED);
}

/** Gives the memory of `bytes` back now: detaching it frees it. */
export function freeBytes(bytes: ArrayBuffer): void {
  bytes.transfer(0);
}

/** Posts `parcel` to a reader: a copy of its bytes when it is kept here. */
function deliver(waiter: Waiter, id: number, parcel: Parcel): void {
  const { sabs, length } = parcel;
  const bytes = parcel.bytes === undefined
    ? undefined
    : waiter.keep
    ? parcel.bytes.slice(0, length)
    : parcel.bytes;
  if (bytes === undefined) {
    waiter.port.postMessage({ id, sabs });
  } else {
    waiter.port.postMessage({ id, sabs, bytes, length }, [bytes]);
  }
  const at = slotWord(waiter.slot, S_RELAY);
  Atomics.add(words, at, 1);
  Atomics.notify(words, at);
}

function put(id: number, parcel: Parcel): void {
  if (dropped.delete(id)) {
    if (parcel.bytes !== undefined) freeBytes(parcel.bytes);
    return;
  }
  const waiters = waiting.get(id);
  waiting.delete(id);
  // Copies first: a queue item is taken once, after any reads that keep it.
  let taker: Waiter | undefined;
  for (const w of waiters ?? []) {
    if (w.keep) deliver(w, id, parcel);
    else taker = w;
  }
  if (taker !== undefined) deliver(taker, id, parcel);
  else stored.set(id, parcel);
}

function get(p: MessagePort, m: { id: number; slot: number; keep: boolean }) {
  const waiter = { port: p, slot: m.slot, keep: m.keep };
  const parcel = stored.get(m.id);
  if (parcel === undefined) {
    const waiters = waiting.get(m.id);
    if (waiters === undefined) waiting.set(m.id, [waiter]);
    else waiters.push(waiter);
    return;
  }
  if (!m.keep) stored.delete(m.id);
  deliver(waiter, m.id, parcel);
}

function drop(id: number): void {
  const parcel = stored.get(id);
  if (parcel === undefined) {
    dropped.add(id);
    return;
  }
  stored.delete(id);
  if (parcel.bytes !== undefined) freeBytes(parcel.bytes);
}

function listen(p: MessagePort): void {
  p.on("message", (m: Message) => {
    switch (m.type) {
      case "port": {
        const { cell, worker } = m;
        listen(m.port);
        m.port.on("close", () => lostWorker(heapBuffer, cell, worker));
        break;
      }
      case "put":
        put(m.id, { sabs: m.sabs, bytes: m.bytes, length: m.length });
        break;
      case "get":
        get(p, m);
        break;
      case "drop":
        drop(m.id);
        break;
    }
  });
}

/** Serves the relay's ports until the process ends. */
export function runRelay(): void {
  const { heap, port } = workerData as Init;
  heapBuffer = heap;
  words = new Int32Array(heap, 0, REGISTRY_BYTES / 4);
  listen(port);
}
